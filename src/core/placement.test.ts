import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate } from './allocate.js';
import { parseNamespaceRequest, parsePodRequest } from './annotations/index.js';
import { type Engine } from './engine.js';
import { ErrorCode, IpamError } from './errors.js';
import { parseCidr } from './ip/cidr.js';
import {
  type Attempt,
  PLACEMENT_STAGES,
  type Placement,
  type PlacementFacts,
  type PlacementWorld,
  placeAttachment,
  runPlacement,
} from './placement.js';
import { addIPPool, addSpiderPool, addSubnet, ip, newEngine, texts, throwsIpam } from './harness.test.js';

/**
 * K8S-3: one test per row of the precedence table (each shows the row wins over every row below it), then
 * the fall-through rules run against the real allocator.
 */

const subnet = (name: string, cidr: string, namespaces: string[] = [], isDefault = false) => ({
  name,
  cidrs: cidr.split(',').map((c) => parseCidr(c)),
  namespaces,
  isDefault,
});

/** A world where every row has something to pick. */
const WORLD: PlacementWorld = {
  subnets: [
    subnet('ovn-default', '10.16.0.0/16', [], true),
    subnet('ns-b', '10.20.0.0/24', ['team']),
    subnet('ns-a', '10.21.0.0/24', ['team']),
    subnet('net', '10.30.0.0/24'),
    subnet('other', '10.40.0.0/24'),
  ],
  ippools: [
    { name: 'bound-2', subnet: 'ns-a', namespaces: ['team'] },
    { name: 'bound-1', subnet: 'ns-a', namespaces: ['team'] },
    { name: 'free', subnet: 'other', namespaces: [] },
  ],
  spiderPools: [
    { name: 'sp-old', family: 4, isDefault: true },
    { name: 'sp-v6', family: 6, isDefault: true },
    { name: 'sp-new', family: 4, isDefault: true },
    { name: 'sp-x', family: 4, isDefault: false },
  ],
  configuredDefault: 'ovn-default',
};

const NO_NETWORK = { ippools: [], defaultIpv4Pools: [], defaultIpv6Pools: [] };
const FULL_NETWORK = { subnet: 'net', ippools: [], defaultIpv4Pools: [], defaultIpv6Pools: [] };

function facts(
  pod: Record<string, string> = {},
  ns: Record<string, string> = {},
  extra: Partial<PlacementFacts> = {},
): PlacementFacts {
  const p = parsePodRequest(pod);
  const n = parseNamespaceRequest(ns);
  assert.deepEqual([...p.errors, ...n.errors], [], 'test annotations parse');
  return {
    namespace: 'team',
    podUid: 'uid-1',
    pod: p.request,
    namespaceRequest: n.request,
    requestedAddresses: [],
    network: FULL_NETWORK,
    world: WORLD,
    ...extra,
  };
}

/** Every annotation of every row at once; each row test removes the rows above it. */
const POD_ALL = {
  'ovn.kubernetes.io/ip_address': '10.40.0.9',
  'ovn.kubernetes.io/logical_switch': 'other',
  'ovn.kubernetes.io/ip_pool': 'free',
  'ipam.spidernet.io/ippool': '{"ipv4":["sp-x"]}',
};
const NS_ALL = {
  'ovn.kubernetes.io/logical_switch': 'net,other',
  'ipam.spidernet.io/default-ipv4-ippool': '["sp-x"]',
};
const without = (o: Record<string, string>, ...keys: string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

function summary(p: Placement): [string, Attempt[]] {
  return [p.stage, p.attempts.map((a) => JSON.parse(JSON.stringify(a, bigints)) as Attempt)];
}
function bigints(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

describe('K8S-3 the table of precedence, one row each', () => {
  test('the table lists its rows in the order K8S-3 gives', () => {
    assert.deepEqual(PLACEMENT_STAGES, [
      'reservation',
      'ip_address',
      'logical_switch',
      'ip_pool',
      'spider_annotation',
      'namespace_logical_switch',
      'namespace_spider_pools',
      'namespace_ippools',
      'namespace_subnets',
      'network',
      'default_spider_pools',
      'default_subnet',
    ]);
  });

  test('K8S-3 IPR-7 reservation: the reserved IP object pins its subnet over every annotation', () => {
    const p = placeAttachment(
      facts(POD_ALL, NS_ALL, { existing: { subnet: 'ns-b', reserved: true, podUid: undefined } }),
    );
    assert.equal(p.stage, 'reservation');
    assert.equal(p.attempts[0]!.subnet, 'ns-b');
  });

  test('K8S-3 ENG-4 reservation row: the same pod asking again keeps its subnet; an older same-name pod does not pin it', () => {
    const same = placeAttachment(
      facts({}, {}, { existing: { subnet: 'other', reserved: false, podUid: 'uid-1' } }),
    );
    assert.deepEqual([same.stage, same.attempts[0]!.subnet], ['reservation', 'other']);
    const older = placeAttachment(
      facts({}, {}, { existing: { subnet: 'other', reserved: false, podUid: 'uid-0' } }),
    );
    assert.notEqual(older.stage, 'reservation');
  });

  test('K8S-3 STA-1 ip_address: the namespace subnet that holds the address, static', () => {
    const p = placeAttachment(
      facts(
        { 'ovn.kubernetes.io/ip_address': '10.21.0.9' },
        without(NS_ALL, 'ovn.kubernetes.io/logical_switch'),
      ),
    );
    assert.deepEqual(summary(p), [
      'ip_address',
      [{ subnet: 'ns-a', addresses: [{ family: 4, value: ip('10.21.0.9').value.toString() }] }],
    ]);
  });

  test('K8S-3 STA-4 ip_address with logical_switch: that subnet only, no search', () => {
    const p = placeAttachment(facts(POD_ALL, NS_ALL));
    assert.deepEqual([p.stage, p.attempts.length, p.attempts[0]!.subnet], ['ip_address', 1, 'other']);
    assert.deepEqual(p.fallThrough, []);
  });

  test('K8S-3 STA-1 ip_address outside every subnet the pod may use → AddressOutOfRange naming them', () => {
    throwsIpam(() => placeAttachment(facts({ 'ovn.kubernetes.io/ip_address': '10.40.0.9' })), {
      code: ErrorCode.AddressOutOfRange,
      includes: '(ns-b, ns-a, net, ovn-default)',
    });
  });

  test('K8S-3 SPP-6 ip_address in no Subnet with the pod SpiderIPPool annotation: the static rides with the pools', () => {
    const p = placeAttachment(
      facts({
        'ovn.kubernetes.io/ip_address': '172.21.0.10',
        'ipam.spidernet.io/ippool': '{"ipv4":["sp-x"]}',
      }),
    );
    assert.deepEqual(
      [p.stage, p.attempts[0]!.spiderPools, p.attempts[0]!.addresses],
      ['spider_annotation', { ipv4: ['sp-x'], ipv6: [] }, [ip('172.21.0.10')]],
    );
  });

  test('K8S-3 STA-4 logical_switch: that subnet, with the pod ip_pool drawn inside it', () => {
    const p = placeAttachment(facts(without(POD_ALL, 'ovn.kubernetes.io/ip_address'), NS_ALL));
    assert.deepEqual(summary(p), ['logical_switch', [{ subnet: 'other', ippool: 'free', addresses: [] }]]);
  });

  test('K8S-3 STA-7 ip_pool naming an IPPool: that pool, whatever the namespace says', () => {
    const p = placeAttachment(
      facts(without(POD_ALL, 'ovn.kubernetes.io/ip_address', 'ovn.kubernetes.io/logical_switch'), NS_ALL),
    );
    assert.deepEqual(summary(p), ['ip_pool', [{ ippool: 'free', addresses: [] }]]);
  });

  test('K8S-3 STA-5 ip_pool list: each implicit subnet holding entries, in order, exhausted falls through', () => {
    const p = placeAttachment(facts({ 'ovn.kubernetes.io/ip_pool': '10.21.0.5;10.20.0.5;10.16.0.5' }));
    assert.equal(p.stage, 'ip_pool');
    assert.deepEqual(
      p.attempts.map((a) => [a.subnet, a.entries?.length]),
      [
        ['ns-a', 3],
        ['ns-b', 3],
        ['ovn-default', 3],
      ],
    );
    assert.deepEqual(p.fallThrough, [ErrorCode.NoAvailableAddress]);
  });

  test('K8S-3 SPP-6 the pod Spiderpool annotation: its pools, patterns expanded, the user order kept', () => {
    const p = placeAttachment(facts({ 'ipam.spidernet.io/ippool': '{"ipv4":["sp-x","sp-n*"]}' }, NS_ALL));
    assert.deepEqual(summary(p), [
      'spider_annotation',
      [{ spiderPools: { ipv4: ['sp-x', 'sp-new'], ipv6: [] }, addresses: [] }],
    ]);
  });

  test('K8S-3 the namespace logical_switch annotation: its subnets in the order written', () => {
    const p = placeAttachment(facts({}, NS_ALL));
    assert.deepEqual(
      [p.stage, p.attempts.map((a) => a.subnet), p.fallThrough],
      ['namespace_logical_switch', ['net', 'other'], [ErrorCode.NoAvailableAddress]],
    );
  });

  test('K8S-3 SPP-6 the namespace default-pool annotations: those SpiderIPPools', () => {
    const p = placeAttachment(facts({}, without(NS_ALL, 'ovn.kubernetes.io/logical_switch')));
    assert.deepEqual(summary(p), [
      'namespace_spider_pools',
      [{ spiderPools: { ipv4: ['sp-x'], ipv6: [] }, addresses: [] }],
    ]);
  });

  test('K8S-3 POOL-3 namespace-bound IPPools: every bound pool, oldest first, before bound subnets', () => {
    const p = placeAttachment(facts());
    assert.deepEqual(
      [p.stage, p.attempts.map((a) => a.ippool), p.fallThrough],
      ['namespace_ippools', ['bound-2', 'bound-1'], [ErrorCode.NoAvailableAddress]],
    );
  });

  test('K8S-3 SUB-8 namespace-bound subnets: every bound subnet, oldest first, not only the first', () => {
    const world = { ...WORLD, ippools: WORLD.ippools.filter((p) => p.namespaces.length === 0) };
    const p = placeAttachment(facts({}, {}, { world }));
    assert.deepEqual(
      [p.stage, p.attempts.map((a) => a.subnet), p.fallThrough],
      ['namespace_subnets', ['ns-b', 'ns-a'], [ErrorCode.NoAvailableAddress]],
    );
  });

  test('K8S-3 the network config: Spiderpool defaults, else every ipam.ippool name in order, else its subnet', () => {
    const f = (network: PlacementFacts['network']) =>
      placeAttachment(facts({}, {}, { namespace: 'lone', network }));
    const spider = f({ ...NO_NETWORK, subnet: 'net', ippools: ['free'], defaultIpv4Pools: ['sp-x'] });
    assert.deepEqual(summary(spider), [
      'network',
      [{ spiderPools: { ipv4: ['sp-x'], ipv6: [] }, addresses: [] }],
    ]);
    const pools = f({ ...NO_NETWORK, ippools: ['free', 'bound-1'] });
    assert.deepEqual(
      [pools.stage, pools.attempts.map((a) => a.ippool), pools.fallThrough],
      ['network', ['free', 'bound-1'], [ErrorCode.NoAvailableAddress]],
    );
    assert.deepEqual(summary(f(FULL_NETWORK)), ['network', [{ subnet: 'net', addresses: [] }]]);
  });

  test('K8S-3 SPP-6 default SpiderIPPools, oldest first, win over the default subnet', () => {
    const p = placeAttachment(facts({}, {}, { namespace: 'lone', network: NO_NETWORK }));
    assert.deepEqual(summary(p), [
      'default_spider_pools',
      [{ spiderPools: { ipv4: ['sp-old', 'sp-new'], ipv6: ['sp-v6'] }, addresses: [] }],
    ]);
  });

  test('K8S-3 the default subnet last; none at all → NoSubnet saying what to set', () => {
    const world = { ...WORLD, spiderPools: [] };
    const p = placeAttachment(facts({}, {}, { namespace: undefined, network: NO_NETWORK, world }));
    assert.deepEqual(summary(p), ['default_subnet', [{ subnet: 'ovn-default', addresses: [] }]]);
    const none = {
      ...world,
      subnets: WORLD.subnets.map((s) => ({ ...s, isDefault: false })),
      configuredDefault: undefined,
    };
    throwsIpam(
      () => placeAttachment(facts({}, {}, { namespace: undefined, network: NO_NETWORK, world: none })),
      {
        code: ErrorCode.NoSubnet,
        field: undefined,
      },
    );
  });

  test('K8S-3 CNI-3 static addresses from the runtime ride along with the chosen source', () => {
    const p = placeAttachment(facts({}, {}, { namespace: undefined, requestedAddresses: [ip('10.30.0.7')] }));
    assert.deepEqual(
      [p.stage, p.attempts[0]!.subnet, p.attempts[0]!.addresses],
      ['network', 'net', [ip('10.30.0.7')]],
    );
  });
});

/** Places and allocates through the real engine, as the service does. */
function place(engine: Engine, key: string, f: PlacementFacts): string[] {
  const placement = placeAttachment(f);
  return texts(runPlacement(placement, (a) => allocate(engine, { ...a, key })).lease);
}

function engineWorld(engine: Engine): PlacementWorld {
  return {
    subnets: [...engine.subnets.values()].map((s) => ({
      name: s.name,
      cidrs: s.families.map((x) => x.cidr),
      namespaces: s.namespaces,
      isDefault: s.isDefault,
    })),
    ippools: [...engine.ippools.values()],
    spiderPools: [...engine.spiderPools.values()].map((p) => ({
      name: p.name,
      family: p.family,
      isDefault: p.isDefault,
    })),
    configuredDefault: 'ovn-default',
  };
}

describe('K8S-3 fall-through rules, on the real allocator', () => {
  test('POOL-3 bound pools are used in order; all exhausted → NoAvailableAddress, no fallback to the subnet', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'ovn-default', cidrBlock: '10.16.0.0/24', default: true });
    addIPPool(engine, { name: 'p1', subnet: 'ovn-default', ips: ['10.16.0.10'], namespaces: ['team'] });
    addIPPool(engine, { name: 'p2', subnet: 'ovn-default', ips: ['10.16.0.20'], namespaces: ['team'] });
    const f = () => facts({}, {}, { network: NO_NETWORK, world: engineWorld(engine) });
    assert.deepEqual(place(engine, 'a.team', f()), ['10.16.0.10']);
    assert.deepEqual(place(engine, 'b.team', f()), ['10.16.0.20'], 'p1 exhausted falls through to p2');
    throwsIpam(() => place(engine, 'c.team', f()), {
      code: ErrorCode.NoAvailableAddress,
      includes: 'IPPools p1, p2 bound to namespace team',
    });
    assert.equal(engine.leases.has('c.team'), false, 'nothing allocated');
    const elsewhere = facts({}, {}, { namespace: 'other', network: NO_NETWORK, world: engineWorld(engine) });
    assert.deepEqual(
      place(engine, 'd.other', elsewhere),
      ['10.16.0.2'],
      'other namespaces never get pool addresses',
    );
  });

  test('SUB-8 bound subnets in order: the second is used when the first is exhausted', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'ovn-default', cidrBlock: '10.16.0.0/24', default: true });
    addSubnet(engine, { name: 'tiny', cidrBlock: '10.20.0.0/30', namespaces: ['team'] });
    addSubnet(engine, { name: 'next', cidrBlock: '10.21.0.0/24', namespaces: ['team'] });
    const f = () => facts({}, {}, { network: NO_NETWORK, world: engineWorld(engine) });
    assert.deepEqual(place(engine, 'a.team', f()), ['10.20.0.2']);
    assert.deepEqual(place(engine, 'b.team', f()), ['10.21.0.2']);
  });

  test('SPP-6 a namespace annotation naming a missing pool → PoolNotFound, nothing allocated, no fall-through', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'ovn-default', cidrBlock: '10.16.0.0/24', default: true });
    const f = facts(
      {},
      { 'ipam.spidernet.io/default-ipv4-ippool': '["missing"]' },
      {
        network: NO_NETWORK,
        world: engineWorld(engine),
      },
    );
    throwsIpam(() => place(engine, 'a.team', f), { code: ErrorCode.PoolNotFound });
    assert.equal(engine.leases.size, 0);
  });

  test('SPP-6 default SpiderIPPools: an exhausted pool falls through to the next in creation order', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'ovn-default', cidrBlock: '10.16.0.0/24', default: true });
    addSpiderPool(engine, { name: 'zz-first', subnet: '172.18.0.0/24', ips: ['172.18.0.5'], default: true });
    addSpiderPool(engine, { name: 'aa-second', subnet: '172.18.0.0/24', ips: ['172.18.0.9'], default: true });
    const f = () => facts({}, {}, { namespace: 'lone', network: NO_NETWORK, world: engineWorld(engine) });
    assert.deepEqual(
      place(engine, 'a.lone', f()),
      ['172.18.0.5'],
      'the oldest default pool first, not by name',
    );
    assert.deepEqual(place(engine, 'b.lone', f()), ['172.18.0.9']);
    throwsIpam(() => place(engine, 'c.lone', f()), {
      code: ErrorCode.NoAvailableAddress,
      includes: 'all IP addresses used out',
    });
  });

  test('K8S-3 network ipam.ippool: every name is used, not only the first', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 'ovn-default', cidrBlock: '10.16.0.0/24', default: true });
    addIPPool(engine, { name: 'n1', subnet: 'ovn-default', ips: ['10.16.0.10'] });
    addIPPool(engine, { name: 'n2', subnet: 'ovn-default', ips: ['10.16.0.20'] });
    const network = { ...NO_NETWORK, ippools: ['n1', 'n2'] };
    const f = () => facts({}, {}, { namespace: 'lone', network, world: engineWorld(engine) });
    assert.deepEqual(place(engine, 'a', f()), ['10.16.0.10']);
    assert.deepEqual(place(engine, 'b', f()), ['10.16.0.20']);
  });

  test('runPlacement: an error that does not fall through ends it at once', () => {
    const p: Placement = {
      stage: 'namespace_subnets',
      attempts: [{ subnet: 'a' }, { subnet: 'b' }],
      fallThrough: [ErrorCode.NoAvailableAddress],
      exhausted: 'x',
    };
    const tried: string[] = [];
    assert.throws(
      () =>
        runPlacement(p, (a) => {
          tried.push(a.subnet!);
          throw new IpamError(ErrorCode.NoSubnet, 'gone');
        }),
      (e: unknown) => e instanceof IpamError && e.code === ErrorCode.NoSubnet,
    );
    assert.deepEqual(tried, ['a']);
  });
});
