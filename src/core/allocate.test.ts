import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Family, formatValue } from './ip/address.js';
import { type AllocateRequest, allocate } from './allocate.js';
import { type Engine } from './engine.js';
import { ErrorCode } from './errors.js';
import { parseMac, formatMac } from './mac.js';
import { type RandomSource, mulberry32 } from './random.js';
import { Engine as EngineClass } from './engine.js';
import { subnetUsage } from './usage.js';
import {
  addIPPool,
  addReservation,
  addSpiderPool,
  addSubnet,
  assertNoEffects,
  ip,
  macOf,
  newEngine,
  reload,
  SEED,
  textOf,
  texts,
  throwsIpam,
} from './harness.test.js';

/**
 * The allocator's rules (SPEC §3) on engine level. Scenarios that exist for both families run once per family
 * through the same code (ENG-7): a family table gives the CIDR and how to name its n-th address.
 */
interface Fam {
  family: Family;
  /** A /29-sized block (IPv6: /125): network, gateway .1, usable .2–.6, broadcast/all-ones .7. */
  small: string;
  at(n: number): string;
}
const FAMS: Fam[] = [
  { family: 4, small: '10.0.0.0/29', at: (n) => `10.0.0.${n}` },
  { family: 6, small: 'fd00::/125', at: (n) => `fd00::${n.toString(16)}` },
];

const alloc = (engine: Engine, req: AllocateRequest) => allocate(engine, req).lease;
const one = (engine: Engine, key: string, subnet = 's'): string | undefined =>
  texts(alloc(engine, { key, subnet }))[0];

describe('ENG-1 lowest never-used first, then the quarantine oldest release first', () => {
  for (const f of FAMS) {
    test(`ENG-1 ENG-7 IPv${f.family}: released addresses are reused only after never-used ones, oldest first`, () => {
      const engine = newEngine();
      addSubnet(engine, { name: 's', cidrBlock: f.small });
      // Kube-OVN's "reuse released address when no unused address", with the gateway excluded.
      assert.equal(one(engine, 'a'), f.at(2));
      engine.release('a');
      assert.equal(one(engine, 'b'), f.at(3), 'the released .2 waits; the next never-used address is given');
      assert.equal(one(engine, 'c'), f.at(4));
      assert.equal(one(engine, 'd'), f.at(5));
      assert.equal(one(engine, 'e'), f.at(6));
      assert.equal(one(engine, 'f'), f.at(2), 'no never-used address left: the quarantined .2 comes back');
      engine.release('d');
      engine.release('b');
      engine.release('e');
      assert.equal(one(engine, 'g'), f.at(5), 'oldest release first');
      assert.equal(one(engine, 'h'), f.at(3));
      assert.equal(one(engine, 'i'), f.at(6));
      throwsIpam(() => alloc(engine, { key: 'j', subnet: 's' }), { code: ErrorCode.NoAvailableAddress });
    });

    test(`ENG-1 IPv${f.family}: the quarantine order survives snapshot() and Engine.load()`, () => {
      const engine = newEngine();
      addSubnet(engine, { name: 's', cidrBlock: f.small });
      for (const k of ['a', 'b', 'c', 'd', 'e']) one(engine, k);
      engine.release('c');
      engine.release('a');
      engine.release('e');
      const snap = engine.snapshot();
      // Records may arrive in any order: shuffle them.
      snap.quarantine.reverse();
      snap.leases.reverse();
      const loaded = EngineClass.load(snap, { random: mulberry32(7) });
      assert.equal(one(loaded, 'x'), f.at(4));
      assert.equal(one(loaded, 'y'), f.at(2));
      assert.equal(one(loaded, 'z'), f.at(6));
      // A release after the load is newer than every release before it.
      loaded.release('y');
      const again = reload(loaded);
      assert.equal(one(again, 'w'), f.at(2));
    });
  }

  test('ENG-1 a static request for a quarantined address takes it out of the quarantine', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/29' });
    for (const k of ['a', 'b', 'c', 'd', 'e']) one(engine, k);
    engine.release('a'); // .2
    engine.release('b'); // .3
    alloc(engine, { key: 'st', subnet: 's', addresses: [ip('10.0.0.2')] });
    assert.equal(one(engine, 'n'), '10.0.0.3');
    throwsIpam(() => one(engine, 'm'), { code: ErrorCode.NoAvailableAddress });
  });

  test('ENG-1 a skip list (store said "taken") moves on to the next never-used address', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/28' });
    const lease = alloc(engine, { key: 'a', subnet: 's', skip: [ip('10.0.0.2'), ip('10.0.0.3')] });
    assert.deepEqual(texts(lease), ['10.0.0.4']);
    assert.equal(one(engine, 'b'), '10.0.0.2');
  });
});

describe('ENG-2 what is never handed out dynamically', () => {
  test('ENG-2 never network, broadcast, gateway, excludeIps, reserved, pool-carved or held addresses', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/28', excludeIps: ['10.0.0.2..10.0.0.3'] });
    addReservation(engine, { name: 'r', ips: ['10.0.0.5'] });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.7..10.0.0.8'] });
    alloc(engine, { key: 'held', subnet: 's', addresses: [ip('10.0.0.4')] });
    const got: string[] = [];
    for (let i = 0; i < 20; i++) {
      try {
        got.push(one(engine, `k${i}`)!);
      } catch (e) {
        assert.equal((e as { code: string }).code, ErrorCode.NoAvailableAddress);
        break;
      }
    }
    assert.deepEqual(got, [
      '10.0.0.6',
      '10.0.0.9',
      '10.0.0.10',
      '10.0.0.11',
      '10.0.0.12',
      '10.0.0.13',
      '10.0.0.14',
    ]);
    // Only a request naming the pool draws from it.
    assert.deepEqual(texts(alloc(engine, { key: 'p1', ippool: 'p' })), ['10.0.0.7']);
    assert.deepEqual(texts(alloc(engine, { key: 'p2', ippool: 'p' })), ['10.0.0.8']);
    throwsIpam(() => alloc(engine, { key: 'p3', ippool: 'p' }), { code: ErrorCode.NoAvailableAddress });
  });

  test('ENG-2 IPv6: never the subnet-router (network) or the all-ones address', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: 'fd00::/126' });
    // ::0 network, ::1 gateway, ::2 usable, ::3 all-ones.
    assert.equal(one(engine, 'a'), 'fd00::2');
    throwsIpam(() => one(engine, 'b'), { code: ErrorCode.NoAvailableAddress });
  });

  test('ENG-2 a pool does not hand out the subnet excludeIps or reserved addresses either', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/28', excludeIps: ['10.0.0.7'] });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.6..10.0.0.9'] });
    addReservation(engine, { name: 'r', ips: ['10.0.0.8'] });
    assert.equal(texts(alloc(engine, { key: 'a', ippool: 'p' }))[0], '10.0.0.6');
    assert.equal(texts(alloc(engine, { key: 'b', ippool: 'p' }))[0], '10.0.0.9');
    throwsIpam(() => alloc(engine, { key: 'c', ippool: 'p' }), { code: ErrorCode.NoAvailableAddress });
  });

  test('ENG-2 /31 and /127 subnets use both addresses (minus the gateway)', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'p2p', cidrBlock: '10.0.0.0/31', gateway: '10.0.0.1' });
    assert.equal(one(engine, 'a', 'p2p'), '10.0.0.0');
    addSubnet(engine, { name: 'p2p6', cidrBlock: 'fd00::/127', gateway: 'fd00::' });
    assert.equal(one(engine, 'b', 'p2p6'), 'fd00::1');
  });
});

describe('ENG-3 static requests', () => {
  function setup(): Engine {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/28', excludeIps: ['10.0.0.2..10.0.0.3'] });
    addReservation(engine, { name: 'r', ips: ['10.0.0.5'] });
    return engine;
  }

  test('ENG-3 a static request may take an excludeIps address', () => {
    const engine = setup();
    assert.deepEqual(texts(alloc(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.2')] })), [
      '10.0.0.2',
    ]);
  });

  test('ENG-3 never the gateway (AddressConflict)', () => {
    throwsIpam(() => alloc(setup(), { key: 'a', subnet: 's', addresses: [ip('10.0.0.1')] }), {
      code: ErrorCode.AddressConflict,
    });
  });

  test('ENG-3 never the network or broadcast address (AddressOutOfRange)', () => {
    const engine = setup();
    throwsIpam(() => alloc(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.0')] }), {
      code: ErrorCode.AddressOutOfRange,
    });
    throwsIpam(() => alloc(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.15')] }), {
      code: ErrorCode.AddressOutOfRange,
    });
  });

  test('ENG-3 STA-3 outside the subnet CIDR → AddressOutOfRange', () => {
    throwsIpam(() => alloc(setup(), { key: 'a', subnet: 's', addresses: [ip('10.0.1.4')] }), {
      code: ErrorCode.AddressOutOfRange,
    });
  });

  test('ENG-3 SPR-2 never a reserved address, unless the same key already holds it', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/28' });
    alloc(engine, { key: 'keeper', subnet: 's', addresses: [ip('10.0.0.5')] });
    addReservation(engine, { name: 'r', ips: ['10.0.0.5-10.0.0.6'] });
    throwsIpam(() => alloc(engine, { key: 'other', subnet: 's', addresses: [ip('10.0.0.6')] }), {
      code: ErrorCode.AddressConflict,
      holder: 'r',
    });
    throwsIpam(() => alloc(engine, { key: 'other', subnet: 's', addresses: [ip('10.0.0.5')] }), {
      code: ErrorCode.AddressConflict,
      holder: 'keeper',
    });
    const again = allocate(engine, { key: 'keeper', subnet: 's', addresses: [ip('10.0.0.5')] });
    assert.deepEqual(texts(again.lease), ['10.0.0.5']);
    assertNoEffects(again);
  });

  test('ENG-3 STA-3 an address held by another key → AddressConflict naming the holder', () => {
    const engine = setup();
    alloc(engine, { key: 'ns/first', subnet: 's', addresses: [ip('10.0.0.9')] });
    const before = engine.snapshot();
    throwsIpam(() => alloc(engine, { key: 'ns/second', subnet: 's', addresses: [ip('10.0.0.9')] }), {
      code: ErrorCode.AddressConflict,
      holder: 'ns/first',
    });
    assert.deepEqual(engine.snapshot(), before, 'nothing changed');
  });

  test('ENG-3 STA-4 a static failure changes nothing and falls back to nothing', () => {
    const engine = setup();
    const before = engine.snapshot();
    throwsIpam(() => alloc(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.1')] }), {
      code: ErrorCode.AddressConflict,
    });
    assert.equal(engine.getLease('a'), undefined);
    assert.deepEqual(engine.snapshot(), before);
  });

  test('ENG-3 a new static address for a key replaces the old one (the old one enters the quarantine)', () => {
    const engine = setup();
    alloc(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.9')] });
    const mac = macOf(engine.getLease('a'));
    const lease = alloc(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.10')] });
    assert.deepEqual(texts(lease), ['10.0.0.10']);
    assert.equal(macOf(lease), mac, 'the MAC stays');
    assert.equal(engine.holderOf('10.0.0.0/28', ip('10.0.0.9').value), undefined);
    assert.deepEqual(
      engine.snapshot().quarantine.map((q) => q.address),
      ['10.0.0.9'],
    );
  });

  test('STA-1 two addresses of one family → InvalidIPFamily; a family the subnet lacks → InvalidIPFamily', () => {
    const engine = setup();
    throwsIpam(() => alloc(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.9'), ip('10.0.0.10')] }), {
      code: ErrorCode.InvalidIPFamily,
    });
    throwsIpam(() => alloc(engine, { key: 'a', subnet: 's', addresses: [ip('fd00::9')] }), {
      code: ErrorCode.InvalidIPFamily,
    });
    assert.equal(engine.getLease('a'), undefined);
  });

  test('STA-1 both families of a dual subnet statically', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.16.0.0/24,fd00:10:16::/120' });
    const lease = alloc(engine, {
      key: 'a',
      subnet: 'd',
      addresses: [ip('fd00:10:16::15'), ip('10.16.0.15')],
    });
    assert.deepEqual(texts(lease), ['10.16.0.15', 'fd00:10:16::15']);
  });

  test('STA-1 only one family given on a dual subnet → the other is chosen dynamically with the same MAC', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.16.0.0/24,fd00:10:16::/120' });
    const lease = alloc(engine, { key: 'a', subnet: 'd', addresses: [ip('10.16.0.15')] });
    assert.deepEqual(texts(lease), ['10.16.0.15', 'fd00:10:16::2']);
    assert.ok(lease?.mac !== undefined);
  });

  test('ENG-3 a static v6 gateway given in non-canonical text is still the gateway', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's6', cidrBlock: '2001:db8::/64' });
    throwsIpam(() => alloc(engine, { key: 'a', subnet: 's6', addresses: [ip('2001:0db8:0000::0001')] }), {
      code: ErrorCode.AddressConflict,
    });
  });
});

describe('ENG-4 idempotency per owner key', () => {
  test('ENG-4 the same key again → same addresses and MAC, no effects', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/24,fd00::/120' });
    const first = allocate(engine, { key: 'a', subnet: 'd' });
    const snap = engine.snapshot();
    const again = allocate(engine, { key: 'a', subnet: 'd' });
    assert.deepEqual(texts(again.lease), texts(first.lease));
    assert.equal(again.lease?.mac, first.lease?.mac);
    assertNoEffects(again);
    assert.deepEqual(engine.snapshot(), snap);
  });

  test('ENG-4 a static request then a dynamic one for the same key keeps the static address', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    alloc(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.77')] });
    const again = allocate(engine, { key: 'a', subnet: 's' });
    assert.deepEqual(texts(again.lease), ['10.0.0.77']);
    assertNoEffects(again);
  });

  test('ENG-4 the same static request and MAC again → no effects', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    const mac = parseMac('02:00:00:00:00:09');
    allocate(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.9')], mac });
    assertNoEffects(allocate(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.9')], mac }));
  });

  test('ENG-4 SPP-5 the same key on a SpiderIPPool → the same address', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'sp', subnet: '172.18.0.0/24', ips: ['172.18.0.10-172.18.0.12'] });
    const req = { key: 'a', spiderPools: { ipv4: ['sp'], ipv6: [] } };
    const first = allocate(engine, req);
    const again = allocate(engine, req);
    assert.deepEqual(texts(again.lease), texts(first.lease));
    assertNoEffects(again);
  });

  test('ENG-4 two interfaces of one owner are two keys and get two addresses', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    assert.equal(one(engine, 'ns/pod/eth0'), '10.0.0.2');
    assert.equal(one(engine, 'ns/pod/net1'), '10.0.0.3');
    assert.equal(engine.leasesWithPrefix('ns/pod/').length, 2);
  });

  test('ENG-4 releasing nothing succeeds with no effects', () => {
    const engine = newEngine();
    assertNoEffects(engine.release('nobody'));
  });
});

describe('ENG-4 an interface that moves to another subnet', () => {
  test('ENG-4 moving from a dual subnet to a v4 subnet releases both old addresses, the v6 too', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/24,fd00::/120' });
    addSubnet(engine, { name: 'b', cidrBlock: '10.1.0.0/24' });
    alloc(engine, { key: 'a', subnet: 'd' });
    const moved = allocate(engine, { key: 'a', subnet: 'b' });
    assert.deepEqual(texts(moved.lease), ['10.1.0.2']);
    assert.equal(moved.lease?.subnet, 'b');
    assert.equal(engine.holderOf('fd00::/120', ip('fd00::2').value), undefined);
    engine.removeSubnet('d'); // nothing of d is held any more
    engine.revert(moved);
    assert.deepEqual(texts(engine.getLease('a')), ['10.0.0.2', 'fd00::2']);
  });

  test('ENG-4 ENG-5 a failed move keeps everything the key held', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/24,fd00::/120' });
    addSubnet(engine, { name: 'full', cidrBlock: '10.1.0.0/30' });
    alloc(engine, { key: 'x', subnet: 'full' });
    alloc(engine, { key: 'a', subnet: 'd' });
    const before = engine.snapshot();
    throwsIpam(() => alloc(engine, { key: 'a', subnet: 'full' }), { code: ErrorCode.NoAvailableAddress });
    assert.deepEqual(engine.snapshot(), before);
  });

  test('ENG-4 asking for one family of the same dual subnet keeps the other', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/24,fd00::/120' });
    alloc(engine, { key: 'a', subnet: 'd' });
    const again = allocate(engine, { key: 'a', subnet: 'd', families: [4] });
    assert.deepEqual(texts(again.lease), ['10.0.0.2', 'fd00::2']);
    assertNoEffects(again);
  });
});

describe('ENG-5 dual stack is atomic', () => {
  function exhaustedV6(): Engine {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/28,fd00::/125' });
    for (let i = 0; i < 5; i++) alloc(engine, { key: `v6-${i}`, subnet: 'd', families: [6] });
    return engine;
  }

  test('ENG-5 v6 exhausted → the new v4 is rolled back and its never-used address is not burnt', () => {
    const engine = exhaustedV6();
    const before = engine.snapshot();
    throwsIpam(() => alloc(engine, { key: 'x', subnet: 'd' }), { code: ErrorCode.NoAvailableAddress });
    assert.equal(engine.getLease('x'), undefined);
    assert.deepEqual(engine.snapshot(), before);
    assert.equal(texts(alloc(engine, { key: 'y', subnet: 'd', families: [4] }))[0], '10.0.0.2');
  });

  test('ENG-5 a v4 held before the request is kept when v6 fails', () => {
    const engine = exhaustedV6();
    const held = alloc(engine, { key: 'x', subnet: 'd', families: [4] });
    const mac = held?.mac;
    const before = engine.snapshot();
    throwsIpam(() => alloc(engine, { key: 'x', subnet: 'd' }), { code: ErrorCode.NoAvailableAddress });
    assert.deepEqual(texts(engine.getLease('x')), ['10.0.0.2']);
    assert.equal(engine.getLease('x')?.mac, mac);
    assert.deepEqual(engine.snapshot(), before);
  });

  test('ENG-5 a v6 static conflict rolls the v4 back', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/28,fd00::/120' });
    alloc(engine, { key: 'owner', subnet: 'd', addresses: [ip('10.0.0.9'), ip('fd00::9')] });
    const before = engine.snapshot();
    throwsIpam(() => alloc(engine, { key: 'x', subnet: 'd', addresses: [ip('10.0.0.10'), ip('fd00::9')] }), {
      code: ErrorCode.AddressConflict,
      holder: 'owner',
    });
    assert.deepEqual(engine.snapshot(), before);
  });

  test('ENG-5 a MAC conflict rolls both families back', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/28,fd00::/120' });
    const owner = alloc(engine, { key: 'owner', subnet: 'd' });
    const before = engine.snapshot();
    throwsIpam(() => alloc(engine, { key: 'x', subnet: 'd', mac: owner!.mac! }), {
      code: ErrorCode.AddressConflict,
      holder: 'owner',
    });
    assert.deepEqual(engine.snapshot(), before);
  });

  test('ENG-5 asking for one more family keeps the other and the MAC', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/28,fd00::/120' });
    const v4 = alloc(engine, { key: 'x', subnet: 'd', families: [4] });
    const mac = v4?.mac;
    const both = alloc(engine, { key: 'x', subnet: 'd' });
    assert.deepEqual(texts(both), ['10.0.0.2', 'fd00::2']);
    assert.equal(both?.mac, mac);
  });

  test('ENG-5 release of one family keeps the other and the MAC', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/28,fd00::/120' });
    const lease = alloc(engine, { key: 'x', subnet: 'd' });
    const mac = lease?.mac;
    const out = engine.release('x', { families: [6] });
    assert.deepEqual(texts(out.lease), ['10.0.0.2']);
    assert.equal(engine.getLease('x')?.mac, mac);
    assert.ok(engine.macs.has(mac!));
    engine.release('x');
    assert.equal(engine.macs.size, 0);
  });
});

describe('ENG-6 MAC addresses', () => {
  const isLocalUnicast = (mac: number): boolean => (Math.floor(mac / 2 ** 40) & 0x03) === 0x02;

  test('ENG-6 random MACs are locally administered unicast, lower-case, and unique across subnets', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'a', cidrBlock: '10.0.0.0/24' });
    addSubnet(engine, { name: 'b', cidrBlock: '10.1.0.0/24' });
    const macs = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const lease = alloc(engine, { key: `k${i}`, subnet: i % 2 === 0 ? 'a' : 'b' });
      assert.ok(lease?.mac !== undefined);
      assert.ok(isLocalUnicast(lease.mac), formatMac(lease.mac));
      assert.match(macOf(lease)!, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      assert.match(macOf(lease)!, /^.[26ae]:/);
      macs.add(lease.mac);
    }
    assert.equal(macs.size, 200);
  });

  test('ENG-6 a random MAC that collides with a held one is drawn again', () => {
    // A source that repeats itself: the first two MACs it proposes are identical.
    const values = [1, 2, 1, 2, 5, 6];
    let i = 0;
    const random: RandomSource = { nextUint32: () => values[i++ % values.length]! };
    const engine = new EngineClass({ random });
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    const a = alloc(engine, { key: 'a', subnet: 's' });
    const b = alloc(engine, { key: 'b', subnet: 's' });
    assert.notEqual(a?.mac, b?.mac);
  });

  test('ENG-6 STA-2 a static MAC held by another key → AddressConflict naming the holder, even in another subnet', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'a', cidrBlock: '10.0.0.0/24' });
    addSubnet(engine, { name: 'b', cidrBlock: '10.1.0.0/24' });
    const mac = parseMac('02:aa:bb:cc:dd:ee');
    assert.equal(macOf(alloc(engine, { key: 'first', subnet: 'a', mac })), '02:aa:bb:cc:dd:ee');
    throwsIpam(() => alloc(engine, { key: 'second', subnet: 'b', mac }), {
      code: ErrorCode.AddressConflict,
      holder: 'first',
    });
    assert.equal(engine.getLease('second'), undefined);
  });

  test('ENG-6 a released MAC may be taken statically by another key', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    const mac = alloc(engine, { key: 'a', subnet: 's' })!.mac!;
    engine.release('a');
    assert.equal(alloc(engine, { key: 'b', subnet: 's', mac })?.mac, mac);
  });

  test('ENG-6 v4 and v6 of one interface share one MAC', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/24,fd00::/120' });
    const lease = alloc(engine, { key: 'a', subnet: 'd' });
    assert.equal(lease?.addresses.length, 2);
    assert.equal(engine.macs.size, 1);
    assert.equal(engine.macHolder(lease!.mac!)?.key, 'a');
  });

  test('ENG-6 a non-ovn provider gets no MAC unless one is given; mac: null asks for none', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'macvlan', cidrBlock: '10.0.0.0/24', provider: 'macvlan.default' });
    addSubnet(engine, { name: 'ovn', cidrBlock: '10.1.0.0/24' });
    assert.equal(alloc(engine, { key: 'a', subnet: 'macvlan' })?.mac, undefined);
    const mac = parseMac('02:00:00:00:00:01');
    assert.equal(alloc(engine, { key: 'b', subnet: 'macvlan', mac })?.mac, mac);
    assert.equal(alloc(engine, { key: 'c', subnet: 'ovn', mac: null })?.mac, undefined);
  });

  test('ENG-6 a new static MAC for a key replaces its old one', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    const old = alloc(engine, { key: 'a', subnet: 's' })!.mac!;
    const mac = parseMac('02:00:00:00:00:02');
    alloc(engine, { key: 'a', subnet: 's', mac });
    assert.equal(engine.macs.has(old), false);
    assert.equal(engine.macHolder(mac)?.key, 'a');
  });
});

describe('ENG-7 one code path for both families, sizes cost nothing', () => {
  test('ENG-7 a /8 and a /64 allocate like a /24: candidate sets and the used index stay a handful of ranges', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'big4', cidrBlock: '10.0.0.0/8' });
    addSubnet(engine, { name: 'big6', cidrBlock: 'fd00::/64' });
    for (let i = 0; i < 500; i++) {
      alloc(engine, { key: `a${i}`, subnet: 'big4' });
      alloc(engine, { key: `b${i}`, subnet: 'big6' });
    }
    assert.equal(textOf(engine.getLease('a499'), 4), '10.0.1.245');
    assert.equal(textOf(engine.getLease('b499'), 6), 'fd00::1f5');
    for (const [name, family] of [
      ['big4', 4],
      ['big6', 6],
    ] as const) {
      assert.ok(engine.candidates('subnet', name, family).rangeCount <= 2);
    }
    assert.equal(engine.spaces.get('10.0.0.0/8')!.used.rangeCount, 1);
    assert.equal(engine.spaces.get('fd00::/64')!.used.rangeCount, 1);
    const [v6] = subnetUsage(engine, 'big6')!;
    assert.equal(v6!.available, 2n ** 64n - 3n - 500n);
  });
});

describe('ENG-8 every error path has its stable code', () => {
  const engine = newEngine();
  addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/30' });
  addSubnet(engine, { name: 'v6', cidrBlock: 'fd00::/120' });
  addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.2'] });
  const cases: [string, () => unknown, ErrorCode][] = [
    ['empty key', () => allocate(engine, { key: '', subnet: 's' }), ErrorCode.InvalidInput],
    ['no subnet given', () => allocate(engine, { key: 'k' }), ErrorCode.NoSubnet],
    ['unknown subnet', () => allocate(engine, { key: 'k', subnet: 'nope' }), ErrorCode.NoSubnet],
    ['unknown IPPool', () => allocate(engine, { key: 'k', ippool: 'nope' }), ErrorCode.PoolNotFound],
    [
      'IPPool of another subnet',
      () => allocate(engine, { key: 'k', subnet: 'v6', ippool: 'p' }),
      ErrorCode.InvalidInput,
    ],
    [
      'unknown SpiderIPPool',
      () => allocate(engine, { key: 'k', spiderPools: { ipv4: ['nope'], ipv6: [] } }),
      ErrorCode.PoolNotFound,
    ],
    [
      'no SpiderIPPool for either family',
      () => allocate(engine, { key: 'k', spiderPools: { ipv4: [], ipv6: [] } }),
      ErrorCode.PoolNotFound,
    ],
    [
      'static outside the subnet',
      () => allocate(engine, { key: 'k', subnet: 's', addresses: [ip('10.9.0.1')] }),
      ErrorCode.AddressOutOfRange,
    ],
    [
      'static of a missing family',
      () => allocate(engine, { key: 'k', subnet: 's', addresses: [ip('fd00::1')] }),
      ErrorCode.InvalidIPFamily,
    ],
    [
      'family the subnet lacks',
      () => allocate(engine, { key: 'k', subnet: 's', families: [6] }),
      ErrorCode.InvalidIPFamily,
    ],
    [
      'static gateway',
      () => allocate(engine, { key: 'k', subnet: 's', addresses: [ip('10.0.0.1')] }),
      ErrorCode.AddressConflict,
    ],
    ['subnet exhausted', () => allocate(engine, { key: 'k', subnet: 's' }), ErrorCode.NoAvailableAddress],
  ];
  for (const [name, fn, code] of cases) {
    test(`ENG-8 ${name} → ${code}`, () => {
      throwsIpam(fn, { code });
      assert.equal(engine.getLease('k'), undefined);
    });
  }
});

describe('STA-6 STA-1 ip_pool entries at engine level', () => {
  const entries = [{ v4: ip('10.0.0.11') }, { v4: ip('10.0.0.12') }, { v4: ip('10.0.0.13') }];

  test('STA-6 each key takes the first entry no other key holds; more keys than entries → NoAvailableAddress until one is released', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    assert.deepEqual(texts(alloc(engine, { key: 'a', subnet: 's', entries })), ['10.0.0.11']);
    assert.deepEqual(texts(alloc(engine, { key: 'b', subnet: 's', entries })), ['10.0.0.12']);
    assert.deepEqual(texts(alloc(engine, { key: 'c', subnet: 's', entries })), ['10.0.0.13']);
    throwsIpam(() => alloc(engine, { key: 'd', subnet: 's', entries }), {
      code: ErrorCode.NoAvailableAddress,
    });
    engine.release('b');
    assert.deepEqual(texts(alloc(engine, { key: 'd', subnet: 's', entries })), ['10.0.0.12']);
  });

  test('STA-6 ENG-4 a key that holds an entry gets that entry again', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    alloc(engine, { key: 'a', subnet: 's', entries });
    alloc(engine, { key: 'b', subnet: 's', entries });
    const again = allocate(engine, { key: 'b', subnet: 's', entries });
    assert.deepEqual(texts(again.lease), ['10.0.0.12']);
    assertNoEffects(again);
  });

  test('STA-6 unusable entries (the gateway, another owner) are skipped', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    alloc(engine, { key: 'x', subnet: 's', addresses: [ip('10.0.0.11')] });
    const list = [{ v4: ip('10.0.0.1') }, ...entries];
    assert.deepEqual(texts(alloc(engine, { key: 'a', subnet: 's', entries: list })), ['10.0.0.12']);
  });

  test('STA-5 STA-6 dual entries take both families together', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'd', cidrBlock: '10.0.0.0/24,fd00::/120' });
    const dual = [
      { v4: ip('10.0.0.11'), v6: ip('fd00::11') },
      { v4: ip('10.0.0.12'), v6: ip('fd00::12') },
    ];
    alloc(engine, { key: 'x', subnet: 'd', addresses: [ip('fd00::11')] });
    assert.deepEqual(texts(alloc(engine, { key: 'a', subnet: 'd', entries: dual })), [
      '10.0.0.12',
      'fd00::12',
    ]);
  });
});

describe('STA-7 POOL-1 a named Kube-OVN IPPool', () => {
  test("STA-7 ippool → lowest free address of the pool; the subnet is the pool's", () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.100..10.0.0.102', '10.0.0.50'] });
    const a = alloc(engine, { key: 'a', ippool: 'p' });
    assert.deepEqual(texts(a), ['10.0.0.50']);
    assert.equal(a?.subnet, 's');
    assert.equal(a?.addresses[0]?.pool, 'p');
    assert.deepEqual(texts(alloc(engine, { key: 'b', ippool: 'p', subnet: 's' })), ['10.0.0.100']);
    assert.equal(one(engine, 'c'), '10.0.0.2');
  });

  test('POOL-1 a static address inside a pool is recorded with that pool, whoever asks', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/24' });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.100..10.0.0.102'] });
    const lease = alloc(engine, { key: 'a', subnet: 's', addresses: [ip('10.0.0.101')] });
    assert.equal(lease?.addresses[0]?.pool, 'p');
    assert.equal(formatValue(4, lease!.addresses[0]!.value), '10.0.0.101');
  });
});

describe('ENG-1 the quarantine of a space too large to run out (IPv6 shorter than /96) is bounded', () => {
  const capped = (cap: number): Engine => new EngineClass({ random: mulberry32(SEED), quarantineCap: cap });
  const quarantined = (engine: Engine): string[] =>
    engine.snapshot().quarantine.map((q) => `${q.address}@${q.seq}`);
  /** The address effects of an outcome, as text (MAC effects left out). */
  const addressEffects = (outcome: ReturnType<Engine['release']>): string[] =>
    outcome.effects.flatMap((e) =>
      e.type === 'release' || e.type === 'retire' ? [`${e.type} ${formatValue(e.family, e.value)}`] : [],
    );

  test('ENG-1 a /64 keeps the newest `cap` releases; the oldest beyond is free again (lowest free first)', () => {
    const engine = capped(3);
    addSubnet(engine, { name: 's', cidrBlock: 'fd00::/64' });
    for (const k of ['a', 'b', 'c', 'd', 'e']) one(engine, k); // fd00::2 … fd00::6
    for (const k of ['a', 'b', 'c']) engine.release(k);
    assert.equal(one(engine, 'f'), 'fd00::7', 'within the cap: never-used first, as always');
    const fourth = engine.release('d');
    assert.deepEqual(addressEffects(fourth), ['release fd00::5', 'retire fd00::2']);
    assert.deepEqual(
      engine.snapshot().quarantine.map((q) => q.address),
      ['fd00::3', 'fd00::4', 'fd00::5'],
    );
    assert.equal(one(engine, 'g'), 'fd00::2', 'the retired address is free: the lowest free one');
    // Reverting a release that retired restores both, order included.
    const before = quarantined(engine);
    const fifth = engine.release('e');
    assert.equal(fifth.effects.filter((e) => e.type === 'retire').length, 1);
    engine.revert(fifth);
    assert.deepEqual(quarantined(engine), before);
    assert.equal(engine.holderOf('fd00::/64', ip('fd00::6').value)?.key, 'e');
    // What the store keeps (quarantine rows) rebuilds the same state.
    engine.release('e');
    const loaded = EngineClass.load(engine.snapshot(), { random: mulberry32(7), quarantineCap: 3 });
    assert.deepEqual(quarantined(loaded), quarantined(engine));
    assert.equal(one(loaded, 'h'), one(engine, 'h'));
  });

  test('ENG-1 loaded with a smaller cap: the next release trims the quarantine down to it', () => {
    const big = capped(10);
    addSubnet(big, { name: 's', cidrBlock: 'fd00::/64' });
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) one(big, k);
    for (const k of ['a', 'b', 'c', 'd', 'e']) big.release(k);
    const small = EngineClass.load(big.snapshot(), { random: mulberry32(7), quarantineCap: 2 });
    const out = small.release('f');
    assert.equal(out.effects.filter((e) => e.type === 'retire').length, 4);
    assert.deepEqual(
      small.snapshot().quarantine.map((q) => q.address),
      ['fd00::6', 'fd00::7'],
    );
  });

  for (const cidr of ['10.0.0.0/8', 'fd00::/96', 'fd00::/112']) {
    test(`ENG-1 ${cidr} (2^32 addresses or fewer) keeps every release: no cap`, () => {
      const engine = capped(2);
      addSubnet(engine, { name: 's', cidrBlock: cidr });
      const keys = ['a', 'b', 'c', 'd', 'e'];
      for (const k of keys) one(engine, k);
      for (const k of keys)
        assert.deepEqual(
          addressEffects(engine.release(k)).map((e) => e.split(' ')[0]),
          ['release'],
        );
      assert.equal(engine.snapshot().quarantine.length, 5);
    });
  }
});
