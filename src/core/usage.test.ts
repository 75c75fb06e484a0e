import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatValue } from './ip/address.js';
import { allocate } from './allocate.js';
import { ippoolUsage, spiderPoolUsage, subnetUsage } from './usage.js';
import { addIPPool, addReservation, addSpiderPool, addSubnet, ip, newEngine } from './harness.test.js';

/** Counters computed from the allocator (SUB-7, POOL-5, SPP-7). */

describe('SUB-7 subnet usage per family', () => {
  test('SUB-1 SUB-7 10.16.0.0/24 alone → V4AVAILABLE 253, V4USED 0', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/24' });
    const [v4] = subnetUsage(engine, 's')!;
    assert.deepEqual({ ...v4 }, { family: 4, using: 0, available: 253n });
  });

  test('SUB-7 the seed: 7 allocations in 10.16.0.0/16 → V4USED 7, V4AVAILABLE 65526; releases give them back', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'ovn-default', cidrBlock: '10.16.0.0/16', gateway: '10.16.0.1' });
    assert.equal(subnetUsage(engine, 'ovn-default')![0]!.available, 65533n);
    for (let i = 0; i < 7; i++) allocate(engine, { key: `k${i}`, subnet: 'ovn-default' });
    const [v4] = subnetUsage(engine, 'ovn-default', { ranges: true })!;
    assert.equal(v4!.using, 7);
    assert.equal(v4!.available, 65526n);
    assert.equal(v4!.usingRange, '10.16.0.2-10.16.0.8');
    assert.equal(v4!.availableRange, '10.16.0.9-10.16.255.254');
    engine.release('k3');
    const [after] = subnetUsage(engine, 'ovn-default', { ranges: true })!;
    assert.equal(after!.using, 6);
    assert.equal(after!.available, 65527n);
    assert.equal(after!.usingRange, '10.16.0.2-10.16.0.4,10.16.0.6-10.16.0.8');
    assert.equal(after!.availableRange, '10.16.0.5,10.16.0.9-10.16.255.254');
  });

  test('SUB-7 a v4-only allocation in a dual subnet does not count against v6', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.16.0.0/24,fd00:10:16::/120' });
    allocate(engine, { key: 'a', subnet: 'd', families: [4] });
    allocate(engine, { key: 'b', subnet: 'd' });
    const [v4, v6] = subnetUsage(engine, 'd')!;
    assert.deepEqual({ ...v4 }, { family: 4, using: 2, available: 251n });
    assert.deepEqual({ ...v6 }, { family: 6, using: 1, available: 252n });
    engine.release('b', { families: [6] });
    assert.equal(subnetUsage(engine, 'd')![1]!.using, 0);
    assert.equal(subnetUsage(engine, 'd')![0]!.using, 2);
  });

  test('SUB-7 an excluded address taken statically is not counted; a reserved held one counts as using, never available', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/28', excludeIps: ['10.0.0.2'] });
    const base = subnetUsage(engine, 's')![0]!;
    assert.equal(base.available, 12n);
    allocate(engine, { key: 'x', subnet: 's', addresses: [ip('10.0.0.2')] });
    assert.deepEqual({ ...subnetUsage(engine, 's')![0]! }, { family: 4, using: 0, available: 12n });
    allocate(engine, { key: 'r', subnet: 's', addresses: [ip('10.0.0.3')] });
    addReservation(engine, { name: 'res', ips: ['10.0.0.3-10.0.0.4'] });
    const u = subnetUsage(engine, 's', { ranges: true })![0]!;
    assert.equal(u.using, 1);
    assert.equal(u.available, 10n);
    assert.equal(u.usingRange, '10.0.0.3');
    assert.equal(u.availableRange, '10.0.0.5-10.0.0.14');
  });

  test('SUB-7 pool addresses belong to the subnet counters too (as in Kube-OVN)', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/28' });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.10..10.0.0.11'] });
    allocate(engine, { key: 'a', ippool: 'p' });
    assert.deepEqual({ ...subnetUsage(engine, 's')![0]! }, { family: 4, using: 1, available: 12n });
  });

  test('SUB-7 ENG-7 a /64 counts exactly and cheaply', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's6', cidrBlock: 'fd00::/64', excludeIps: ['fd00::100..fd00::1ff'] });
    for (let i = 0; i < 3; i++) allocate(engine, { key: `k${i}`, subnet: 's6' });
    const [v6] = subnetUsage(engine, 's6', { ranges: true })!;
    assert.equal(v6!.using, 3);
    assert.equal(v6!.available, 2n ** 64n - 2n - 1n - 256n - 3n);
    assert.equal(v6!.usingRange, 'fd00::2-fd00::4');
    assert.equal(v6!.availableRange, 'fd00::5-fd00::ff,fd00::200-fd00::ffff:ffff:ffff:fffe');
  });

  test('SUB-7 an unknown subnet has no usage', () => {
    assert.equal(subnetUsage(newEngine(), 'nope'), undefined);
  });
});

describe('POOL-5 IPPool usage', () => {
  test('POOL-5 using/available counts and ranges per family, excludeIps and reserved left out', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24,fd00::/120', excludeIps: ['10.0.0.12'] });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.10..10.0.0.14', 'fd00::20..fd00::21'] });
    addReservation(engine, { name: 'r', ips: ['10.0.0.14'] });
    allocate(engine, { key: 'a', ippool: 'p' });
    const [v4, v6] = ippoolUsage(engine, 'p', { ranges: true })!;
    assert.deepEqual(
      { ...v4 },
      { family: 4, using: 1, available: 2n, usingRange: '10.0.0.10', availableRange: '10.0.0.11,10.0.0.13' },
    );
    assert.deepEqual(
      { ...v6 },
      { family: 6, using: 1, available: 1n, usingRange: 'fd00::20', availableRange: 'fd00::21' },
    );
    engine.release('a');
    assert.equal(ippoolUsage(engine, 'p')![0]!.available, 3n);
  });

  test('POOL-5 a single-family pool in a dual subnet shows zeros for the other family', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24,fd00::/120' });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.10..10.0.0.11'] });
    const [v4, v6] = ippoolUsage(engine, 'p', { ranges: true })!;
    assert.equal(v4!.available, 2n);
    assert.deepEqual({ ...v6 }, { family: 6, using: 0, available: 0n, usingRange: '', availableRange: '' });
    assert.equal(ippoolUsage(engine, 'nope'), undefined);
  });
});

describe('SPP-7 SpiderIPPool usage', () => {
  test('SPP-7 allocated addresses with their holders, and the total count', () => {
    const engine = newEngine();
    addSpiderPool(engine, {
      name: 'p',
      subnet: '172.18.0.0/24',
      ips: ['172.18.0.1-172.18.0.10'],
      excludeIPs: ['172.18.0.5'],
    });
    allocate(engine, { key: 'default/b', spiderPools: { ipv4: ['p'], ipv6: [] } });
    allocate(engine, { key: 'default/a', spiderPools: { ipv4: ['p'], ipv6: [] } });
    const u = spiderPoolUsage(engine, 'p')!;
    assert.equal(u.total, 9n);
    assert.deepEqual(
      u.allocated.map(([v, lease]) => [formatValue(4, v), lease.key]),
      [
        ['172.18.0.1', 'default/b'],
        ['172.18.0.2', 'default/a'],
      ],
    );
    assert.equal(spiderPoolUsage(engine, 'nope'), undefined);
  });

  test('SPP-7 totalIPCount is capped at 2^63−1 for a huge IPv6 pool', () => {
    const engine = newEngine();
    addSpiderPool(engine, {
      name: 'huge',
      subnet: 'fd00::/32',
      ips: ['fd00::-fd00:0:ffff:ffff:ffff:ffff:ffff:ffff'],
    });
    assert.equal(spiderPoolUsage(engine, 'huge')!.total, 2n ** 63n - 1n);
    addSpiderPool(engine, { name: 'fits', subnet: 'fd01::/64', ips: ['fd01::-fd01::7fff:ffff:ffff:fffe'] });
    assert.equal(spiderPoolUsage(engine, 'fits')!.total, 2n ** 63n - 1n);
    addSpiderPool(engine, { name: 'below', subnet: 'fd02::/64', ips: ['fd02::1-fd02::7fff:ffff:ffff:fffe'] });
    assert.equal(spiderPoolUsage(engine, 'below')!.total, 2n ** 63n - 2n);
  });
});
