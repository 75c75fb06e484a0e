import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate } from './allocate.js';
import { Engine } from './engine.js';
import { ErrorCode } from './errors.js';
import { mulberry32 } from './random.js';
import { spiderPoolUsage } from './usage.js';
import { buildSubnet } from './model/subnet.js';
import { buildSpiderPool } from './model/spider-pool.js';
import {
  addIPPool,
  addReservation,
  addSpiderPool,
  addSubnet,
  ip,
  newEngine,
  reload,
  texts,
  throwsIpam,
} from './harness.test.js';

/** Configuration rules the engine checks across objects (SPEC §4, §6, §8), and revert / save / load. */

describe('SUB-6 SUB-9 subnets', () => {
  test('SUB-6 a CIDR overlapping another subnet is rejected, naming the other subnet', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'first', cidrBlock: '10.16.0.0/16' });
    throwsIpam(() => addSubnet(engine, { name: 'second', cidrBlock: '10.16.5.0/24' }), {
      code: ErrorCode.InvalidSubnet,
      field: 'spec.cidrBlock',
      holder: 'first',
    });
    throwsIpam(() => addSubnet(engine, { name: 'second', cidrBlock: '10.0.0.0/8' }), {
      code: ErrorCode.InvalidSubnet,
      holder: 'first',
    });
    addSubnet(engine, { name: 'd', cidrBlock: '10.17.0.0/16,fd00::/112' });
    throwsIpam(() => addSubnet(engine, { name: 'v6', cidrBlock: 'fd00::/120' }), {
      code: ErrorCode.InvalidSubnet,
      holder: 'd',
    });
    assert.deepEqual([...engine.subnets.keys()], ['first', 'd']);
  });

  test('SUB-6 replacing a subnet with itself is not an overlap', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/16' });
    addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/16', excludeIps: ['10.16.0.5'] });
    assert.deepEqual(engine.subnets.get('s')?.excludeIps, ['10.16.0.1', '10.16.0.5']);
  });

  test('SUB-9 removing a subnet in use → InUse; after release it goes', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/24' });
    allocate(engine, { key: 'a', subnet: 's' });
    allocate(engine, { key: 'b', subnet: 's' });
    const e = throwsIpam(() => engine.removeSubnet('s'), { code: ErrorCode.InUse });
    assert.match(e.message, /\b2\b/, 'says how many are in use');
    engine.release('a');
    engine.release('b');
    engine.removeSubnet('s');
    assert.equal(engine.subnets.has('s'), false);
    engine.removeSubnet('s'); // removing nothing succeeds
  });

  test('SUB-9 changing the gateway or CIDR in use → InUse; other changes are accepted', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/24' });
    allocate(engine, { key: 'a', subnet: 's' });
    throwsIpam(() => addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/24', gateway: '10.16.0.254' }), {
      code: ErrorCode.InUse,
      field: 'spec.gateway',
    });
    throwsIpam(() => addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/23' }), {
      code: ErrorCode.InUse,
      field: 'spec.cidrBlock',
    });
    addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/24', excludeIps: ['10.16.0.100..10.16.0.200'] });
    engine.release('a');
    addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/24', gateway: '10.16.0.254' });
    assert.equal(engine.subnets.get('s')?.gatewayText, '10.16.0.254');
  });

  test('SUB-9 a SpiderIPPool address held in the same CIDR counts as in use', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/24' });
    addSpiderPool(engine, { name: 'sp', subnet: '10.16.0.0/24', ips: ['10.16.0.200-10.16.0.210'] });
    allocate(engine, { key: 'a', spiderPools: { ipv4: ['sp'], ipv6: [] } });
    throwsIpam(() => engine.removeSubnet('s'), { code: ErrorCode.InUse });
  });

  test('SUB-6 a subnet overlapping a SpiderIPPool of another CIDR is rejected', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'sp', subnet: '172.18.0.0/16', ips: ['172.18.0.10'] });
    throwsIpam(() => addSubnet(engine, { name: 's', cidrBlock: '172.18.1.0/24' }), {
      code: ErrorCode.InvalidSubnet,
      holder: 'sp',
    });
    addSubnet(engine, { name: 'same', cidrBlock: '172.18.0.0/16' });
  });
});

describe('POOL-1 POOL-2 POOL-4 Kube-OVN IPPools', () => {
  test('POOL-1 a pool needs an existing subnet (NoSubnet)', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    const other = buildSubnet({ name: 'ghost', cidrBlock: '10.1.0.0/24' });
    throwsIpam(() => engine.putIPPool({ name: 'p', subnet: 'ghost', sets: new Map(), namespaces: [] }), {
      code: ErrorCode.NoSubnet,
      field: 'spec.subnet',
    });
    assert.ok(other);
  });

  test('POOL-2 two pools of one subnet overlapping → the second is rejected, naming the first', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24,fd00::/120' });
    addIPPool(engine, { name: 'first', subnet: 's', ips: ['10.0.0.10..10.0.0.20', 'fd00::10'] });
    throwsIpam(() => addIPPool(engine, { name: 'second', subnet: 's', ips: ['10.0.0.20..10.0.0.30'] }), {
      code: ErrorCode.InvalidPool,
      field: 'spec.ips',
      holder: 'first',
    });
    throwsIpam(() => addIPPool(engine, { name: 'second', subnet: 's', ips: ['fd00::/123'] }), {
      code: ErrorCode.InvalidPool,
      holder: 'first',
    });
    addIPPool(engine, { name: 'second', subnet: 's', ips: ['10.0.0.21..10.0.0.30'] });
    // Updating a pool over its own addresses is no overlap.
    addIPPool(engine, { name: 'first', subnet: 's', ips: ['10.0.0.10..10.0.0.15'] });
    assert.deepEqual([...engine.ippools.keys()], ['first', 'second']);
  });

  test('POOL-2 an IPPool may not overlap a same-CIDR SpiderIPPool (one address space)', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    addSpiderPool(engine, { name: 'sp', subnet: '10.0.0.0/24', ips: ['10.0.0.50-10.0.0.60'] });
    throwsIpam(() => addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.55'] }), {
      code: ErrorCode.InvalidPool,
      holder: 'sp',
    });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.61'] });
    throwsIpam(() => addSpiderPool(engine, { name: 'sp2', subnet: '10.0.0.0/24', ips: ['10.0.0.61'] }), {
      code: ErrorCode.InvalidPool,
      holder: 'p',
    });
  });

  test('POOL-1 pool addresses are carved out: the subnet never hands them to requests not naming the pool', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/29' });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.2..10.0.0.4'] });
    assert.deepEqual(texts(allocate(engine, { key: 'a', subnet: 's' }).lease), ['10.0.0.5']);
    assert.deepEqual(texts(allocate(engine, { key: 'b', subnet: 's' }).lease), ['10.0.0.6']);
    throwsIpam(() => allocate(engine, { key: 'c', subnet: 's' }), { code: ErrorCode.NoAvailableAddress });
  });

  test('POOL-4 removing a pool returns its free addresses to the subnet; held ones stay with their holders', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/29' });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.2..10.0.0.3'] });
    allocate(engine, { key: 'in-pool', ippool: 'p' }); // .2
    for (const k of ['a', 'b', 'c']) allocate(engine, { key: k, subnet: 's' }); // .4 .5 .6
    throwsIpam(() => allocate(engine, { key: 'd', subnet: 's' }), { code: ErrorCode.NoAvailableAddress });
    engine.removeIPPool('p');
    assert.deepEqual(texts(engine.getLease('in-pool')), ['10.0.0.2']);
    assert.equal(engine.holderOf('10.0.0.0/29', ip('10.0.0.2').value)?.key, 'in-pool');
    assert.deepEqual(texts(allocate(engine, { key: 'd', subnet: 's' }).lease), ['10.0.0.3']);
    throwsIpam(() => allocate(engine, { key: 'e', subnet: 's' }), { code: ErrorCode.NoAvailableAddress });
    engine.removeIPPool('p'); // removing nothing succeeds
  });
});

describe('SPP-3 SPP-5 SPP-8 SpiderIPPools', () => {
  test('SPP-3 same-subnet pools with overlapping effective sets → "overlap with IPPool <name>"', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'first', subnet: '172.18.0.0/16', ips: ['172.18.1.1-172.18.1.10'] });
    throwsIpam(
      () =>
        addSpiderPool(engine, { name: 'second', subnet: '172.18.0.0/16', ips: ['172.18.1.10-172.18.1.20'] }),
      {
        code: ErrorCode.InvalidPool,
        field: 'spec.ips',
        holder: 'first',
        includes: 'overlap with IPPool first',
      },
    );
  });

  test('SPP-3 the seed "trap" pools are both accepted: the shared address is excluded in one', () => {
    const engine = newEngine();
    addSpiderPool(engine, {
      name: 'already-in-use',
      subnet: '172.18.43.0/24',
      ips: ['172.18.43.1-172.18.43.31'],
      excludeIPs: ['172.18.43.31'],
    });
    addSpiderPool(engine, {
      name: 'created-by-someone-else',
      subnet: '172.18.43.0/24',
      ips: ['172.18.43.31-172.18.43.50'],
    });
    assert.deepEqual([...engine.spiderPools.keys()], ['already-in-use', 'created-by-someone-else']);
    // …and the other way round, an address excluded in the pool created second.
    const other = newEngine();
    addSpiderPool(other, { name: 'a', subnet: '172.18.43.0/24', ips: ['172.18.43.31-172.18.43.50'] });
    addSpiderPool(other, {
      name: 'b',
      subnet: '172.18.43.0/24',
      ips: ['172.18.43.1-172.18.43.31'],
      excludeIPs: ['172.18.43.31'],
    });
  });

  test('SPP-3 pools with different but overlapping subnets are rejected whatever their ips', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'wide', subnet: '172.18.0.0/16', ips: ['172.18.1.1'] });
    throwsIpam(
      () => addSpiderPool(engine, { name: 'narrow', subnet: '172.18.40.0/24', ips: ['172.18.40.1'] }),
      { code: ErrorCode.InvalidPool, field: 'spec.subnet', holder: 'wide' },
    );
    // A pool of the other family never clashes.
    addSpiderPool(engine, { name: 'v6', subnet: 'fd00::/64', ips: ['fd00::1'] });
  });

  test('SPP-3 a SpiderIPPool overlapping a Subnet of another CIDR is rejected', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'ovn-default', cidrBlock: '10.16.0.0/16' });
    throwsIpam(() => addSpiderPool(engine, { name: 'sp', subnet: '10.16.1.0/24', ips: ['10.16.1.5'] }), {
      code: ErrorCode.InvalidPool,
      field: 'spec.subnet',
      holder: 'ovn-default',
    });
  });

  test('SPP-5 lowest free address in ips order; exhausted → NoAvailableAddress, "all IP addresses used out"', () => {
    const engine = newEngine();
    addSpiderPool(engine, {
      name: 'p',
      subnet: '10.6.0.0/16',
      ips: ['10.6.0.20-10.6.0.21', '10.6.0.5'],
      excludeIPs: ['10.6.0.20'],
    });
    const req = (key: string) => ({ key, spiderPools: { ipv4: ['p'], ipv6: [] } });
    assert.deepEqual(texts(allocate(engine, req('a')).lease), ['10.6.0.5']);
    assert.deepEqual(texts(allocate(engine, req('b')).lease), ['10.6.0.21']);
    throwsIpam(() => allocate(engine, req('c')), {
      code: ErrorCode.NoAvailableAddress,
      includes: 'all IP addresses used out',
    });
    engine.release('a');
    assert.deepEqual(texts(allocate(engine, req('c')).lease), ['10.6.0.5']);
  });

  test('SPP-5 SPP-6 candidates are tried in the order given; an exhausted pool falls through to the next', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'hi', subnet: '10.6.0.0/16', ips: ['10.6.9.1'] });
    addSpiderPool(engine, { name: 'lo', subnet: '10.6.0.0/16', ips: ['10.6.0.1'] });
    const req = (key: string) => ({ key, spiderPools: { ipv4: ['hi', 'lo'], ipv6: [] } });
    assert.deepEqual(texts(allocate(engine, req('a')).lease), ['10.6.9.1']);
    const b = allocate(engine, req('b')).lease;
    assert.deepEqual(texts(b), ['10.6.0.1']);
    assert.equal(b?.addresses[0]?.pool, 'lo');
    throwsIpam(() => allocate(engine, req('c')), {
      code: ErrorCode.NoAvailableAddress,
      includes: 'all IP addresses used out',
    });
  });

  test("SPP-6 ENG-4 candidate pools of different subnets: the address is held in its own pool's space, and kept on retry", () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'a', subnet: '10.6.0.0/24', ips: ['10.6.0.1'] });
    addSpiderPool(engine, { name: 'b', subnet: '10.7.0.0/24', ips: ['10.7.0.1-10.7.0.3'] });
    const req = (key: string, pools = ['a', 'b']) => ({ key, spiderPools: { ipv4: pools, ipv6: [] } });
    allocate(engine, req('x'));
    const y = allocate(engine, req('y')).lease;
    assert.deepEqual(texts(y), ['10.7.0.1']);
    assert.equal(y?.addresses[0]?.space, '10.7.0.0/24');
    assert.equal(engine.holderOf('10.7.0.0/24', ip('10.7.0.1').value)?.key, 'y');
    const again = allocate(engine, req('y'));
    assert.deepEqual(texts(again.lease), ['10.7.0.1']);
    assert.deepEqual(again.effects, []);
    // Pool b alone must not hand 10.7.0.1 out a second time.
    assert.deepEqual(texts(allocate(engine, req('z', ['b'])).lease), ['10.7.0.2']);
    assert.deepEqual(
      spiderPoolUsage(engine, 'b')!.allocated.map(([, l]) => l.key),
      ['y', 'z'],
    );
    assert.deepEqual([...engine.spaces.keys()].sort(), ['10.6.0.0/24', '10.7.0.0/24']);
  });

  test('SPP-5 dual stack from one v4 and one v6 SpiderIPPool, one MAC', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'v4', subnet: '10.6.0.0/16', ips: ['10.6.0.1-10.6.0.2'] });
    addSpiderPool(engine, { name: 'v6', subnet: 'fd00:6::/64', ips: ['fd00:6::1'] });
    const lease = allocate(engine, { key: 'a', spiderPools: { ipv4: ['v4'], ipv6: ['v6'] } }).lease;
    assert.deepEqual(texts(lease), ['10.6.0.1', 'fd00:6::1']);
    assert.ok(lease?.mac !== undefined);
    const before = engine.snapshot();
    throwsIpam(() => allocate(engine, { key: 'b', spiderPools: { ipv4: ['v4'], ipv6: ['v6'] } }), {
      code: ErrorCode.NoAvailableAddress,
    });
    assert.deepEqual(engine.snapshot(), before, 'ENG-5: the v4 was rolled back');
  });

  test('SPP-5 a pool of the wrong family and a disabled pool', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'v4', subnet: '10.6.0.0/16', ips: ['10.6.0.1'] });
    addSpiderPool(engine, { name: 'off', subnet: '10.7.0.0/16', ips: ['10.7.0.1'], disable: true });
    throwsIpam(() => allocate(engine, { key: 'a', spiderPools: { ipv4: [], ipv6: ['v4'] } }), {
      code: ErrorCode.InvalidIPFamily,
    });
    throwsIpam(() => allocate(engine, { key: 'a', spiderPools: { ipv4: ['off'], ipv6: [] } }), {
      code: ErrorCode.NoAvailableAddress,
    });
    assert.deepEqual(
      texts(allocate(engine, { key: 'a', spiderPools: { ipv4: ['off', 'v4'], ipv6: [] } }).lease),
      ['10.6.0.1'],
    );
  });

  test('SPP-5 a static address must lie in one of the named pools', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'p', subnet: '10.6.0.0/16', ips: ['10.6.0.1-10.6.0.9'] });
    throwsIpam(
      () =>
        allocate(engine, { key: 'a', spiderPools: { ipv4: ['p'], ipv6: [] }, addresses: [ip('10.6.0.10')] }),
      { code: ErrorCode.AddressOutOfRange },
    );
    const lease = allocate(engine, {
      key: 'a',
      spiderPools: { ipv4: ['p'], ipv6: [] },
      addresses: [ip('10.6.0.7')],
    }).lease;
    assert.equal(lease?.addresses[0]?.pool, 'p');
  });

  test('SPP-8 an update removing or excluding a held address → InUse naming the holder', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'p', subnet: '10.6.0.0/16', ips: ['10.6.0.1-10.6.0.9'] });
    allocate(engine, { key: 'ns/pod', spiderPools: { ipv4: ['p'], ipv6: [] } }); // .1
    throwsIpam(
      () => addSpiderPool(engine, { name: 'p', subnet: '10.6.0.0/16', ips: ['10.6.0.2-10.6.0.9'] }),
      { code: ErrorCode.InUse, field: 'spec.ips', holder: 'ns/pod' },
    );
    throwsIpam(
      () =>
        addSpiderPool(engine, {
          name: 'p',
          subnet: '10.6.0.0/16',
          ips: ['10.6.0.1-10.6.0.9'],
          excludeIPs: ['10.6.0.1'],
        }),
      {
        code: ErrorCode.InUse,
        field: 'spec.excludeIPs',
        holder: 'ns/pod',
        includes: 'exclude an IP address 10.6.0.1',
      },
    );
    addSpiderPool(engine, { name: 'p', subnet: '10.6.0.0/16', ips: ['10.6.0.1-10.6.0.5'] });
    assert.deepEqual(engine.spiderPools.get('p')?.ipsText, ['10.6.0.1-10.6.0.5']);
  });

  test('SPP-8 deleting a pool with held addresses → InUse with the count; empty → removed', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'p', subnet: '10.6.0.0/16', ips: ['10.6.0.1-10.6.0.9'] });
    allocate(engine, { key: 'a', spiderPools: { ipv4: ['p'], ipv6: [] } });
    allocate(engine, { key: 'b', spiderPools: { ipv4: ['p'], ipv6: [] } });
    const e = throwsIpam(() => engine.removeSpiderPool('p'), { code: ErrorCode.InUse, holder: 'p' });
    assert.match(e.message, /\(2\)/);
    engine.release('a');
    engine.release('b');
    engine.removeSpiderPool('p');
    assert.equal(engine.spiderPools.size, 0);
  });
});

describe('SPR-1 SPR-2 SpiderReservedIP', () => {
  test('SPR-1 the seed walkthrough: one replica gets .50, two fail with "all IP addresses used out"; without the reservation they get .41 and .42', () => {
    const engine = newEngine();
    addReservation(engine, { name: 'test-ipv4-reservedip', ips: ['172.18.42.41-172.18.42.49'] });
    addSpiderPool(engine, {
      name: 'test-ipv4-ippool',
      subnet: '172.18.42.0/24',
      ips: ['172.18.42.41-172.18.42.50'],
    });
    const req = (key: string) => ({ key, spiderPools: { ipv4: ['test-ipv4-ippool'], ipv6: [] } });
    const keys = ['default/test-app-0', 'default/test-app-1', 'default/test-app-2'];
    const got: Record<string, string> = {};
    const failed: string[] = [];
    for (const k of keys) {
      try {
        got[k] = texts(allocate(engine, req(k)).lease)[0]!;
      } catch (e) {
        throwsIpam(
          () => {
            throw e;
          },
          { code: ErrorCode.NoAvailableAddress, includes: 'all IP addresses used out' },
        );
        failed.push(k);
      }
    }
    assert.deepEqual(Object.values(got), ['172.18.42.50']);
    assert.equal(failed.length, 2);
    engine.removeReservation('test-ipv4-reservedip');
    assert.deepEqual(
      failed.map((k) => texts(allocate(engine, req(k)).lease)[0]),
      ['172.18.42.41', '172.18.42.42'],
    );
  });

  test('SPR-1 a reservation applies to every subnet and pool of its family', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/29' });
    addReservation(engine, { name: 'r', ips: ['10.0.0.2-10.0.0.5'] });
    assert.deepEqual(texts(allocate(engine, { key: 'a', subnet: 's' }).lease), ['10.0.0.6']);
    throwsIpam(() => allocate(engine, { key: 'b', subnet: 's' }), { code: ErrorCode.NoAvailableAddress });
    addReservation(engine, { name: 'r6', ips: ['fd00::1'] }); // another family changes nothing here
    throwsIpam(() => allocate(engine, { key: 'b', subnet: 's' }), { code: ErrorCode.NoAvailableAddress });
  });

  test('SPR-2 a reservation over a held address: the holder keeps it; once released it is not handed out while reserved', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'p', subnet: '10.6.0.0/16', ips: ['10.6.0.1-10.6.0.3'] });
    const req = (key: string) => ({ key, spiderPools: { ipv4: ['p'], ipv6: [] } });
    allocate(engine, req('holder')); // .1
    addReservation(engine, { name: 'r', ips: ['10.6.0.1'] });
    assert.deepEqual(texts(engine.getLease('holder')), ['10.6.0.1']);
    const again = allocate(engine, req('holder'));
    assert.deepEqual(texts(again.lease), ['10.6.0.1'], 'the holder asking again keeps it (ENG-4)');
    assert.deepEqual(again.effects, []);
    engine.release('holder');
    assert.deepEqual(texts(allocate(engine, req('a')).lease), ['10.6.0.2']);
    assert.deepEqual(texts(allocate(engine, req('b')).lease), ['10.6.0.3']);
    throwsIpam(() => allocate(engine, req('c')), {
      code: ErrorCode.NoAvailableAddress,
      includes: 'all IP addresses used out',
    });
    engine.removeReservation('r');
    assert.deepEqual(texts(allocate(engine, req('c')).lease), ['10.6.0.1']);
  });

  test('SPR-2 a retained owner (static request for the address it holds) keeps it under a reservation', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    allocate(engine, { key: 'sts/web-0', subnet: 's' });
    addReservation(engine, { name: 'r', ips: ['10.0.0.2'] });
    assert.deepEqual(
      texts(allocate(engine, { key: 'sts/web-0', subnet: 's', addresses: [ip('10.0.0.2')] }).lease),
      ['10.0.0.2'],
    );
  });
});

describe('revert, snapshot and load', () => {
  function busy(): Engine {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/28,fd00::/124' });
    addIPPool(engine, { name: 'p', subnet: 'd', ips: ['10.0.0.12..10.0.0.13'] });
    addSpiderPool(engine, { name: 'sp', subnet: '172.18.0.0/24', ips: ['172.18.0.1-172.18.0.5'] });
    addReservation(engine, { name: 'r', ips: ['10.0.0.5'] });
    for (const k of ['a', 'b', 'c']) allocate(engine, { key: k, subnet: 'd' });
    allocate(engine, { key: 'sp1', spiderPools: { ipv4: ['sp'], ipv6: [] } });
    allocate(engine, { key: 'p1', ippool: 'p', families: [4] });
    engine.release('b');
    return engine;
  }

  test('ENG-1 ENG-4 revert(outcome) restores the exact prior snapshot, whatever the operation', () => {
    const ops: [string, (e: Engine) => ReturnType<typeof allocate>][] = [
      ['new dynamic dual', (e) => allocate(e, { key: 'new', subnet: 'd' })],
      [
        'new static from the quarantine',
        (e) => allocate(e, { key: 'new', subnet: 'd', addresses: [ip('10.0.0.3')] }),
      ],
      [
        'replace a static address',
        (e) => allocate(e, { key: 'a', subnet: 'd', addresses: [ip('10.0.0.9'), ip('fd00::9')] }),
      ],
      [
        'add a family',
        (e) => allocate(e, { key: 'p1', subnet: 'd', addresses: [ip('10.0.0.12'), ip('fd00::9')] }),
      ],
      ['replace the MAC', (e) => allocate(e, { key: 'c', subnet: 'd', mac: 0x02_00_00_00_00_42 })],
      ['release all', (e) => e.release('a')],
      ['release one family', (e) => e.release('c', { families: [6] })],
      ['release a spider lease', (e) => e.release('sp1')],
    ];
    for (const [name, op] of ops) {
      const engine = busy();
      const before = engine.snapshot();
      const outcome = op(engine);
      assert.notDeepEqual(engine.snapshot(), before, `${name}: changed something`);
      engine.revert(outcome);
      assert.deepEqual(engine.snapshot(), before, name);
      // …and the engine behaves as before: the same next picks.
      const control = busy();
      for (const k of ['x', 'y']) {
        assert.deepEqual(
          texts(allocate(engine, { key: k, subnet: 'd', mac: null }).lease),
          texts(allocate(control, { key: k, subnet: 'd', mac: null }).lease),
          name,
        );
      }
    }
  });

  test('ENG-1 snapshot → load gives the same snapshot and the same future, whatever the record order', () => {
    const engine = busy();
    const snap = engine.snapshot();
    const shuffled = {
      subnets: [...snap.subnets].reverse(),
      ippools: [...snap.ippools].reverse(),
      spiderPools: [...snap.spiderPools].reverse(),
      reservations: [...snap.reservations].reverse(),
      leases: [...snap.leases].reverse(),
      quarantine: [...snap.quarantine].reverse(),
    };
    const loaded = Engine.load(shuffled, { random: mulberry32(1) });
    const canon = (s: ReturnType<Engine['snapshot']>) => ({
      ...s,
      subnets: [...s.subnets].sort((a, b) => a.name.localeCompare(b.name)),
    });
    assert.deepEqual(canon(loaded.snapshot()), canon(snap));
    for (const k of ['x', 'y', 'z']) {
      assert.deepEqual(
        texts(allocate(loaded, { key: k, subnet: 'd', mac: null }).lease),
        texts(allocate(engine, { key: k, subnet: 'd', mac: null }).lease),
      );
    }
  });

  test('ENG-6 load keeps MACs unique: a MAC held before the restart is not handed out again', () => {
    const engine = newEngine(5);
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    const mac = allocate(engine, { key: 'a', subnet: 's' }).lease!.mac!;
    // The same seed would propose the same MAC first.
    const loaded = reload(engine, 5);
    const b = allocate(loaded, { key: 'b', subnet: 's' }).lease!;
    assert.notEqual(b.mac, mac);
    throwsIpam(() => allocate(loaded, { key: 'c', subnet: 's', mac }), {
      code: ErrorCode.AddressConflict,
      holder: 'a',
    });
  });

  test('load installs the configuration without re-checking it, as recorded', () => {
    const snap = busy().snapshot();
    const loaded = Engine.load(snap, { random: mulberry32(1) });
    assert.deepEqual([...loaded.subnets.keys()], ['d']);
    assert.deepEqual(
      loaded.spiderPools.get('sp'),
      buildSpiderPool({ name: 'sp', subnet: '172.18.0.0/24', ips: ['172.18.0.1-172.18.0.5'] }),
    );
  });
});

describe('Kube-OVN IPAM scenarios (reference test inventory §5), on our rules', () => {
  test('SUB-4 ENG-2 excludeIps widened over released addresses → they are never handed out again (NoAvailableAddress)', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/29' });
    for (const k of ['a', 'b', 'c', 'd', 'e']) allocate(engine, { key: k, subnet: 's' }); // .2 – .6
    engine.release('a');
    engine.release('b');
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/29', excludeIps: ['10.0.0.2..10.0.0.3'] });
    throwsIpam(() => allocate(engine, { key: 'x', subnet: 's' }), { code: ErrorCode.NoAvailableAddress });
    // A static request may still name them (ENG-3).
    assert.deepEqual(texts(allocate(engine, { key: 'x', subnet: 's', addresses: [ip('10.0.0.2')] }).lease), [
      '10.0.0.2',
    ]);
  });

  test('SPR-2 a reservation created over a released (quarantined) address keeps it from being recycled', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/29' });
    for (const k of ['a', 'b', 'c', 'd', 'e']) allocate(engine, { key: k, subnet: 's' });
    engine.release('c'); // .4
    addReservation(engine, { name: 'r', ips: ['10.0.0.4'] });
    throwsIpam(() => allocate(engine, { key: 'x', subnet: 's' }), { code: ErrorCode.NoAvailableAddress });
    engine.removeReservation('r');
    assert.deepEqual(texts(allocate(engine, { key: 'x', subnet: 's' }).lease), ['10.0.0.4']);
  });

  test('POOL-1 a named pool whose only address becomes excluded → NoAvailableAddress from the pool (v4 and v6)', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24,fd00::/120' });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.50', 'fd00::50'] });
    addSubnet(engine, {
      name: 's',
      cidrBlock: '10.0.0.0/24,fd00::/120',
      excludeIps: ['10.0.0.50', 'fd00::50'],
    });
    throwsIpam(() => allocate(engine, { key: 'a', ippool: 'p', families: [4] }), {
      code: ErrorCode.NoAvailableAddress,
    });
    throwsIpam(() => allocate(engine, { key: 'a', ippool: 'p', families: [6] }), {
      code: ErrorCode.NoAvailableAddress,
    });
  });

  test("POOL-4 a removed pool's address can be taken statically and dynamically from the subnet", () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/29' });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.2..10.0.0.5'] });
    engine.removeIPPool('p');
    assert.deepEqual(texts(allocate(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.3')] }).lease), [
      '10.0.0.3',
    ]);
    assert.equal(allocate(engine, { key: 'a', subnet: 's' }).lease?.addresses[0]?.pool, '');
    assert.deepEqual(texts(allocate(engine, { key: 'b', subnet: 's' }).lease), ['10.0.0.2']);
  });

  test('SUB-9 a CIDR change while nothing is in use → the next allocation comes from the new CIDR', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.16.0.0/16,fd00:16::/112' });
    allocate(engine, { key: 'a', subnet: 's' });
    engine.release('a');
    addSubnet(engine, { name: 's', cidrBlock: '10.17.0.0/16,fe00::/112' });
    assert.deepEqual(texts(allocate(engine, { key: 'b', subnet: 's' }).lease), ['10.17.0.2', 'fe00::2']);
  });

  test('ENG-1 skip .1 and .3 with .2 and .4 excluded → .5 (v4, v6, dual)', () => {
    const engine = newEngine();
    addSubnet(engine, {
      name: 'd',
      cidrBlock: '10.0.0.0/24,2001:db8::/64',
      gateway: '10.0.0.254,2001:db8::fe',
      excludeIps: ['10.0.0.2', '10.0.0.4', '2001:db8::2', '2001:db8::4'],
    });
    const skip = [ip('10.0.0.1'), ip('10.0.0.3'), ip('2001:db8::1'), ip('2001:db8::3')];
    assert.deepEqual(texts(allocate(engine, { key: 'v4', subnet: 'd', families: [4], skip }).lease), [
      '10.0.0.5',
    ]);
    assert.deepEqual(texts(allocate(engine, { key: 'v6', subnet: 'd', families: [6], skip }).lease), [
      '2001:db8::5',
    ]);
    assert.deepEqual(texts(allocate(engine, { key: 'dual', subnet: 'd', skip }).lease), [
      '10.0.0.6',
      '2001:db8::6',
    ]);
  });
});
