import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Family, formatValue, parseAddress } from './ip/address.js';
import { type AllocateRequest, allocate } from './allocate.js';
import { Engine, type EngineSnapshot } from './engine.js';
import { type Outcome } from './effects.js';
import { IpamError } from './errors.js';
import { mulberry32 } from './random.js';
import { addIPPool, addReservation, addSpiderPool, addSubnet } from './harness.test.js';

/**
 * Model-based property tests of the allocator (ENG-1 … ENG-6, SPP-5, SPR-1, SPR-2, STA-6): random operation
 * sequences run against the engine and against a reference model written here with plain Maps and Sets over
 * small address spaces (/28, /124, /29, /125) and more keys than free addresses, so exhaustion, release and reuse
 * happen often. The model predicts
 * every result exactly (which address, or failure), so it checks the quarantine order and every exclusion rule;
 * independent invariants (no address or MAC held twice, MACs locally administered) are checked on the engine's
 * own state after every step. Save/load (with shuffled records) and revert are exercised in the middle of runs.
 */

// ------------------------------------------------------------------ the fixed configuration

const v = (text: string): bigint => parseAddress(text).value;
const span = (a: string, b: string): bigint[] => {
  const out: bigint[] = [];
  for (let x = v(a); x <= v(b); x++) out.push(x);
  return out;
};

interface SpaceInfo {
  id: string;
  family: Family;
  lo: bigint;
  hi: bigint;
  /** Subnet family facts (undefined for a SpiderIPPool-only space). */
  subnet?: { name: string; usableLo: bigint; usableHi: bigint; gateway: bigint; excluded: Set<bigint> };
}

const SPACES: Record<string, SpaceInfo> = {
  d4: {
    id: '10.0.0.0/28',
    family: 4,
    lo: v('10.0.0.0'),
    hi: v('10.0.0.15'),
    subnet: {
      name: 'd',
      usableLo: v('10.0.0.1'),
      usableHi: v('10.0.0.14'),
      gateway: v('10.0.0.1'),
      excluded: new Set([v('10.0.0.1'), ...span('10.0.0.3', '10.0.0.4')]),
    },
  },
  d6: {
    id: 'fd00::/124',
    family: 6,
    lo: v('fd00::'),
    hi: v('fd00::f'),
    subnet: {
      name: 'd',
      usableLo: v('fd00::1'),
      usableHi: v('fd00::e'),
      gateway: v('fd00::1'),
      excluded: new Set([v('fd00::1'), v('fd00::3')]),
    },
  },
  b4: {
    id: '10.1.0.0/29',
    family: 4,
    lo: v('10.1.0.0'),
    hi: v('10.1.0.7'),
    subnet: {
      name: 'b',
      usableLo: v('10.1.0.1'),
      usableHi: v('10.1.0.6'),
      gateway: v('10.1.0.1'),
      excluded: new Set([v('10.1.0.1')]),
    },
  },
  s4: { id: '172.18.0.0/29', family: 4, lo: v('172.18.0.0'), hi: v('172.18.0.7') },
  s6: { id: 'fd01::/125', family: 6, lo: v('fd01::'), hi: v('fd01::7') },
};
const SPACE_BY_ID = new Map(Object.values(SPACES).map((s) => [s.id, s]));
const SUBNETS: Record<string, { provider: string; fams: Partial<Record<Family, SpaceInfo>> }> = {
  d: { provider: 'ovn', fams: { 4: SPACES.d4!, 6: SPACES.d6! } },
  b: { provider: 'macvlan.default', fams: { 4: SPACES.b4! } },
};
const IPPOOL_P: Record<Family, Set<bigint>> = {
  4: new Set(span('10.0.0.9', '10.0.0.10')),
  6: new Set(span('fd00::9', 'fd00::a')),
};
const SPIDER: Record<string, { family: Family; space: SpaceInfo; effective: Set<bigint> }> = {
  spd: { family: 4, space: SPACES.d4!, effective: new Set(span('10.0.0.12', '10.0.0.13')) },
  sp: {
    family: 4,
    space: SPACES.s4!,
    effective: new Set([v('172.18.0.1'), ...span('172.18.0.3', '172.18.0.5')]),
  },
  sp6: { family: 6, space: SPACES.s6!, effective: new Set(span('fd01::1', 'fd01::4')) },
};
const RESERVATIONS: Record<string, { family: Family; values: Set<bigint>; ips: string[] }> = {};
for (const [name, ips] of Object.entries({
  r1: ['10.0.0.6-10.0.0.7'],
  r2: ['10.0.0.10'],
  r3: ['fd00::5'],
  r4: ['172.18.0.3-172.18.0.4'],
  r5: ['10.0.0.13'],
  r6: ['10.1.0.2'],
  r7: ['fd01::2'],
})) {
  const [a, b] = ips[0]!.split('-');
  RESERVATIONS[name] = { family: parseAddress(a!).family, values: new Set(span(a!, b ?? a!)), ips };
}
const STATIC_MACS = [0x02_00_00_00_00_01, 0x02_00_00_00_00_02, 0x02_00_00_00_00_03];

function configure(engine: Engine): void {
  addSubnet(engine, {
    name: 'd',
    cidrBlock: '10.0.0.0/28,fd00::/124',
    excludeIps: ['10.0.0.3..10.0.0.4', 'fd00::3'],
  });
  addSubnet(engine, { name: 'b', cidrBlock: '10.1.0.0/29', provider: 'macvlan.default' });
  addIPPool(engine, { name: 'p', subnet: 'd', ips: ['10.0.0.9..10.0.0.10', 'fd00::9..fd00::a'] });
  addSpiderPool(engine, { name: 'spd', subnet: '10.0.0.0/28', ips: ['10.0.0.12-10.0.0.13'] });
  addSpiderPool(engine, {
    name: 'sp',
    subnet: '172.18.0.0/29',
    ips: ['172.18.0.1-172.18.0.5'],
    excludeIPs: ['172.18.0.2'],
  });
  addSpiderPool(engine, { name: 'sp6', subnet: 'fd01::/125', ips: ['fd01::1-fd01::4'] });
}

// ------------------------------------------------------------------ the reference model

interface MSpace {
  held: Map<bigint, string>;
  used: Set<bigint>;
  /** Released addresses, oldest release first. */
  q: bigint[];
}
interface MAddr {
  space: string;
  value: bigint;
}
interface MLease {
  addrs: Map<Family, MAddr>;
  mac: number | undefined;
}
interface MState {
  spaces: Map<string, MSpace>;
  leases: Map<string, MLease>;
  macs: Map<number, string>;
  reserved: Set<string>;
}

class Refused extends Error {}
const refuse = (why: string): never => {
  throw new Refused(why);
};

function emptyState(): MState {
  return {
    spaces: new Map(Object.values(SPACES).map((s) => [s.id, { held: new Map(), used: new Set(), q: [] }])),
    leases: new Map(),
    macs: new Map(),
    reserved: new Set(),
  };
}

function cloneState(s: MState): MState {
  return {
    spaces: new Map(
      [...s.spaces].map(([id, sp]) => [id, { held: new Map(sp.held), used: new Set(sp.used), q: [...sp.q] }]),
    ),
    leases: new Map([...s.leases].map(([k, l]) => [k, { addrs: new Map(l.addrs), mac: l.mac }])),
    macs: new Map(s.macs),
    reserved: new Set(s.reserved),
  };
}

function isReserved(s: MState, family: Family, value: bigint): boolean {
  for (const name of s.reserved) {
    const r = RESERVATIONS[name]!;
    if (r.family === family && r.values.has(value)) return true;
  }
  return false;
}

/** All values of a space, ascending (tiny universes). */
function universe(info: SpaceInfo): bigint[] {
  const out: bigint[] = [];
  for (let x = info.lo; x <= info.hi; x++) out.push(x);
  return out;
}

/** ENG-2: what a dynamic request may draw from, written out address by address. */
function candidates(
  s: MState,
  source:
    | { kind: 'subnet'; space: SpaceInfo }
    | { kind: 'ippool'; space: SpaceInfo }
    | { kind: 'spider'; name: string },
): bigint[] {
  if (source.kind === 'spider') {
    const pool = SPIDER[source.name]!;
    return universe(pool.space).filter(
      (x) => pool.effective.has(x) && !isReserved(s, pool.family, x) && !pool.space.subnet?.excluded.has(x),
    );
  }
  const info = source.space;
  const sub = info.subnet!;
  if (source.kind === 'ippool') {
    return universe(info).filter(
      (x) => IPPOOL_P[info.family].has(x) && !isReserved(s, info.family, x) && !sub.excluded.has(x),
    );
  }
  const carved = (x: bigint): boolean =>
    (sub.name === 'd' && IPPOOL_P[info.family].has(x)) ||
    Object.values(SPIDER).some((p) => p.space === info && p.effective.has(x));
  return universe(info).filter(
    (x) =>
      x >= sub.usableLo &&
      x <= sub.usableHi &&
      !sub.excluded.has(x) &&
      !isReserved(s, info.family, x) &&
      !carved(x),
  );
}

interface MTarget {
  family: Family;
  space: SpaceInfo;
  value: bigint | undefined;
  sources: { space: SpaceInfo; cands: bigint[] }[];
}

function checkStatic(s: MState, key: string, t: MTarget, value: bigint): void {
  const sub = t.space.subnet;
  if (sub) {
    if (value < sub.usableLo || value > sub.usableHi) refuse('network/broadcast');
    if (value === sub.gateway) refuse('gateway');
  }
  const holder = s.spaces.get(t.space.id)!.held.get(value);
  if (holder !== undefined && holder !== key) refuse('held by another');
  if (holder === undefined && isReserved(s, t.family, value)) refuse('reserved');
}

function subnetTargets(
  s: MState,
  req: AllocateRequest,
  statics: Map<Family, bigint>,
): { subnet: string; targets: MTarget[] } {
  let name = req.subnet;
  if (req.ippool !== undefined) {
    if (name !== undefined && name !== 'd') refuse('pool of another subnet');
    name = 'd';
  }
  const subnet = SUBNETS[name!] ?? refuse('no subnet');
  for (const [family, value] of statics) {
    const info = subnet.fams[family] ?? refuse('family');
    if (value < info.lo || value > info.hi) refuse('outside');
  }
  const fams = ([4, 6] as const).filter(
    (f) => subnet.fams[f] && (!req.families || req.families.includes(f) || statics.has(f)),
  );
  if (fams.length === 0) refuse('no family');
  const targets = fams.map((family) => {
    const space = subnet.fams[family]!;
    const cands = candidates(
      s,
      req.ippool !== undefined ? { kind: 'ippool', space } : { kind: 'subnet', space },
    );
    return { family, space, value: statics.get(family), sources: [{ space, cands }] };
  });
  return { subnet: name!, targets };
}

function spiderTargets(s: MState, req: AllocateRequest, statics: Map<Family, bigint>): MTarget[] {
  const targets: MTarget[] = [];
  for (const [family, names] of [
    [4, req.spiderPools!.ipv4],
    [6, req.spiderPools!.ipv6],
  ] as const) {
    if (names.length === 0) continue;
    const sources = names.map((n) => ({
      space: SPIDER[n]!.space,
      cands: candidates(s, { kind: 'spider', name: n }),
    }));
    let space = SPIDER[names[0]!]!.space;
    const value = statics.get(family);
    if (value !== undefined) {
      const hit = names.find((n) => SPIDER[n]!.effective.has(value)) ?? refuse('static outside the pools');
      space = SPIDER[hit]!.space;
    }
    targets.push({ family, space, value, sources });
  }
  if (targets.length === 0) refuse('no pools');
  return targets;
}

function staticsOf(addresses: readonly { family: Family; value: bigint }[] | undefined): Map<Family, bigint> {
  const out = new Map<Family, bigint>();
  for (const a of addresses ?? []) {
    if (out.has(a.family)) refuse('two of one family');
    out.set(a.family, a.value);
  }
  return out;
}

function hold(s: MState, space: string, value: bigint, key: string): void {
  const sp = s.spaces.get(space)!;
  sp.held.set(value, key);
  sp.used.add(value);
  sp.q = sp.q.filter((x) => x !== value);
}

function releaseAddr(s: MState, a: MAddr): void {
  const sp = s.spaces.get(a.space)!;
  sp.held.delete(a.value);
  sp.q.push(a.value);
}

/** ENG-1: lowest never-used candidate, else the oldest released one. */
function pick(s: MState, t: MTarget, skip: Set<bigint>): MAddr {
  for (const src of t.sources) {
    const sp = s.spaces.get(src.space.id)!;
    const set = new Set(src.cands);
    const fresh = src.cands.find((x) => !sp.used.has(x) && !skip.has(x));
    if (fresh !== undefined) return { space: src.space.id, value: fresh };
    const old = sp.q.find((x) => set.has(x) && !skip.has(x));
    if (old !== undefined) return { space: src.space.id, value: old };
  }
  return refuse('exhausted');
}

/** The model's allocate: mutates `s` (a working copy) or throws Refused. Returns whether a random MAC is due. */
function modelAllocate(s: MState, req: AllocateRequest): { randomMac: boolean } {
  let statics: Map<Family, bigint>;
  if (req.entries && req.entries.length > 0) {
    let chosen: Map<Family, bigint> | undefined;
    for (const e of req.entries) {
      const st = staticsOf([e.v4, e.v6].filter((a) => a !== undefined));
      try {
        for (const t of subnetTargets(s, { ...req, addresses: undefined, entries: undefined }, st).targets)
          if (t.value !== undefined) checkStatic(s, req.key, t, t.value);
        chosen = st;
        break;
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
      }
    }
    statics = chosen ?? refuse('no free entry');
  } else {
    statics = staticsOf(req.addresses);
  }
  let subnetName = '';
  let targets: MTarget[];
  if (req.spiderPools) targets = spiderTargets(s, req, statics);
  else ({ subnet: subnetName, targets } = subnetTargets(s, req, statics));
  const lease: MLease = s.leases.get(req.key) ?? { addrs: new Map(), mac: undefined };
  if (subnetName !== '') {
    // Moving to another subnet releases what the key holds outside it.
    const home = Object.values(SUBNETS[subnetName]!.fams).map((x) => x.id);
    for (const f of [4, 6] as const) {
      const a = lease.addrs.get(f);
      if (a && !home.includes(a.space)) {
        releaseAddr(s, a);
        lease.addrs.delete(f);
      }
    }
  }
  const skip = new Set((req.skip ?? []).map((a) => a.value));
  for (const t of targets) {
    const cur = lease.addrs.get(t.family);
    const keep =
      cur &&
      (t.value === undefined
        ? cur.space === t.space.id || t.sources.some((x) => x.space.id === cur.space)
        : cur.space === t.space.id && cur.value === t.value);
    if (keep) continue;
    if (cur) {
      releaseAddr(s, cur);
      lease.addrs.delete(t.family);
    }
    let got: MAddr;
    if (t.value !== undefined) {
      checkStatic(s, req.key, t, t.value);
      got = { space: t.space.id, value: t.value };
    } else {
      got = pick(s, t, skip);
    }
    hold(s, got.space, got.value, req.key);
    lease.addrs.set(t.family, got);
  }
  s.leases.set(req.key, lease);
  if (typeof req.mac === 'number') {
    if (lease.mac === req.mac) return { randomMac: false };
    const holder = s.macs.get(req.mac);
    if (holder !== undefined && holder !== req.key) refuse('MAC held');
    if (lease.mac !== undefined) s.macs.delete(lease.mac);
    lease.mac = req.mac;
    s.macs.set(req.mac, req.key);
    return { randomMac: false };
  }
  if (lease.mac !== undefined || req.mac === null) return { randomMac: false };
  if (subnetName !== '' && SUBNETS[subnetName]!.provider !== 'ovn') return { randomMac: false };
  return { randomMac: true };
}

function modelRelease(s: MState, key: string, families: readonly Family[] | undefined): void {
  const lease = s.leases.get(key);
  if (!lease) return;
  for (const f of [4, 6] as const) {
    const a = lease.addrs.get(f);
    if (!a || (families && !families.includes(f))) continue;
    releaseAddr(s, a);
    lease.addrs.delete(f);
  }
  if (lease.addrs.size === 0) {
    if (lease.mac !== undefined) s.macs.delete(lease.mac);
    s.leases.delete(key);
  }
}

// ------------------------------------------------------------------ comparing engine and model

function canonical(snap: EngineSnapshot): EngineSnapshot {
  const byName = <T extends { name: string }>(xs: T[]): T[] =>
    [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    ...snap,
    subnets: byName(snap.subnets),
    ippools: byName(snap.ippools),
    spiderPools: byName(snap.spiderPools),
    reservations: byName(snap.reservations),
  };
}

/** Independent invariants on the engine's own state (no model involved). */
function checkInvariants(engine: Engine): void {
  let addresses = 0;
  let withMac = 0;
  for (const lease of engine.leases.values()) {
    assert.ok(
      lease.addresses.length >= 1 && lease.addresses.length <= 2,
      `${lease.key} holds 1 or 2 addresses`,
    );
    assert.ok(
      new Set(lease.addresses.map((a) => a.family)).size === lease.addresses.length,
      'one address per family',
    );
    for (const a of lease.addresses) {
      addresses++;
      assert.equal(
        engine.spaces.get(a.space)?.held.get(a.value),
        lease,
        `${formatValue(a.family, a.value)} held by ${lease.key} in ${a.space}`,
      );
      const info = SPACE_BY_ID.get(a.space)!;
      assert.ok(a.value >= info.lo && a.value <= info.hi, 'inside its space');
      assert.ok(engine.spaces.get(a.space)!.used.has(a.value), 'a held address is used');
    }
    if (lease.mac !== undefined) {
      withMac++;
      assert.equal(engine.macHolder(lease.mac), lease, 'MAC index points back (unique MAC)');
      assert.ok(
        STATIC_MACS.includes(lease.mac) || (Math.floor(lease.mac / 2 ** 40) & 0x03) === 0x02,
        'locally administered unicast',
      );
    }
  }
  let held = 0;
  for (const space of engine.spaces.values()) {
    held += space.held.size;
    for (const q of space.quarantine)
      assert.equal(space.held.has(q.value), false, 'nothing both held and quarantined');
  }
  assert.equal(held, addresses, 'no address held twice, none held without a lease');
  assert.equal(engine.macs.size, withMac, 'no MAC held twice');
}

function checkAgainstModel(engine: Engine, s: MState): void {
  const engineLeases = [...engine.leases.values()]
    .map((l) => ({
      key: l.key,
      addrs: l.addresses.map((a) => `${a.space} ${formatValue(a.family, a.value)}`),
      mac: l.mac,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  const modelLeases = [...s.leases.entries()]
    .map(([key, l]) => ({
      key,
      addrs: [...l.addrs.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([f, a]) => `${a.space} ${formatValue(f, a.value)}`),
      mac: l.mac,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  assert.deepEqual(engineLeases, modelLeases);
  for (const [id, sp] of s.spaces) {
    const space = engine.spaces.get(id);
    const q = space ? [...space.quarantine].map((e) => e.value) : [];
    assert.deepEqual(q, sp.q, `quarantine order of ${id}`);
    for (const x of universe(SPACE_BY_ID.get(id)!))
      assert.equal(space?.used.has(x) ?? false, sp.used.has(x), `used ${id} ${x}`);
  }
}

// ------------------------------------------------------------------ operations

type Op =
  | { t: 'alloc'; req: AllocateRequest; repeat: boolean; revert: boolean }
  | { t: 'release'; key: string; families: Family[] | undefined; revert: boolean }
  | { t: 'reserve'; name: string; on: boolean }
  | { t: 'reload'; seed: number };

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'];
const key = fc.constantFrom(...KEYS);
const families = fc.option(fc.constantFrom<Family[]>([4], [6]), { nil: undefined });
const mac = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constantFrom(...STATIC_MACS) },
);
const off = (base: string, max: number) =>
  fc.integer({ min: 0, max }).map((n) => ({ family: parseAddress(base).family, value: v(base) + BigInt(n) }));
const d4 = off('10.0.0.0', 17);
const d6 = off('fd00::', 17);

const request: fc.Arbitrary<Omit<AllocateRequest, 'key'>> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      subnet: fc.constantFrom('d', 'b'),
      families,
      skip: fc.option(fc.array(off('10.0.0.0', 8), { maxLength: 3 }), { nil: undefined }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ ippool: fc.constant('p'), families }) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        ipv4: fc.constantFrom<string[]>([], ['sp'], ['spd'], ['spd', 'sp'], ['sp', 'spd']),
        ipv6: fc.constantFrom<string[]>([], ['sp6']),
      })
      .map((spiderPools) => ({ spiderPools })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        pools: fc.constantFrom(['sp'], ['spd'], ['spd', 'sp']),
        a: fc.oneof(off('172.18.0.0', 7), off('10.0.0.11', 4)),
      })
      .map(({ pools, a }) => ({ spiderPools: { ipv4: pools, ipv6: [] }, addresses: [a] })),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      subnet: fc.constantFrom('d', 'd', 'b'),
      addresses: fc.oneof(
        fc.tuple(d4).map((x) => [...x]),
        fc.tuple(d6).map((x) => [...x]),
        fc.tuple(d4, d6).map((x) => [...x]),
        fc.tuple(d4, d4).map((x) => [...x]),
        fc.tuple(off('10.1.0.0', 9)).map((x) => [...x]),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.oneof(
          d4.map((a) => ({ v4: a })),
          fc.record({ v4: d4, v6: d6 }),
        ),
        { minLength: 1, maxLength: 3 },
      )
      .map((entries) => ({ subnet: 'd', entries })),
  },
);

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      t: fc.constant('alloc' as const),
      req: fc.tuple(key, request, mac).map(([k, r, m]) => ({ ...r, key: k, mac: m })),
      repeat: fc.boolean(),
      revert: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('release' as const), key, families, revert: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('reserve' as const),
      name: fc.constantFrom(...Object.keys(RESERVATIONS)),
      on: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reload' as const), seed: fc.integer() }) },
);

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  const r = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = r.nextUint32() % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function tryEngine(fn: () => Outcome): Outcome | IpamError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof IpamError) return e;
    throw e;
  }
}

function tryModel(
  s: MState,
  fn: (w: MState) => { randomMac: boolean },
): { state: MState; randomMac: boolean } | Refused {
  const work = cloneState(s);
  try {
    return { state: work, ...fn(work) };
  } catch (e) {
    if (e instanceof Refused) return e;
    throw e;
  }
}

/** Runs one allocation on both sides and compares; returns the new model state and whether it succeeded. */
function stepAlloc(engine: Engine, s: MState, req: AllocateRequest): { state: MState; ok: boolean } {
  const out = tryEngine(() => allocate(engine, req));
  const want = tryModel(s, (w) => modelAllocate(w, req));
  if (want instanceof Refused) {
    assert.ok(
      out instanceof IpamError,
      `model refuses (${want.message}) but the engine allocated ${JSON.stringify(req, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}`,
    );
    return { state: s, ok: false };
  }
  assert.ok(
    !(out instanceof IpamError),
    `engine refused (${out instanceof IpamError ? out.code + ': ' + out.message : ''}) where the model allocates`,
  );
  const lease = out.lease!;
  const next = want.state;
  const ml = next.leases.get(req.key)!;
  if (want.randomMac) {
    assert.ok(lease.mac !== undefined, 'a random MAC was due');
    assert.equal(next.macs.has(lease.mac), false, 'the random MAC is not held by anyone');
    ml.mac = lease.mac;
    next.macs.set(lease.mac, req.key);
  }
  return { state: next, ok: true };
}

function run(ops: Op[]): void {
  let engine = new Engine({ random: mulberry32(42) });
  configure(engine);
  let s = emptyState();
  for (const o of ops) {
    if (o.t === 'alloc') {
      if (o.revert) {
        const before = engine.snapshot();
        const out = tryEngine(() => allocate(engine, o.req));
        if (!(out instanceof IpamError)) {
          engine.revert(out);
          assert.deepEqual(engine.snapshot(), before, 'revert(allocate) restores the exact prior state');
        } else {
          assert.deepEqual(engine.snapshot(), before, 'a failed allocation changes nothing');
        }
        checkInvariants(engine);
      }
      const step = stepAlloc(engine, s, o.req);
      s = step.state;
      if (o.repeat && step.ok) {
        // ENG-4: the same request again returns the same addresses and MAC and changes nothing.
        const lease = engine.getLease(o.req.key)!;
        const addrs = lease.addresses.map((a) => `${a.space} ${a.value}`);
        const mac = lease.mac;
        const before = engine.snapshot();
        const again = allocate(engine, o.req);
        assert.deepEqual(again.effects, []);
        assert.deepEqual(
          again.lease!.addresses.map((a) => `${a.space} ${a.value}`),
          addrs,
        );
        assert.equal(again.lease!.mac, mac);
        assert.deepEqual(engine.snapshot(), before);
      }
    } else if (o.t === 'release') {
      if (o.revert) {
        const before = engine.snapshot();
        engine.revert(engine.release(o.key, { families: o.families }));
        assert.deepEqual(engine.snapshot(), before, 'revert(release) restores the exact prior state');
      }
      engine.release(o.key, o.families ? { families: o.families } : {});
      modelRelease(s, o.key, o.families);
    } else if (o.t === 'reserve') {
      if (o.on) {
        addReservation(engine, { name: o.name, ips: RESERVATIONS[o.name]!.ips });
        s.reserved.add(o.name);
      } else {
        engine.removeReservation(o.name);
        s.reserved.delete(o.name);
      }
    } else {
      const snap = engine.snapshot();
      const mixed: EngineSnapshot = {
        subnets: shuffled(snap.subnets, o.seed),
        ippools: shuffled(snap.ippools, o.seed + 1),
        spiderPools: shuffled(snap.spiderPools, o.seed + 2),
        reservations: shuffled(snap.reservations, o.seed + 3),
        leases: shuffled(snap.leases, o.seed + 4),
        quarantine: shuffled(snap.quarantine, o.seed + 5),
      };
      const loaded = Engine.load(mixed, { random: mulberry32(o.seed) });
      assert.deepEqual(
        canonical(loaded.snapshot()),
        canonical(snap),
        'snapshot → load → snapshot is the identity',
      );
      engine = loaded;
    }
    checkInvariants(engine);
    checkAgainstModel(engine, s);
  }
}

describe('engine properties (model-based, seeded)', () => {
  test('ENG-1 ENG-2 ENG-3 ENG-4 ENG-5 ENG-6 SPP-5 SPR-1 SPR-2 STA-6 random operation sequences match the reference model', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 80, size: 'max' }), (ops) => run(ops)),
      { seed: 42, numRuns: 300 },
    );
  });

  test('ENG-1 two engines fed the same operations after snapshot → load stay identical', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40, size: 'max' }),
        fc.array(op, { maxLength: 40, size: 'max' }),
        (prefix, suffix) => {
          const a = new Engine({ random: mulberry32(1) });
          configure(a);
          let s = emptyState();
          for (const o of prefix) {
            if (o.t === 'alloc') s = stepAlloc(a, s, o.req).state;
            else if (o.t === 'release') {
              a.release(o.key, o.families ? { families: o.families } : {});
              modelRelease(s, o.key, o.families);
            }
          }
          const snap = a.snapshot();
          const b = Engine.load(
            { ...snap, leases: [...snap.leases].reverse(), quarantine: [...snap.quarantine].reverse() },
            { random: mulberry32(1) },
          );
          const c = Engine.load(snap, { random: mulberry32(1) });
          for (const o of suffix) {
            if (o.t !== 'alloc' && o.t !== 'release') continue;
            const run1 =
              o.t === 'alloc'
                ? tryEngine(() => allocate(b, o.req))
                : b.release(o.key, { families: o.families });
            const run2 =
              o.t === 'alloc'
                ? tryEngine(() => allocate(c, o.req))
                : c.release(o.key, { families: o.families });
            const shape = (r: Outcome | IpamError) =>
              r instanceof IpamError ? r.code : r.lease?.addresses.map((x) => `${x.space} ${x.value}`);
            assert.deepEqual(shape(run1), shape(run2));
          }
          assert.deepEqual(b.snapshot(), c.snapshot());
        },
      ),
      { seed: 42, numRuns: 150 },
    );
  });
});
