import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress } from '../ip/address.js';
import { ErrorCode } from '../errors.js';
import { formatMac } from '../mac.js';
import { formatPair } from './common.js';
import { parseLogicalSwitchAnnotation } from './logical-switch.js';
import { parseNamespaceRequest, parsePodRequest } from './pod-annotations.js';

describe('pod annotation facade (STA-1, STA-2, STA-4, STA-5, STA-7, SPP-6)', () => {
  test('the seed static-ip pod', () => {
    const { request, errors } = parsePodRequest({
      'ovn.kubernetes.io/ip_address': '10.16.0.15',
      'ovn.kubernetes.io/mac_address': '00:00:00:53:6B:B6',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    });
    assert.deepEqual(errors, []);
    assert.equal(request.ipAddress?.v4 && formatAddress(request.ipAddress.v4), '10.16.0.15');
    assert.equal(request.macAddress !== undefined && formatMac(request.macAddress), '00:00:00:53:6b:b6');
    assert.equal(request.ipPool, undefined);
    assert.equal(request.logicalSwitch, undefined);
    assert.equal(request.spiderPools, undefined);
  });

  test('every annotation at once', () => {
    const { request, errors } = parsePodRequest({
      'ovn.kubernetes.io/ip_pool': '10.16.0.15,fd00::e;10.16.0.16,fd00::f',
      'ovn.kubernetes.io/logical_switch': 'subnet-a',
      'ipam.spidernet.io/ippool': '{"ipv4":["v4-*"]}',
    });
    assert.deepEqual(errors, []);
    assert.equal(request.ipPool?.kind, 'list');
    assert.deepEqual(request.ipPool?.kind === 'list' && request.ipPool.entries.map(formatPair), [
      '10.16.0.15,fd00::e',
      '10.16.0.16,fd00::f',
    ]);
    assert.equal(request.logicalSwitch, 'subnet-a');
    assert.deepEqual(request.spiderPools, { ipv4: ['v4-*'], ipv6: [] });
  });

  test('no annotations, and empty values, ask for nothing (Kube-OVN treats "" as unset)', () => {
    assert.deepEqual(parsePodRequest({}), { request: {}, errors: [] });
    assert.deepEqual(
      parsePodRequest({
        'ovn.kubernetes.io/ip_address': '',
        'ovn.kubernetes.io/ip_pool': '  ',
        'ipam.spidernet.io/ippool': '',
      }),
      { request: {}, errors: [] },
    );
  });

  test('every bad annotation is reported, each with its key as field; good ones still parse', () => {
    const { request, errors } = parsePodRequest({
      'ovn.kubernetes.io/ip_address': '10.16.0.15,10.16.0.16',
      'ovn.kubernetes.io/mac_address': '01:00:5e:00:00:01',
      'ovn.kubernetes.io/ip_pool': 'pool-a',
      'ovn.kubernetes.io/logical_switch': 'a,b',
      'ipam.spidernet.io/ippool': '{"interface":"eth0"}',
    });
    assert.deepEqual(
      errors.map((e) => [e.field, e.code]),
      [
        ['ovn.kubernetes.io/ip_address', ErrorCode.InvalidIPFamily],
        ['ovn.kubernetes.io/mac_address', ErrorCode.InvalidAnnotation],
        ['ovn.kubernetes.io/logical_switch', ErrorCode.InvalidAnnotation],
        ['ipam.spidernet.io/ippool', ErrorCode.InvalidAnnotation],
      ],
    );
    assert.deepEqual(request, { ipPool: { kind: 'pool', name: 'pool-a' } });
  });

  test('a non-string value is reported, not thrown', () => {
    const annotations = { 'ovn.kubernetes.io/ip_address': 7 } as unknown as Record<string, string>;
    const { errors } = parsePodRequest(annotations);
    assert.deepEqual(
      errors.map((e) => [e.field, e.code]),
      [['ovn.kubernetes.io/ip_address', ErrorCode.InvalidAnnotation]],
    );
  });

  test('an attachment provider reads its own keys only', () => {
    const annotations = {
      'ovn.kubernetes.io/ip_address': '10.16.0.15',
      'net1.ns1.ovn.kubernetes.io/ip_address': '10.0.1.5',
      'net1.ns1.ovn.kubernetes.io/ip_pool': 'bad pool',
    };
    const { request, errors } = parsePodRequest(annotations, { provider: 'net1.ns1.ovn' });
    assert.equal(request.ipAddress?.v4 && formatAddress(request.ipAddress.v4), '10.0.1.5');
    assert.deepEqual(
      errors.map((e) => e.field),
      ['net1.ns1.ovn.kubernetes.io/ip_pool'],
    );
  });

  test('inherited properties are not annotations', () => {
    const annotations = Object.create({ 'ovn.kubernetes.io/ip_address': 'junk' }) as Record<string, string>;
    assert.deepEqual(parsePodRequest(annotations), { request: {}, errors: [] });
  });
});

describe('STA-4 ovn.kubernetes.io/logical_switch', () => {
  test('a subnet name, trimmed', () => {
    assert.equal(parseLogicalSwitchAnnotation(' ovn-default '), 'ovn-default');
  });
  test('a list or an invalid name is rejected', () => {
    assert.throws(
      () => parseLogicalSwitchAnnotation('a,b'),
      /names several subnets; a pod names exactly one/,
    );
    assert.throws(() => parseLogicalSwitchAnnotation('Subnet_A'), /is not a subnet name/);
    assert.throws(() => parseLogicalSwitchAnnotation(''), /is not a subnet name/);
  });
});

describe('SPP-6 namespace facade', () => {
  test('both default-pool annotations, errors reported per key', () => {
    const ok = parseNamespaceRequest({
      'ipam.spidernet.io/default-ipv4-ippool': '["a","b"]',
      'ipam.spidernet.io/default-ipv6-ippool': '["c"]',
    });
    assert.deepEqual(ok, {
      request: { spiderDefaultIPv4Pools: ['a', 'b'], spiderDefaultIPv6Pools: ['c'] },
      errors: [],
    });
    const bad = parseNamespaceRequest({ 'ipam.spidernet.io/default-ipv6-ippool': 'c' });
    assert.deepEqual(bad.request, {});
    assert.deepEqual(
      bad.errors.map((e) => [e.field, e.code]),
      [['ipam.spidernet.io/default-ipv6-ippool', ErrorCode.InvalidAnnotation]],
    );
  });
});

describe('K8S-3 namespace ovn.kubernetes.io/logical_switch', () => {
  test('a comma list of subnets in the order written', () => {
    const ok = parseNamespaceRequest({ 'ovn.kubernetes.io/logical_switch': ' net-b, net-a ' });
    assert.deepEqual(ok, { request: { logicalSwitches: ['net-b', 'net-a'] }, errors: [] });
  });
  test('an invalid name, an empty item or a name listed twice is an error naming the key', () => {
    for (const value of ['net_a', 'a,,b', 'a,b,a']) {
      const bad = parseNamespaceRequest({ 'ovn.kubernetes.io/logical_switch': value });
      assert.deepEqual(bad.request, {}, value);
      assert.deepEqual(
        bad.errors.map((e) => [e.field, e.code]),
        [['ovn.kubernetes.io/logical_switch', ErrorCode.InvalidAnnotation]],
        value,
      );
    }
  });
});
