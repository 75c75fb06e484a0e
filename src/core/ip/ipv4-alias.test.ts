import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate } from '../allocate.js';
import { parsePodRequest } from '../annotations/pod-annotations.js';
import { ErrorCode } from '../errors.js';
import { addSubnet, ip, newEngine, throwsIpam } from '../harness.test.js';
import { buildIPPool } from '../model/ippool.js';
import { buildReservation } from '../model/reservation.js';
import { buildSpiderPool } from '../model/spider-pool.js';
import { buildSubnet } from '../model/subnet.js';
import { parseCidr } from './cidr.js';
import { checkNotIpv4Alias } from './ipv4-alias.js';
import { parseRange } from './range.js';

/**
 * One address, one address space: IPv6 text that stands for an IPv4 address (`::ffff:10.50.0.2` is 10.50.0.2)
 * is refused wherever addresses enter, so an IPv4 subnet and an "IPv6" one can never hold the same address.
 */
describe('ENG-2 IPv4-mapped and IPv4-compatible IPv6 addresses are refused', () => {
  test('the rule: ::ffff:0:0/96 and ::/96 overlap; everything else, IPv4 included, passes', () => {
    for (const [start, end] of [
      ['::ffff:10.50.0.2', '::ffff:10.50.0.2'],
      ['::ffff:0:0', '::ffff:0:0'],
      ['::a32:2', '::a32:2'],
      ['::1', '::1'],
      ['::', '::'],
      ['::fffe:ffff:ffff', '::1:0:0:0'], // spans ::ffff:0:0/96 without starting or ending in it
    ] as const) {
      assert.throws(
        () => checkNotIpv4Alias(6, { start: ip(start).value, end: ip(end).value }, `${start}-${end}`),
        /stands for the IPv4 address/,
        `${start}-${end}`,
      );
    }
    for (const text of ['fd00::1', '2001:db8::5', '::1:0:0:0', '::fffe:ffff:ffff', '64:ff9b::a32:2']) {
      const v = ip(text).value;
      assert.doesNotThrow(() => checkNotIpv4Alias(6, { start: v, end: v }, text), text);
    }
    const v4 = ip('10.50.0.2').value;
    assert.doesNotThrow(() => checkNotIpv4Alias(4, { start: v4, end: v4 }, '10.50.0.2'));
  });

  test('SUB-3 a subnet CIDR that aliases IPv4 space → InvalidCIDR on spec.cidrBlock, naming the block', () => {
    for (const cidrBlock of [
      '::ffff:10.50.0.0/120',
      '::ffff:a32:0/120',
      '::/112',
      '::/64',
      '10.50.0.0/24,::ffff:0:0/100',
    ]) {
      throwsIpam(() => buildSubnet({ name: 's', cidrBlock }), {
        code: ErrorCode.InvalidCIDR,
        field: 'spec.cidrBlock',
      });
    }
    const e = throwsIpam(() => buildSubnet({ name: 's', cidrBlock: '::ffff:10.50.0.0/120' }), {
      code: ErrorCode.InvalidCIDR,
      includes: '::ffff:0:0/96, the IPv4-mapped IPv6 addresses',
    });
    assert.match(e.message, /stands for the IPv4 address 10\.50\.0\.0/);
    for (const cidrBlock of ['fd00::/64', '2001:db8::/64', '10.50.0.0/24,fd50::/120'])
      assert.doesNotThrow(() => buildSubnet({ name: 's', cidrBlock }), cidrBlock);
  });

  test('SUB-4 POOL-1 SPP-2 SPR-3 exclusions, pool entries, Spider ranges and reservations', () => {
    const dual = buildSubnet({ name: 'd', cidrBlock: '10.50.0.0/24,fd50::/120' });
    throwsIpam(() => buildSubnet({ name: 'd', cidrBlock: 'fd50::/120', excludeIps: ['::ffff:a32:5'] }), {
      code: ErrorCode.InvalidRange,
      field: 'spec.excludeIps[0]',
    });
    throwsIpam(() => buildIPPool({ name: 'p', subnet: 'd', ips: ['::ffff:10.50.0.0/120'] }, dual), {
      code: ErrorCode.InvalidCIDR,
    });
    throwsIpam(() => buildIPPool({ name: 'p', subnet: 'd', ips: ['::ffff:a32:5..::ffff:a32:9'] }, dual), {
      code: ErrorCode.InvalidRange,
    });
    throwsIpam(() => buildSpiderPool({ name: 'sp', subnet: '::ffff:a32:0/120', ips: ['::ffff:a32:5'] }), {
      code: ErrorCode.InvalidCIDR,
      field: 'spec.subnet',
    });
    throwsIpam(() => buildReservation({ name: 'r', ips: ['::ffff:10.50.0.5'] }), {
      code: ErrorCode.InvalidRange,
    });
    assert.throws(() => parseRange('::1-fd00::1', { separator: '-' }), /stands for the IPv4 address/);
  });

  test('routes are not address spaces: ::/0 still parses as a CIDR', () => {
    assert.equal(parseCidr('::/0').prefix, 0);
    assert.throws(() => parseCidr('::/0', { addressSpace: true }), /::\/96, the IPv4-compatible/);
    assert.throws(() => parseCidr('::ffff:0:0/100', { addressSpace: true }), /IPv4-mapped/);
  });

  test('STA-1 CNI-3 IPR-2 static requests: allocate and the ip_address annotation refuse them', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'v4', cidrBlock: '10.50.0.0/24' });
    throwsIpam(
      () => allocate(engine, { key: 'p.default', subnet: 'v4', addresses: [ip('::ffff:10.50.0.2')] }),
      {
        code: ErrorCode.InvalidAddress,
        includes: 'stands for the IPv4 address 10.50.0.2',
      },
    );
    assert.equal(engine.leases.size, 0, 'nothing held');
    const parsed = parsePodRequest({ 'ovn.kubernetes.io/ip_address': '::ffff:10.50.0.2' });
    assert.equal(parsed.errors[0]?.code, ErrorCode.InvalidAnnotation);
    assert.match(parsed.errors[0]?.message ?? '', /IPv4-mapped/);
  });
});
