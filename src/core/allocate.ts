import { type Address, type Family, familyName, formatValue } from './ip/address.js';
import { cidrContains, formatCidr } from './ip/cidr.js';
import { checkNotIpv4Alias } from './ip/ipv4-alias.js';
import { type RangeSet } from './ip/range-set.js';
import { type Effect, type Outcome } from './effects.js';
import { type Engine } from './engine.js';
import { ErrorCode, IpamError } from './errors.js';
import { HeldAddress, type Lease, type LeaseAddress, cloneLease } from './lease.js';
import { formatMac, randomMac } from './mac.js';
import { type Stripe } from './space.js';

/** One ip_pool list entry: the address(es) of one pod (STA-5). */
export interface PoolEntry {
  v4?: Address | undefined;
  v6?: Address | undefined;
}

/** An allocation request. Exactly one source: `subnet` (optionally with `ippool`), or `spiderPools`. */
export interface AllocateRequest {
  /** The idempotency key of the owner interface (ENG-4). */
  key: string;
  /** Kube-OVN subnet to draw from. Required unless `ippool` names a pool (its subnet is used) or spiderPools is given. */
  subnet?: string | undefined;
  /** Kube-OVN IPPool to draw dynamic addresses from (STA-7). */
  ippool?: string | undefined;
  /** SpiderIPPool candidates per family, in the order to try them (SPP-6); names already expanded. */
  spiderPools?: { ipv4: readonly string[]; ipv6: readonly string[] } | undefined;
  /** Static addresses, at most one per family (STA-1, IPR-2, CNI-3). */
  addresses?: readonly Address[] | undefined;
  /** ip_pool list: the first entry no other owner holds is taken (STA-6). */
  entries?: readonly PoolEntry[] | undefined;
  /** Static MAC (48-bit); null asks for no MAC; undefined lets the subnet decide. */
  mac?: number | null | undefined;
  /** Only these families, on a dual-stack subnet. */
  families?: readonly Family[] | undefined;
  /**
   * Addresses the store answered "taken" for (another daemon committed them first, DUR-5): a dynamic pick
   * passes over them and an ip_pool entry holding one counts as held; a static request for one fails with
   * AddressConflict naming `holder`.
   */
  skip?: readonly SkipAddress[] | undefined;
  /** MACs the store answered "taken" for: a static MAC among them fails naming `holder`; a random one is drawn again. */
  skipMacs?: readonly { mac: number; holder?: string | undefined }[] | undefined;
  /** This daemon's share of the address space when several daemons allocate from it (Space.pick). */
  stripe?: Stripe | undefined;
  /** Subnets and pools being deleted: they give no new address; what a key holds there it keeps (ENG-4). */
  closing?: Closing | undefined;
}

/**
 * Subnets, IPPools and SpiderIPPools whose objects are being deleted (a deletionTimestamp, kept by a
 * finalizer). A dynamic request passes over them (and over a pool of a closing subnet) as over a disabled
 * pool; one with nothing else to draw from fails NoAvailableAddress, so placement moves to its next attempt;
 * a static address in one fails NoSubnet.
 */
export interface Closing {
  readonly subnets: ReadonlySet<string>;
  readonly ippools: ReadonlySet<string>;
  readonly spiderPools: ReadonlySet<string>;
}

/** An address to pass over, with who holds it when the store said so. */
export type SkipAddress = Address & { holder?: string | undefined };

/** Where one family's address comes from. */
interface Target {
  readonly family: Family;
  readonly space: string;
  /** A static address, or undefined for dynamic. */
  readonly value: bigint | undefined;
  /**
   * Dynamic candidate sources in order: [pool name ('' = subnet's own space), candidate set, address space].
   * Each source carries its own space: SpiderIPPools tried in turn may belong to different subnets (SPP-6).
   */
  readonly sources: readonly (readonly [string, RangeSet, string])[];
  /** Pool recorded on the lease for a static address. */
  readonly pool: string;
  /** What the source is called in error messages (`subnet ovn-default`, `IPPool a, b`), joined only when one is needed. */
  readonly label: [string, string | readonly string[]];
  /** Spiderpool wording for exhaustion (users grep for it). */
  readonly spider: boolean;
}

function conflict(message: string, holder?: string): IpamError {
  return new IpamError(ErrorCode.AddressConflict, message, holder ? { holder } : {});
}

const NO_STATICS: ReadonlyMap<Family, bigint> = new Map();

function splitByFamily(addresses: readonly Address[] | undefined): ReadonlyMap<Family, bigint> {
  if (!addresses || addresses.length === 0) return NO_STATICS;
  const out = new Map<Family, bigint>();
  for (const a of addresses ?? []) {
    checkNotIpv4Alias(a.family, { start: a.value, end: a.value }, formatValue(a.family, a.value));
    if (out.has(a.family)) {
      throw new IpamError(
        ErrorCode.InvalidIPFamily,
        `two ${familyName(a.family)} addresses requested for one interface; give at most one per family`,
      );
    }
    out.set(a.family, a.value);
  }
  return out;
}

/** Checks that `value` may be taken statically by `key` in a subnet family or pool (ENG-3). */
function checkStatic(
  engine: Engine,
  key: string,
  t: Target,
  value: bigint,
  skip: readonly SkipAddress[] | undefined,
): void {
  const text = formatValue(t.family, value);
  const taken = skip?.find((a) => a.family === t.family && a.value === value);
  if (taken) throw conflict(`${text} is already held by ${taken.holder ?? 'another owner'}`, taken.holder);
  const subnet = engine.subnetOfSpace(t.space);
  const fam = subnet?.families.find((f) => f.space === t.space);
  if (fam) {
    if (value < fam.usable.start || value > fam.usable.end) {
      throw new IpamError(
        ErrorCode.AddressOutOfRange,
        `${text} is the network or broadcast address of subnet ${subnet!.name} (${fam.space})`,
        { value: text },
      );
    }
    if (value === fam.gateway)
      throw conflict(`${text} is the gateway of subnet ${subnet!.name}`, subnet!.name);
  }
  const holder = engine.holderOf(t.space, value);
  if (holder && holder.key !== key) throw conflict(`${text} is already held by ${holder.key}`, holder.key);
  if (!holder && engine.reserved(t.family).contains(value)) {
    const by = [...engine.reservations.values()].find((r) => r.family === t.family && r.set.contains(value));
    throw conflict(`${text} is reserved by SpiderReservedIP ${by?.name ?? ''}`.trim(), by?.name);
  }
}

function subnetTargets(
  engine: Engine,
  req: AllocateRequest,
  statics: ReadonlyMap<Family, bigint>,
): readonly Target[] {
  // The common request — dynamic, every family of a subnet — has one plan per subnet until the
  // configuration changes; building it anew showed in every allocation.
  const plain = req.ippool === undefined && statics.size === 0 && !req.families && req.subnet !== undefined;
  if (plain) {
    const plan = engine.dynamicPlans.get(req.subnet!) as readonly Target[] | undefined;
    if (plan) return plan;
  }
  const targets = buildSubnetTargets(engine, req, statics);
  if (plain) engine.dynamicPlans.set(req.subnet!, targets);
  return targets;
}

function buildSubnetTargets(
  engine: Engine,
  req: AllocateRequest,
  statics: ReadonlyMap<Family, bigint>,
): readonly Target[] {
  let subnetName = req.subnet;
  if (req.ippool !== undefined) {
    const pool = engine.ippools.get(req.ippool);
    if (!pool)
      throw new IpamError(ErrorCode.PoolNotFound, `IPPool ${req.ippool} does not exist`, {
        value: req.ippool,
      });
    if (subnetName !== undefined && subnetName !== pool.subnet) {
      throw new IpamError(
        ErrorCode.InvalidInput,
        `IPPool ${req.ippool} belongs to subnet ${pool.subnet}, not ${subnetName}`,
      );
    }
    subnetName = pool.subnet;
  }
  if (subnetName === undefined) throw new IpamError(ErrorCode.NoSubnet, 'no subnet given for the allocation');
  const subnet = engine.subnets.get(subnetName);
  if (!subnet)
    throw new IpamError(ErrorCode.NoSubnet, `subnet ${subnetName} does not exist`, { value: subnetName });
  for (const [family, value] of statics) {
    const fam = subnet.families.find((f) => f.family === family);
    const text = formatValue(family, value);
    if (!fam) {
      throw new IpamError(
        ErrorCode.InvalidIPFamily,
        `${text} is ${familyName(family)} but subnet ${subnet.name} (${subnet.cidrBlock}) has no ${familyName(family)} CIDR`,
        { value: text },
      );
    }
    if (!cidrContains(fam.cidr, { family, value })) {
      throw new IpamError(
        ErrorCode.AddressOutOfRange,
        `${text} is outside subnet ${subnet.name} (${formatCidr(fam.cidr)})`,
        { value: text },
      );
    }
  }
  const families = subnet.families.filter(
    (f) => !req.families || req.families.includes(f.family) || statics.has(f.family),
  );
  if (families.length === 0)
    throw new IpamError(
      ErrorCode.InvalidIPFamily,
      `subnet ${subnet.name} (${subnet.protocol}) has none of the requested families`,
    );
  return families.map((f) => {
    const value = statics.get(f.family);
    const pool = req.ippool ?? '';
    const owning = value === undefined ? pool : poolOfAddress(engine, subnet.name, f.family, value);
    const source: [string, RangeSet, string] = pool
      ? [pool, engine.candidates('ippool', pool, f.family), f.space]
      : ['', engine.candidates('subnet', subnet.name, f.family), f.space];
    return {
      family: f.family,
      space: f.space,
      value,
      sources: [source],
      pool: owning,
      label: pool ? ['IPPool', pool] : ['subnet', subnet.name],
      spider: false,
    };
  });
}

/** The Kube-OVN IPPool of a subnet that contains an address ('' for none). */
function poolOfAddress(engine: Engine, subnet: string, family: Family, value: bigint): string {
  for (const p of engine.ippools.values())
    if (p.subnet === subnet && p.sets.get(family)?.contains(value)) return p.name;
  return '';
}

function spiderTargets(engine: Engine, req: AllocateRequest, statics: ReadonlyMap<Family, bigint>): Target[] {
  const lists: [Family, readonly string[]][] = [
    [4, req.spiderPools!.ipv4],
    [6, req.spiderPools!.ipv6],
  ];
  const targets: Target[] = [];
  for (const [family, names] of lists) {
    if (names.length === 0) continue;
    const sources: [string, RangeSet, string][] = [];
    let space = '';
    for (const name of names) {
      const pool = engine.spiderPools.get(name);
      // SPP-6: a named pool that does not exist is an error, with no fall-through to the next.
      if (!pool)
        throw new IpamError(ErrorCode.PoolNotFound, `SpiderIPPool ${name} does not exist`, { value: name });
      if (pool.family !== family) {
        throw new IpamError(
          ErrorCode.InvalidIPFamily,
          `SpiderIPPool ${name} is IPv${pool.family}, listed as an ${familyName(family)} pool`,
          { value: name },
        );
      }
      if (pool.disabled) continue;
      space ||= pool.space;
      sources.push([name, engine.candidates('spider', name, family), pool.space]);
    }
    const value = statics.get(family);
    let pool = '';
    if (value !== undefined) {
      const hit = sources.find(([name]) => engine.spiderPools.get(name)!.effective.contains(value));
      if (!hit) {
        throw new IpamError(
          ErrorCode.AddressOutOfRange,
          `${formatValue(family, value)} is in none of the SpiderIPPools ${names.join(', ')}`,
          { value: formatValue(family, value) },
        );
      }
      pool = hit[0];
      space = engine.spiderPools.get(pool)!.space;
    }
    targets.push({ family, space, value, sources, pool, label: ['IPPool', names], spider: true });
  }
  if (targets.length === 0)
    throw new IpamError(ErrorCode.PoolNotFound, 'no SpiderIPPool given for either family');
  return targets;
}

/** STA-6: the first ip_pool entry whose addresses no other owner holds and that pass the static checks. */
function chooseEntry(engine: Engine, req: AllocateRequest): ReadonlyMap<Family, bigint> {
  const entries = req.entries!;
  let lastError: IpamError | undefined;
  for (const entry of entries) {
    const statics = splitByFamily([entry.v4, entry.v6].filter((a): a is Address => a !== undefined));
    try {
      for (const t of subnetTargets(engine, { ...req, addresses: undefined, entries: undefined }, statics)) {
        if (t.value !== undefined) checkStatic(engine, req.key, t, t.value, req.skip);
      }
      return statics;
    } catch (e) {
      if (!(e instanceof IpamError)) throw e;
      lastError = e;
    }
  }
  throw new IpamError(
    ErrorCode.NoAvailableAddress,
    `no free entry in ovn.kubernetes.io/ip_pool: all ${entries.length} are held by other owners or unusable${lastError ? ` (last: ${lastError.message})` : ''}`,
  );
}

/**
 * Allocates for `req.key`: static addresses as asked, dynamic ones lowest-never-used first (ENG-1), all
 * families or none (ENG-5), one MAC for the interface (ENG-6). Asking again returns the same lease with no
 * effects (ENG-4). On error nothing changes; a lease held before the request is kept as it was.
 */
export function allocate(engine: Engine, req: AllocateRequest): Outcome {
  engine.version++;
  if (typeof req.key !== 'string' || req.key === '')
    throw new IpamError(ErrorCode.InvalidInput, 'an allocation needs a non-empty owner key');
  const statics =
    req.entries && req.entries.length > 0 ? chooseEntry(engine, req) : splitByFamily(req.addresses);
  const targets = req.spiderPools ? spiderTargets(engine, req, statics) : subnetTargets(engine, req, statics);
  const existing = engine.leases.get(req.key);
  const before = existing ? cloneLease(existing) : undefined;
  const subnetName = req.spiderPools ? '' : (engine.subnetOfSpace(targets[0]!.space)?.name ?? '');
  const lease: Lease = existing ?? { key: req.key, subnet: subnetName, addresses: [], mac: undefined };
  const effects: Effect[] = [];
  const outcome: Outcome = { lease, before, effects };
  const skip = req.skip && req.skip.length > 0 ? new Set(req.skip.map((a) => a.value)) : undefined;
  try {
    // An interface that moves to another subnet gives up what it holds outside it, the untargeted family too.
    if (subnetName && lease.addresses.length > 0) {
      const home = engine.subnets.get(subnetName)!.families.map((f) => f.space);
      for (const a of lease.addresses.filter((x) => !home.includes(x.space)))
        releaseOne(engine, lease, a, effects);
    }
    for (const t of targets) {
      const current = lease.addresses.find((a) => a.family === t.family);
      // ENG-4: a dynamic request keeps what the key holds in any of its candidate spaces; a static one its exact address.
      if (
        current &&
        (t.value === undefined
          ? current.space === t.space || t.sources.some((s) => s[2] === current.space)
          : current.space === t.space && t.value === current.value)
      )
        continue;
      if (current) releaseOne(engine, lease, current, effects);
      const open = req.closing ? openPart(engine, t, req.closing) : t;
      const { value, pool, seq, space } =
        open.value !== undefined
          ? takeStatic(engine, req.key, open, open.value, req.skip)
          : pick(engine, open, skip, req.stripe);
      engine.spaces.get(space)!.hold(value, lease, seq !== undefined);
      // A fresh exact-size array: push() onto [] reserves room for 17 elements, per lease.
      const held: LeaseAddress = new HeldAddress(space, value, pool);
      lease.addresses = lease.addresses.length === 0 ? [held] : [...lease.addresses, held];
      effects.push({ type: 'hold', space, family: t.family, value, key: req.key, fromQuarantineSeq: seq });
    }
    if (lease.addresses.length > 1) lease.addresses.sort((a, b) => a.family - b.family);
    lease.subnet = subnetName;
    assignMac(engine, req, lease, effects);
  } catch (e) {
    engine.revert(outcome);
    throw e;
  }
  engine.leases.set(req.key, lease);
  return outcome;
}

interface Taken {
  value: bigint;
  pool: string;
  seq: number | undefined;
  space: string;
}

function takeStatic(
  engine: Engine,
  key: string,
  t: Target,
  value: bigint,
  skip: readonly SkipAddress[] | undefined,
): Taken {
  checkStatic(engine, key, t, value, skip);
  const seq = engine.space(t.space, t.family).quarantine.seqFor(value);
  return { value, pool: t.pool, seq, space: t.space };
}

/** The part of a target that is not being deleted (see {@link Closing}); throws when nothing is left. */
function openPart(engine: Engine, t: Target, closing: Closing): Target {
  const subnetClosing = (space: string): string | undefined => {
    const name = engine.subnetOfSpace(space)?.name;
    return name !== undefined && closing.subnets.has(name) ? name : undefined;
  };
  const poolClosing = (pool: string): boolean =>
    pool !== '' && (t.spider ? closing.spiderPools : closing.ippools).has(pool);
  if (t.value !== undefined) {
    const subnet = subnetClosing(t.space);
    const what = subnet !== undefined ? `subnet ${subnet}` : poolClosing(t.pool) ? poolLabel(t, t.pool) : '';
    if (what === '') return t;
    throw new IpamError(
      ErrorCode.NoSubnet,
      `${what} is being deleted (it has a deletionTimestamp and waits for its finalizers): it gives no new addresses`,
    );
  }
  const sources = t.sources.filter(
    ([pool, , space]) => subnetClosing(space) === undefined && !poolClosing(pool),
  );
  if (sources.length === t.sources.length) return t;
  if (sources.length > 0) return { ...t, sources };
  const [what, names] = t.label;
  throw new IpamError(
    ErrorCode.NoAvailableAddress,
    `${what} ${typeof names === 'string' ? names : names.join(', ')} is being deleted (it has a deletionTimestamp and waits for its finalizers): it gives no new addresses`,
  );
}

function poolLabel(t: Target, pool: string): string {
  return `${t.spider ? 'SpiderIPPool' : 'IPPool'} ${pool}`;
}

function pick(
  engine: Engine,
  t: Target,
  skip: ReadonlySet<bigint> | undefined,
  stripe: Stripe | undefined,
): Taken {
  for (const [pool, candidates, id] of t.sources) {
    const space = engine.space(id, t.family);
    const found = space.pick(candidates, skip, stripe);
    if (found) {
      const seq = found.fromQuarantine ? space.quarantine.seqFor(found.value) : undefined;
      return { value: found.value, pool, seq, space: id };
    }
  }
  const [what, names] = t.label;
  const label = `${what} ${typeof names === 'string' ? names : names.join(', ')}`;
  const message = t.spider
    ? `failed to allocate ${familyName(t.family)} address from ${label}: all IP addresses used out`
    : `no available ${familyName(t.family)} address in ${label}`;
  throw new IpamError(ErrorCode.NoAvailableAddress, message);
}

function releaseOne(engine: Engine, lease: Lease, a: LeaseAddress, effects: Effect[]): void {
  engine.releaseAddress(a, lease.key, effects);
  lease.addresses = lease.addresses.filter((x) => x !== a);
}

function assignMac(engine: Engine, req: AllocateRequest, lease: Lease, effects: Effect[]): void {
  if (typeof req.mac === 'number') {
    if (lease.mac === req.mac) return;
    const taken = req.skipMacs?.find((m) => m.mac === req.mac);
    if (taken) {
      const holder = taken.holder ?? 'another owner';
      throw conflict(`MAC ${formatMac(req.mac)} is already held by ${holder}`, taken.holder);
    }
    if (engine.macs.has(req.mac)) {
      const holder = engine.macHolder(req.mac)?.key ?? 'another owner';
      throw conflict(`MAC ${formatMac(req.mac)} is already held by ${holder}`, holder);
    }
    if (lease.mac !== undefined) {
      engine.macs.delete(lease.mac);
      effects.push({ type: 'releaseMac', mac: lease.mac, key: lease.key });
    }
    lease.mac = req.mac;
  } else {
    if (lease.mac !== undefined || req.mac === null) return;
    const subnet = engine.subnets.get(lease.subnet);
    // Only OVN subnets (and Spider pools) hand out MACs; other providers are IPAM-only.
    if (subnet && subnet.provider !== 'ovn') return;
    const skipped = req.skipMacs;
    lease.mac = randomMac(
      engine.random,
      skipped?.length ? { has: (m) => engine.macs.has(m) || skipped.some((x) => x.mac === m) } : engine.macs,
    );
  }
  engine.macs.add(lease.mac);
  effects.push({ type: 'holdMac', mac: lease.mac, key: lease.key });
}
