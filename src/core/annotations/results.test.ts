import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REQUEST_RECORD_KEY, requestAnnotations, resultAnnotations } from './results.js';

describe('K8S-4 result annotations', () => {
  test('K8S-4 dual stack: families joined as Kube-OVN writes them, the CIDRs and gateways of the subnet', () => {
    const out = resultAnnotations(
      {
        ips: [
          { family: 6, address: 'fd00:10:16::5', prefixLength: 64, gateway: 'fd00:10:16::1' },
          { family: 4, address: '10.16.0.5', prefixLength: 16, gateway: '10.16.0.1' },
        ],
        mac: '00:00:00:53:6b:b6',
        subnet: 'ovn-default',
      },
      { 'ovn.kubernetes.io/ip_address': '10.16.0.5,fd00:10:16::5' },
    );
    assert.deepEqual(out, {
      'ovn.kubernetes.io/allocated': 'true',
      'ovn.kubernetes.io/ip_address': '10.16.0.5,fd00:10:16::5',
      'ovn.kubernetes.io/cidr': '10.16.0.0/16,fd00:10:16::/64',
      'ovn.kubernetes.io/gateway': '10.16.0.1,fd00:10:16::1',
      'ovn.kubernetes.io/mac_address': '00:00:00:53:6b:b6',
      'ovn.kubernetes.io/logical_switch': 'ovn-default',
      [REQUEST_RECORD_KEY]: '{"ovn.kubernetes.io/ip_address":"10.16.0.5,fd00:10:16::5"}',
    });
  });

  test('K8S-4 no MAC and no Subnet (a SpiderIPPool of its own space): those keys are removed', () => {
    const out = resultAnnotations(
      { ips: [{ family: 4, address: '172.18.42.50', prefixLength: 24 }], subnet: '' },
      {},
    );
    assert.equal(out['ovn.kubernetes.io/mac_address'], null);
    assert.equal(out['ovn.kubernetes.io/logical_switch'], null);
    assert.equal(out['ovn.kubernetes.io/gateway'], '');
    assert.equal(out[REQUEST_RECORD_KEY], '{}');
  });

  test('K8S-4 the request record is written once: a later allocation keeps the first request', () => {
    const out = resultAnnotations(
      { ips: [{ family: 4, address: '10.16.0.9', prefixLength: 16 }] },
      { [REQUEST_RECORD_KEY]: '{}' },
    );
    assert.equal(REQUEST_RECORD_KEY in out, false);
  });
});

describe('K8S-4 a pod asks for what it asked for, not for its results', () => {
  test('K8S-4 after ipkeeper allocated, the recorded request replaces the result keys', () => {
    const dynamic = requestAnnotations({
      'ovn.kubernetes.io/allocated': 'true',
      'ovn.kubernetes.io/ip_address': '10.16.0.9',
      'ovn.kubernetes.io/logical_switch': 'ovn-default',
      'ovn.kubernetes.io/cidr': '10.16.0.0/16',
      app: 'web',
      [REQUEST_RECORD_KEY]: '{}',
    });
    assert.deepEqual(dynamic, { app: 'web', [REQUEST_RECORD_KEY]: '{}' });
    const pinned = requestAnnotations({
      'ovn.kubernetes.io/allocated': 'true',
      'ovn.kubernetes.io/ip_address': '10.16.0.15',
      [REQUEST_RECORD_KEY]: '{"ovn.kubernetes.io/ip_address":"10.16.0.15","other":"x"}',
    });
    assert.deepEqual(pinned, {
      'ovn.kubernetes.io/ip_address': '10.16.0.15',
      [REQUEST_RECORD_KEY]: '{"ovn.kubernetes.io/ip_address":"10.16.0.15","other":"x"}',
    });
  });

  test('K8S-4 a pod ipkeeper never allocated for is read as it is', () => {
    const a = { 'ovn.kubernetes.io/allocated': 'true', 'ovn.kubernetes.io/ip_address': '10.16.0.9' };
    assert.deepEqual(requestAnnotations(a), a);
  });
});
