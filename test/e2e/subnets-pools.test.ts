/**
 * Subnets, Kube-OVN IPPools, SpiderIPPools and SpiderReservedIPs (SPEC §4, §6 POOL-*, §8) through the real kubectl
 * against one real daemon. Each test works in its own CIDRs, so they share the daemon.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { E2E, assertFieldError, make } from './e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

describe('subnets, pools and reservations through kubectl', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  before(async () => {
    e = await E2E.start();
  });
  after(() => e.close());

  const status = async (kind: string, name: string): Promise<Record<string, unknown>> =>
    (await e.must(kind, name)).status ?? {};

  /** Refused, naming `field`, and nothing changed anywhere. */
  async function refused(
    obj: ReturnType<typeof make.subnet>,
    field: string,
    pattern?: RegExp,
  ): Promise<string> {
    const before = await e.snapshot();
    const err = await e.applyFails(obj);
    assertFieldError(err, field, pattern);
    assert.equal(await e.snapshot(), before, `no state change after: ${err}`);
    return err;
  }

  test('SUB-1 a /24 alone: gateway .1, excludeIps holds it, IPv4, 253 available (status and column)', async () => {
    await e.apply(make.subnet('sub1', { cidrBlock: '10.101.0.0/24' }));
    const s = await e.must('subnet', 'sub1');
    assert.equal(s.spec['gateway'], '10.101.0.1');
    assert.ok((s.spec['excludeIps'] as string[]).includes('10.101.0.1'));
    assert.equal(s.spec['protocol'], 'IPv4');
    assert.equal(s.status?.['v4availableIPs'], 253);
    assert.equal(s.status?.['v4usingIPs'], 0);
    const [header, row] = await e.table(['subnet', 'sub1']);
    assert.equal(row![header!.indexOf('V4AVAILABLE')], '253');
    assert.equal(row![header!.indexOf('PROTOCOL')], 'IPv4');
  });

  test('SUB-2 a dual CIDR: protocol Dual, a one-family gateway completed with the other family', async () => {
    await e.apply(
      make.subnet('sub2a', { cidrBlock: '10.102.0.0/24,fd02::/120' }),
      make.subnet('sub2b', { cidrBlock: '10.103.0.0/24,fd03::/120', gateway: 'fd03::1' }),
    );
    const a = await e.must('subnet', 'sub2a');
    assert.equal(a.spec['protocol'], 'Dual');
    assert.equal(a.spec['gateway'], '10.102.0.1,fd02::1');
    const b = await e.must('subnet', 'sub2b');
    assert.equal(b.spec['protocol'], 'Dual');
    assert.equal(b.spec['gateway'], '10.103.0.1,fd03::1');
    assert.equal(a.status?.['v4availableIPs'], 253);
    // fd02::/120 holds 256 addresses; the gateway and the all-ones address are never given.
    const v6 = a.status?.['v6availableIPs'] as number;
    assert.ok(v6 > 250 && v6 <= 254, `v6availableIPs ${v6}`);
    assert.ok((a.spec['excludeIps'] as string[]).includes('fd02::1'));
  });

  test('SUB-3 host bits are normalised; /32 and /128 are refused', async () => {
    await e.apply(make.subnet('sub3', { cidrBlock: '10.104.0.77/24' }));
    assert.equal((await e.must('subnet', 'sub3')).spec['cidrBlock'], '10.104.0.0/24');
    await refused(make.subnet('sub3b', { cidrBlock: '10.105.0.7/32' }), 'spec.cidrBlock', /\/32/);
    await refused(make.subnet('sub3c', { cidrBlock: 'fd05::1/128' }), 'spec.cidrBlock', /\/128/);
  });

  test('SUB-4 ENG-2 ENG-3 excludeIps: ip and a..b, overlaps merged; reversed or unparsable refused', async () => {
    await e.apply(
      make.subnet('sub4', {
        cidrBlock: '10.106.0.0/24',
        excludeIps: ['10.106.0.2..10.106.0.9', '10.106.0.8..10.106.0.12', '10.106.0.20'],
      }),
    );
    const s = await e.must('subnet', 'sub4');
    // Overlapping and adjacent entries merge (the gateway .1 joins .2–.12).
    assert.deepEqual(s.spec['excludeIps'], ['10.106.0.1..10.106.0.12', '10.106.0.20']);
    // 253 (254 hosts less the gateway) − 11 (.2–.12) − 1 (.20).
    assert.equal(s.status?.['v4availableIPs'], 241);
    // ENG-2: a dynamic request skips the excluded addresses; ENG-3: a static one may name one.
    await e.apply(
      make.reservation('dyn', 'sub4', 'sub4'),
      make.reservation('stat', 'sub4', 'sub4', { v4IpAddress: '10.106.0.5' }),
    );
    assert.equal((await e.must('ip', 'dyn.sub4')).spec['v4IpAddress'], '10.106.0.13');
    assert.equal((await e.must('ip', 'stat.sub4')).spec['v4IpAddress'], '10.106.0.5');

    const reversed = await refused(
      make.subnet('sub4b', { cidrBlock: '10.107.0.0/24', excludeIps: ['10.107.0.9..10.107.0.5'] }),
      'spec.excludeIps[0]',
    );
    assert.match(reversed, /10\.107\.0\.9\.\.10\.107\.0\.5/);
    await refused(
      make.subnet('sub4c', { cidrBlock: '10.107.0.0/24', excludeIps: ['10.107.0.x'] }),
      'spec.excludeIps[0]',
    );
    await refused(
      make.subnet('sub4d', { cidrBlock: '10.107.0.0/24', excludeIps: ['10.107.0.1', '10.107.0.3..'] }),
      'spec.excludeIps[1]',
    );
  });

  test('SUB-5 a gateway outside the CIDR or on the network/broadcast address is refused', async () => {
    await refused(
      make.subnet('sub5a', { cidrBlock: '10.108.0.0/24', gateway: '10.109.0.1' }),
      'spec.gateway',
    );
    await refused(
      make.subnet('sub5b', { cidrBlock: '10.108.0.0/24', gateway: '10.108.0.0' }),
      'spec.gateway',
    );
    await refused(
      make.subnet('sub5c', { cidrBlock: '10.108.0.0/24', gateway: '10.108.0.255' }),
      'spec.gateway',
    );
    await e.apply(make.subnet('sub5', { cidrBlock: '10.108.0.0/24', gateway: '10.108.0.254' }));
    assert.ok(((await e.must('subnet', 'sub5')).spec['excludeIps'] as string[]).includes('10.108.0.254'));
  });

  test('SUB-6 a CIDR overlapping another subnet is refused naming it', async () => {
    await e.apply(make.subnet('sub6', { cidrBlock: '10.110.0.0/24' }));
    await refused(make.subnet('sub6b', { cidrBlock: '10.110.0.128/25' }), 'spec.cidrBlock', /sub6\b/);
    await refused(make.subnet('sub6c', { cidrBlock: '10.110.0.0/16' }), 'spec.cidrBlock', /sub6\b/);
    await refused(make.subnet('sub6d', { cidrBlock: '10.16.0.0/24' }), 'spec.cidrBlock', /ovn-default/);
  });

  test('SUB-7 per-family counters move with every allocation and release; a v4-only subnet never counts v6', async () => {
    await e.apply(
      make.subnet('sub7', { cidrBlock: '10.111.0.0/24,fd11::/120', excludeIps: ['10.111.0.2..10.111.0.11'] }),
    );
    const s0 = await status('subnet', 'sub7');
    // The v4 excludes shrink only the v4 space.
    assert.equal((s0['v6availableIPs'] as number) - (s0['v4availableIPs'] as number), 10);
    await e.apply(make.reservation('d1', 'sub7', 'sub7'), make.reservation('d2', 'sub7', 'sub7'));
    const s1 = await status('subnet', 'sub7');
    assert.equal(s1['v4usingIPs'], 2);
    assert.equal(s1['v6usingIPs'], 2);
    assert.equal(s1['v4availableIPs'], (s0['v4availableIPs'] as number) - 2);
    assert.equal(s1['v6availableIPs'], (s0['v6availableIPs'] as number) - 2);
    const ip = await e.must('ip', 'd1.sub7');
    assert.equal(ip.spec['ipAddress'], `${String(ip.spec['v4IpAddress'])},${String(ip.spec['v6IpAddress'])}`);
    const [header, row] = await e.table(['subnet', 'sub7']);
    assert.equal(row![header!.indexOf('V4USED')], '2');
    assert.equal(row![header!.indexOf('V6USED')], '2');
    await e.ok(['delete', 'ip', 'd1.sub7']);
    const s2 = await status('subnet', 'sub7');
    assert.equal(s2['v4usingIPs'], 1);
    assert.equal(s2['v6usingIPs'], 1);
    // A v4-only subnet: v4 allocations leave every v6 counter at zero.
    await e.apply(make.reservation('d3', 'sub1', 'sub1'));
    const v4only = await status('subnet', 'sub1');
    assert.equal(v4only['v4usingIPs'], 1);
    assert.equal(v4only['v6usingIPs'], 0);
    assert.equal(v4only['v6availableIPs'], 0);
  });

  test('SUB-9 deleting a subnet in use or changing its gateway is refused with the count; after release it works', async () => {
    await e.apply(make.subnet('sub9', { cidrBlock: '10.112.0.0/24' }));
    await e.apply(make.reservation('a', 'sub9', 'sub9'), make.reservation('b', 'sub9', 'sub9'));
    const before = await e.snapshot();
    const del = await e.fails(['delete', 'subnet', 'sub9', '--wait=false']);
    assert.match(del, /Forbidden|forbidden/);
    assert.match(del, /\b2\b/, `the count of addresses in use: ${del}`);
    const gw = await e.fails([
      'patch',
      'subnet',
      'sub9',
      '--type',
      'merge',
      '-p',
      '{"spec":{"gateway":"10.112.0.254"}}',
    ]);
    assert.match(gw, /\b2\b/);
    assert.equal(await e.snapshot(), before);
    await e.ok(['delete', 'ip', 'a.sub9', 'b.sub9']);
    await e.ok(['patch', 'subnet', 'sub9', '--type', 'merge', '-p', '{"spec":{"gateway":"10.112.0.254"}}']);
    assert.equal((await e.must('subnet', 'sub9')).spec['gateway'], '10.112.0.254');
    await e.ok(['delete', 'subnet', 'sub9']);
    assert.equal(await e.get('subnet', 'sub9'), undefined);
  });

  test('POOL-1 POOL-4 POOL-5 an IPPool is carved out of its subnet; deleting it returns the free addresses', async () => {
    // 10.113.0.0/28: hosts .2–.14 (gateway .1); the pool takes .2–.13, leaving .14 to everyone else.
    await e.apply(make.subnet('pool1', { cidrBlock: '10.113.0.0/28' }));
    await e.apply(make.ippool('carve', { subnet: 'pool1', ips: ['10.113.0.2..10.113.0.13'] }));
    await e.apply(make.reservation('a', 'pool1', 'pool1'));
    assert.equal((await e.must('ip', 'a.pool1')).spec['v4IpAddress'], '10.113.0.14');
    const before = await e.snapshot();
    const full = await e.applyFails(make.reservation('b', 'pool1', 'pool1'));
    assert.match(full, /no available|NoAvailableAddress|Forbidden|forbidden/i);
    assert.equal(await e.snapshot(), before, 'no address outside the pool left: nothing created');
    // A static request inside the pool is its own choice (ENG-3); it shows in the pool's counters (POOL-5).
    await e.apply(make.reservation('c', 'pool1', 'pool1', { v4IpAddress: '10.113.0.5' }));
    const rows = await e.table(['ippool', 'carve']);
    assert.deepEqual(rows[0], ['NAME', 'SUBNET', 'IPS', 'V4USED', 'V4AVAILABLE', 'V6USED', 'V6AVAILABLE']);
    assert.deepEqual(rows[1], ['carve', 'pool1', '["10.113.0.2..10.113.0.13"]', '1', '11', '0', '0']);
    const pst = await status('ippool', 'carve');
    assert.equal(pst['v4UsingIPs'], 1);
    assert.equal(pst['v4AvailableIPs'], 11);
    assert.equal(pst['v4UsingIPRange'], '10.113.0.5');
    // POOL-1: subnet is immutable.
    const imm = await e.fails([
      'patch',
      'ippool',
      'carve',
      '--type',
      'merge',
      '-p',
      '{"spec":{"subnet":"sub1"}}',
    ]);
    assertFieldError(imm, 'spec.subnet', /immutable|cannot change/);
    assert.equal((await e.must('ippool', 'carve')).spec['subnet'], 'pool1');
    // POOL-4: delete the pool → its free addresses go back to the subnet; the held one stays with its holder.
    await e.ok(['delete', 'ippool', 'carve']);
    assert.equal(await e.get('ippool', 'carve'), undefined);
    await e.apply(make.reservation('b', 'pool1', 'pool1'));
    assert.equal((await e.must('ip', 'b.pool1')).spec['v4IpAddress'], '10.113.0.2');
    assert.equal((await e.must('ip', 'c.pool1')).spec['v4IpAddress'], '10.113.0.5');
    assert.equal((await status('subnet', 'pool1'))['v4usingIPs'], 3);
  });

  test('POOL-1 POOL-2 pool addresses must lie in the subnet; two overlapping pools: the second refused naming the first', async () => {
    await e.apply(make.subnet('pool2', { cidrBlock: '10.114.0.0/24' }));
    await e.apply(make.ippool('first', { subnet: 'pool2', ips: ['10.114.0.10..10.114.0.19'] }));
    await refused(
      make.ippool('second', { subnet: 'pool2', ips: ['10.114.0.15', '10.114.0.100'] }),
      'spec.ips',
      /first/,
    );
    await refused(make.ippool('outside', { subnet: 'pool2', ips: ['10.115.0.10'] }), 'spec.ips[0]');
    await refused(make.ippool('nosubnet', { subnet: 'no-such', ips: ['10.115.0.10'] }), 'spec.subnet');
    // A dual pool with a CIDR entry and a range: counts per family.
    await e.apply(make.subnet('pool2d', { cidrBlock: '10.116.0.0/24,fd16::/120' }));
    await e.apply(
      make.ippool('dualpool', { subnet: 'pool2d', ips: ['10.116.0.64/29', 'fd16::10..fd16::13'] }),
    );
    const st = await status('ippool', 'dualpool');
    assert.equal(st['v4AvailableIPs'], 8);
    assert.equal(st['v6AvailableIPs'], 4);
  });

  test('SPP-1 the subnet must be canonical (hint given); ipVersion derived; subnet and ipVersion immutable', async () => {
    const err = await refused(
      make.spiderPool('spp1x', { subnet: '10.6.0.1/16', ips: ['10.6.0.10'] }),
      'spec.subnet',
    );
    assert.match(err, /10\.6\.0\.0\/16/, 'the hint names the canonical CIDR');
    await e.apply(make.spiderPool('spp1', { subnet: '10.6.0.0/16', ips: ['10.6.0.10-10.6.0.20'] }));
    assert.equal((await e.must('sp', 'spp1')).spec['ipVersion'], 4);
    const sub = await e.fails([
      'patch',
      'sp',
      'spp1',
      '--type',
      'merge',
      '-p',
      '{"spec":{"subnet":"10.6.0.0/17"}}',
    ]);
    assertFieldError(sub, 'spec.subnet', /immutable|cannot change/);
    const ver = await e.fails(['patch', 'sp', 'spp1', '--type', 'merge', '-p', '{"spec":{"ipVersion":6}}']);
    assertFieldError(ver, 'spec.ipVersion', /immutable|cannot change/);
    const sp = await e.must('sp', 'spp1');
    assert.equal(sp.spec['subnet'], '10.6.0.0/16');
    assert.equal(sp.spec['ipVersion'], 4);
    // A v6 pool derives 6.
    await e.apply(make.spiderPool('spp1v6', { subnet: 'fd06::/120', ips: ['fd06::10-fd06::20'] }));
    assert.equal((await e.must('sp', 'spp1v6')).spec['ipVersion'], 6);
  });

  test('SPP-2 ips items: merged and sorted when stored; spaces, CIDRs, reversed, outside the subnet refused', async () => {
    await e.apply(
      make.spiderPool('spp2', {
        subnet: '10.7.0.0/24',
        ips: ['10.7.0.7', '10.7.0.1-10.7.0.3', '10.7.0.2-10.7.0.5'],
      }),
    );
    assert.deepEqual((await e.must('sp', 'spp2')).spec['ips'], ['10.7.0.1-10.7.0.5', '10.7.0.7']);
    assert.equal((await status('sp', 'spp2'))['totalIPCount'], 6);
    await refused(
      make.spiderPool('spp2a', { subnet: '10.8.0.0/24', ips: ['10.8.0.5 - 10.8.0.9'] }),
      'spec.ips[0]',
    );
    await refused(make.spiderPool('spp2b', { subnet: '10.8.0.0/24', ips: ['10.8.0.0/28'] }), 'spec.ips[0]');
    await refused(
      make.spiderPool('spp2c', { subnet: '10.8.0.0/24', ips: ['10.8.0.9-10.8.0.5'] }),
      'spec.ips[0]',
    );
    await refused(make.spiderPool('spp2d', { subnet: '10.8.0.0/24', ips: ['10.9.0.9'] }), 'spec.ips[0]');
    await refused(
      make.spiderPool('spp2e', {
        subnet: '10.8.0.0/24',
        ips: ['10.8.0.2'],
        excludeIPs: ['10.8.0.9-10.8.0.1'],
      }),
      'spec.excludeIPs[0]',
    );
  });

  test('SPP-3 same subnet: disjoint effective sets coexist, overlapping ones are Forbidden naming the pool; overlapping subnets refused', async () => {
    await e.apply(
      make.spiderPool('spp3a', {
        subnet: '10.9.0.0/24',
        ips: ['10.9.0.10-10.9.0.20'],
        excludeIPs: ['10.9.0.20'],
      }),
    );
    await e.apply(make.spiderPool('spp3b', { subnet: '10.9.0.0/24', ips: ['10.9.0.20-10.9.0.30'] }));
    await refused(
      make.spiderPool('spp3c', { subnet: '10.9.0.0/24', ips: ['10.9.0.15'] }),
      'spec.ips',
      /Forbidden: overlap with IPPool spp3a/,
    );
    await refused(
      make.spiderPool('spp3d', { subnet: '10.9.0.0/25', ips: ['10.9.0.100'] }),
      'spec.subnet',
      /spp3a|spp3b/,
    );
    // A SpiderIPPool overlapping a Subnet without being equal to its CIDR is refused too.
    await refused(
      make.spiderPool('spp3e', { subnet: '10.101.0.0/16', ips: ['10.101.0.50'] }),
      'spec.subnet',
      /sub1/,
    );
  });

  test('SPP-4 a gateway inside ips must be excluded', async () => {
    await refused(
      make.spiderPool('spp4a', {
        subnet: '10.10.0.0/24',
        gateway: '10.10.0.5',
        ips: ['10.10.0.1-10.10.0.10'],
      }),
      'spec.ips[0]',
      /10\.10\.0\.5/,
    );
    await e.apply(
      make.spiderPool('spp4', {
        subnet: '10.10.0.0/24',
        gateway: '10.10.0.5',
        ips: ['10.10.0.1-10.10.0.10'],
        excludeIPs: ['10.10.0.5'],
      }),
    );
    assert.equal((await status('sp', 'spp4'))['totalIPCount'], 9);
  });

  test('SPP-7 totalIPCount is capped at 2^63-1 for a huge IPv6 pool, exact in JSON and in the column', async () => {
    await e.apply(
      make.spiderPool('spp7', { subnet: 'fd07::/64', ips: ['fd07::1-fd07::ffff:ffff:ffff:fffe'] }),
    );
    const raw = await e.ok(['get', 'sp', 'spp7', '-o', 'json']);
    assert.match(raw, /"totalIPCount": 9223372036854775807\b/);
    assert.match(raw, /"allocatedIPCount": 0\b/);
    const [header, row] = await e.table(['sp', 'spp7']);
    assert.equal(row![header!.indexOf('TOTAL-IP-COUNT')], '9223372036854775807');
    assert.equal(row![header!.indexOf('VERSION')], '6');
  });

  test('SPP-7 SPP-8 a held address: counted, cannot be removed or excluded (names the holder), delete refused with the count', async () => {
    // The pool's subnet equals a Subnet's CIDR, so a static reservation in that Subnet holds a pool address.
    await e.apply(make.subnet('sub42', { cidrBlock: '172.18.42.0/24' }));
    await e.apply(make.spiderPool('spp8', { subnet: '172.18.42.0/24', ips: ['172.18.42.41-172.18.42.50'] }));
    await e.apply(make.reservation('holder', 'sp8', 'sub42', { v4IpAddress: '172.18.42.50' }));
    const st = await status('sp', 'spp8');
    assert.equal(st['allocatedIPCount'], 1);
    assert.equal(st['totalIPCount'], 10);
    assert.deepEqual(Object.keys(JSON.parse(String(st['allocatedIPs'])) as object), ['172.18.42.50']);
    // A dynamic reservation in the subnet does not take pool addresses.
    await e.apply(make.reservation('dyn', 'sp8', 'sub42'));
    assert.equal((await e.must('ip', 'dyn.sp8')).spec['v4IpAddress'], '172.18.42.2');

    const before = await e.snapshot();
    const shrink = await e.fails([
      'patch',
      'sp',
      'spp8',
      '--type',
      'merge',
      '-p',
      '{"spec":{"ips":["172.18.42.41-172.18.42.49"]}}',
    ]);
    assert.match(shrink, /Forbidden|forbidden/);
    assert.match(shrink, /holder\.sp8/);
    const exclude = await e.fails([
      'patch',
      'sp',
      'spp8',
      '--type',
      'merge',
      '-p',
      '{"spec":{"excludeIPs":["172.18.42.50"]}}',
    ]);
    assert.match(exclude, /holder\.sp8/);
    const del = await e.fails(['delete', 'sp', 'spp8', '--wait=false']);
    assert.match(del, /Forbidden|forbidden/);
    assert.match(del, /\(1\)|\b1\b/, `the count: ${del}`);
    assert.equal(await e.snapshot(), before);
    // Released → the pool can go.
    await e.ok(['delete', 'ip', 'holder.sp8']);
    assert.equal((await status('sp', 'spp8'))['allocatedIPCount'], 0);
    await e.ok(['delete', 'sp', 'spp8']);
    assert.equal(await e.get('sp', 'spp8'), undefined);
  });

  test('SPR-1 a SpiderReservedIP removes its addresses from every subnet and pool at once; deleting gives them back', async () => {
    await e.apply(make.subnet('spr1', { cidrBlock: '10.120.0.0/24' }));
    await e.apply(make.ippool('spr1pool', { subnet: 'spr1', ips: ['10.120.0.100..10.120.0.109'] }));
    const s0 = await status('subnet', 'spr1');
    const p0 = await status('ippool', 'spr1pool');
    // Five in the subnet outside the pool (.2–.6), three inside the pool (.100–.102).
    await e.apply(
      make.spiderReserved('spr1res', { ips: ['10.120.0.2-10.120.0.6', '10.120.0.100-10.120.0.102'] }),
    );
    const s1 = await status('subnet', 'spr1');
    const p1 = await status('ippool', 'spr1pool');
    assert.equal(s1['v4availableIPs'], (s0['v4availableIPs'] as number) - 8);
    assert.equal(p1['v4AvailableIPs'], (p0['v4AvailableIPs'] as number) - 3);
    // Nothing hands them out: a dynamic reservation skips .2–.6, a static one is refused naming the reservation.
    await e.apply(make.reservation('r1', 'spr1', 'spr1'));
    assert.equal((await e.must('ip', 'r1.spr1')).spec['v4IpAddress'], '10.120.0.7');
    assertFieldError(
      await e.applyFails(make.reservation('r2', 'spr1', 'spr1', { v4IpAddress: '10.120.0.3' })),
      'spec.v4IpAddress',
      /spr1res/,
    );
    await e.ok(['delete', 'sr', 'spr1res']);
    assert.equal((await status('subnet', 'spr1'))['v4availableIPs'], (s0['v4availableIPs'] as number) - 1);
    assert.equal((await status('ippool', 'spr1pool'))['v4AvailableIPs'], p0['v4AvailableIPs']);
    await e.apply(make.reservation('r2', 'spr1', 'spr1', { v4IpAddress: '10.120.0.3' }));
  });

  test('SPR-3 empty ips and reversed ranges refused; ipVersion derived and immutable', async () => {
    await refused(make.spiderReserved('spr3a', { ips: [] }), 'spec.ips');
    await refused(make.spiderReserved('spr3b', { ips: ['10.121.0.9-10.121.0.1'] }), 'spec.ips[0]');
    await refused(make.spiderReserved('spr3c', { ipVersion: 6, ips: ['10.121.0.1'] }), 'spec.ipVersion');
    await e.apply(make.spiderReserved('spr3', { ips: ['10.121.0.1-10.121.0.9'] }));
    assert.equal((await e.must('sr', 'spr3')).spec['ipVersion'], 4);
    const ver = await e.fails(['patch', 'sr', 'spr3', '--type', 'merge', '-p', '{"spec":{"ipVersion":6}}']);
    assertFieldError(ver, 'spec.ipVersion', /immutable|cannot change/);
    const fam = await e.fails([
      'patch',
      'sr',
      'spr3',
      '--type',
      'merge',
      '-p',
      '{"spec":{"ips":["fd21::1"]}}',
    ]);
    assertFieldError(fam, 'spec.ipVersion');
    assert.deepEqual((await e.must('sr', 'spr3')).spec, { ipVersion: 4, ips: ['10.121.0.1-10.121.0.9'] });
  });
});
