import { type Address, type Family, formatValue, parseAddress } from './ip/address.js';
import { cidrsOverlap } from './ip/cidr.js';
import { RangeSet } from './ip/range-set.js';
import { type Effect, type Outcome } from './effects.js';
import { ErrorCode, IpamError } from './errors.js';
import {
  HeldAddress,
  type Lease,
  type LeaseAddress,
  type LeaseRecord,
  cloneLease,
  leaseRecordOf,
} from './lease.js';
import { parseMac } from './mac.js';
import { MacSet } from './mac-set.js';
import { type IPPoolModel } from './model/ippool.js';
import { type ReservationModel } from './model/reservation.js';
import { type SpiderPoolModel } from './model/spider-pool.js';
import { type SubnetFamily, type SubnetModel } from './model/subnet.js';
import { type RandomSource } from './random.js';
import { Space } from './space.js';

export interface EngineOptions {
  /** Source of MAC randomness; seeded by the caller (production: from the OS; tests: fixed). */
  random: RandomSource;
  /**
   * Releases a space with more than 2^32 addresses keeps in its quarantine (default 65,536): there the
   * never-used addresses never run out, so without a bound the quarantine would grow with every pod ever
   * deleted. The oldest release beyond it becomes free again. Spaces of 2^32 addresses or fewer (every IPv4
   * subnet) keep every release until no never-used address is left (ENG-1).
   */
  quarantineCap?: number;
}

export const DEFAULT_QUARANTINE_CAP = 65_536;

/** The configuration kinds the engine keeps. */
export type ConfigKind = 'subnet' | 'ippool' | 'spider' | 'reservation';

/** A quarantine entry in plain form. */
export interface QuarantineRecord {
  space: string;
  address: string;
  seq: number;
}

/** Everything the engine holds, as plain records (save/load; the store persists the same records). */
export interface EngineSnapshot {
  subnets: SubnetModel[];
  ippools: IPPoolModel[];
  spiderPools: SpiderPoolModel[];
  reservations: ReservationModel[];
  leases: LeaseRecord[];
  quarantine: QuarantineRecord[];
}

/**
 * The allocation engine: subnets, pools, reservations, leases, quarantine. Pure and synchronous: no I/O,
 * no clock, randomness only from the injected source. Every mutating call either throws an IpamError and
 * changes nothing, or returns the effects it applied (see {@link Effect}).
 *
 * Allocation logic lives in allocate.ts; this class owns the state, configuration and queries.
 */
export class Engine {
  /** @internal */ readonly random: RandomSource;
  /** @internal */ readonly subnets = new Map<string, SubnetModel>();
  /** @internal */ readonly ippools = new Map<string, IPPoolModel>();
  /** @internal */ readonly spiderPools = new Map<string, SpiderPoolModel>();
  /** @internal */ readonly reservations = new Map<string, ReservationModel>();
  /** @internal */ readonly spaces = new Map<string, Space<Lease>>();
  /** @internal */ readonly leases = new Map<string, Lease>();
  /** @internal Every held MAC (ENG-6: unique store-wide). A set, not a map: who holds one is looked up
   * through the leases only when a static MAC conflicts, which keeps ~10 bytes off every allocation. */
  readonly macs = new MacSet();
  /** @internal */ seq = 0;
  /** Bumped by every change of state, so derived views (usage counters) can be cached per version. */
  version = 0;
  /** Candidate sets by kind, then name, then family (no string building on the hot path). */
  private readonly candidateCache = {
    subnet: new Map<string, RangeSet[]>(),
    ippool: new Map<string, RangeSet[]>(),
    spider: new Map<string, RangeSet[]>(),
  };
  /** @internal The allocator's per-subnet plan for plain dynamic requests, valid until the configuration changes. */
  readonly dynamicPlans = new Map<string, readonly unknown[]>();
  private spaceOwners: Map<string, SubnetModel> | undefined;
  private reservedCache: Map<Family, RangeSet> | undefined;

  private readonly quarantineCap: number;

  constructor(options: EngineOptions) {
    this.random = options.random;
    this.quarantineCap = options.quarantineCap ?? DEFAULT_QUARANTINE_CAP;
  }

  // ---------------------------------------------------------------- configuration

  /** Adds or replaces a subnet (SUB-6 overlap, SUB-9 gateway/CIDR change while in use). */
  putSubnet(model: SubnetModel): void {
    for (const other of this.subnets.values()) {
      if (other.name === model.name) continue;
      for (const f of model.families) {
        const clash = other.families.find((o) => cidrsOverlap(o.cidr, f.cidr));
        if (clash) {
          throw new IpamError(
            ErrorCode.InvalidSubnet,
            `spec.cidrBlock ${f.space} overlaps subnet ${other.name} (${clash.space}); choose a CIDR that no other subnet uses`,
            {
              field: 'spec.cidrBlock',
              value: f.space,
              holder: other.name,
            },
          );
        }
      }
    }
    for (const pool of this.spiderPools.values()) {
      for (const f of model.families) {
        if (pool.space !== f.space && cidrsOverlap(pool.cidr, f.cidr)) {
          throw new IpamError(
            ErrorCode.InvalidSubnet,
            `spec.cidrBlock ${f.space} overlaps SpiderIPPool ${pool.name} (subnet ${pool.space}); a pool's subnet must equal a Subnet's CIDR or not overlap it`,
            {
              field: 'spec.cidrBlock',
              holder: pool.name,
            },
          );
        }
      }
    }
    const old = this.subnets.get(model.name);
    if (old && old.cidrBlock !== model.cidrBlock) this.checkSubnetIdle(old.name, 'spec.cidrBlock');
    if (old && old.gatewayText !== model.gatewayText) this.checkSubnetIdle(old.name, 'spec.gateway');
    this.subnets.set(model.name, model);
    for (const f of model.families) this.space(f.space, f.family);
    this.invalidate();
  }

  /**
   * SUB-9: refuses a change of `field` of subnet `name` while any of its addresses is held, saying how many.
   * Callers may ask before the rest of a new spec is judged, so the reason given is the one that matters.
   */
  checkSubnetIdle(name: string, field: 'spec.cidrBlock' | 'spec.gateway'): void {
    const subnet = this.subnets.get(name);
    const inUse = subnet ? this.subnetHeldCount(subnet) : 0;
    if (inUse === 0) return;
    throw new IpamError(
      ErrorCode.InUse,
      `${field} of subnet ${name} cannot change while ${inUse} address(es) are in use; release them first`,
      { field },
    );
  }

  /** Removes a subnet; refused while any of its addresses is held (SUB-9). */
  removeSubnet(name: string): void {
    const old = this.subnets.get(name);
    if (!old) return;
    const inUse = this.subnetHeldCount(old);
    if (inUse > 0) {
      throw new IpamError(
        ErrorCode.InUse,
        `subnet ${name} still has ${inUse} address(es) in use; release them (delete their IP objects or pods) first`,
        { holder: name },
      );
    }
    this.subnets.delete(name);
    this.invalidate();
  }

  /** Adds or replaces a Kube-OVN IPPool; overlapping another pool of the subnet is refused (POOL-2). */
  putIPPool(model: IPPoolModel): void {
    if (!this.subnets.has(model.subnet)) {
      throw new IpamError(
        ErrorCode.NoSubnet,
        `subnet ${model.subnet} does not exist; create it first or fix spec.subnet`,
        { field: 'spec.subnet', value: model.subnet },
      );
    }
    for (const other of this.ippools.values()) {
      if (other.name === model.name || other.subnet !== model.subnet) continue;
      for (const [family, set] of model.sets) {
        const theirs = other.sets.get(family);
        if (theirs && set.overlaps(theirs)) {
          throw new IpamError(
            ErrorCode.InvalidPool,
            `spec.ips overlaps IPPool ${other.name} at ${set.intersection(theirs).toString()}; pools of one subnet must not share addresses`,
            {
              field: 'spec.ips',
              holder: other.name,
            },
          );
        }
      }
    }
    this.checkSpiderOverlapForIPPool(model);
    this.ippools.set(model.name, model);
    this.invalidate();
  }

  /** Removes an IPPool; its free addresses return to the subnet, held ones stay with their holders (POOL-4). */
  removeIPPool(name: string): void {
    this.ippools.delete(name);
    this.invalidate();
  }

  /** Adds or replaces a SpiderIPPool (SPP-3 overlap, SPP-8 held addresses may not leave the pool). */
  putSpiderPool(model: SpiderPoolModel): void {
    for (const other of this.spiderPools.values()) {
      if (other.name === model.name || other.family !== model.family) continue;
      if (other.space === model.space) {
        if (model.effective.overlaps(other.effective)) {
          throw new IpamError(
            ErrorCode.InvalidPool,
            `spec.ips: Forbidden: overlap with IPPool ${other.name} in IP ranges ${JSON.stringify(other.ipsText)}, total IP addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'`,
            { field: 'spec.ips', holder: other.name },
          );
        }
      } else if (cidrsOverlap(other.cidr, model.cidr)) {
        throw new IpamError(
          ErrorCode.InvalidPool,
          `spec.subnet ${model.space} overlaps IPPool ${other.name} whose spec.subnet is ${other.space}`,
          {
            field: 'spec.subnet',
            holder: other.name,
          },
        );
      }
    }
    for (const subnet of this.subnets.values()) {
      for (const f of subnet.families) {
        if (f.space !== model.space && cidrsOverlap(f.cidr, model.cidr)) {
          throw new IpamError(
            ErrorCode.InvalidPool,
            `spec.subnet ${model.space} overlaps Subnet ${subnet.name} (${f.space}); use exactly the subnet's CIDR to make the pool part of it, or a CIDR that does not overlap`,
            {
              field: 'spec.subnet',
              holder: subnet.name,
            },
          );
        }
      }
    }
    const subnet = this.subnetOfSpace(model.space);
    if (subnet) {
      for (const pool of this.ippools.values()) {
        const theirs = pool.subnet === subnet.name ? pool.sets.get(model.family) : undefined;
        if (theirs && theirs.overlaps(model.effective)) {
          throw new IpamError(
            ErrorCode.InvalidPool,
            `spec.ips overlaps IPPool ${pool.name} of subnet ${subnet.name} at ${theirs.intersection(model.effective).toString()}`,
            {
              field: 'spec.ips',
              holder: pool.name,
            },
          );
        }
      }
    }
    const old = this.spiderPools.get(model.name);
    if (old) {
      const space = this.spaces.get(old.space);
      for (const [value, lease] of this.heldIn(space, old.effective)) {
        if (!model.effective.contains(value)) {
          // Name the field that took it away: still listed in ips means it was excluded.
          const field = model.ips.contains(value) ? 'spec.excludeIPs' : 'spec.ips';
          const verb = field === 'spec.ips' ? 'remove' : 'exclude';
          throw new IpamError(
            ErrorCode.InUse,
            `${field}: Forbidden: ${verb} an IP address ${formatValue(old.family, value)} that is being used by ${lease.key}, total IP addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'`,
            { field, holder: lease.key },
          );
        }
      }
    }
    this.spiderPools.set(model.name, model);
    this.space(model.space, model.family);
    this.invalidate();
  }

  /** Removes a SpiderIPPool; refused while it has allocated addresses (SPP-8). */
  removeSpiderPool(name: string): void {
    const old = this.spiderPools.get(name);
    if (!old) return;
    const held = this.heldIn(this.spaces.get(old.space), old.effective).length;
    if (held > 0) {
      throw new IpamError(
        ErrorCode.InUse,
        `cannot delete SpiderIPPool ${name} with allocated IPs(${held}); release them first`,
        { holder: name },
      );
    }
    this.spiderPools.delete(name);
    this.invalidate();
  }

  /** Adds or replaces a cluster-wide reservation. Held addresses stay with their holders (SPR-2). */
  putReservation(model: ReservationModel): void {
    this.reservations.set(model.name, model);
    this.invalidate();
  }

  removeReservation(name: string): void {
    this.reservations.delete(name);
    this.invalidate();
  }

  /**
   * Sets or removes one configuration object without the cross-object checks: the undo of a change whose
   * store commit failed, restoring exactly what was there before.
   */
  restoreConfig(
    kind: ConfigKind,
    name: string,
    model: SubnetModel | IPPoolModel | SpiderPoolModel | ReservationModel | undefined,
  ): void {
    const map = {
      subnet: this.subnets,
      ippool: this.ippools,
      spider: this.spiderPools,
      reservation: this.reservations,
    }[kind] as Map<string, unknown>;
    if (model === undefined) map.delete(name);
    else map.set(name, model);
    this.invalidate();
  }

  /** The current configuration object of a kind, for undo. */
  configOf(
    kind: ConfigKind,
    name: string,
  ): SubnetModel | IPPoolModel | SpiderPoolModel | ReservationModel | undefined {
    return {
      subnet: this.subnets,
      ippool: this.ippools,
      spider: this.spiderPools,
      reservation: this.reservations,
    }[kind].get(name);
  }

  // ---------------------------------------------------------------- derived sets

  /** @internal Every reserved address of a family (SpiderReservedIP union). */
  reserved(family: Family): RangeSet {
    if (!this.reservedCache) {
      const byFamily = new Map<Family, RangeSet>([
        [4, RangeSet.empty(4)],
        [6, RangeSet.empty(6)],
      ]);
      for (const r of this.reservations.values())
        byFamily.set(r.family, byFamily.get(r.family)!.union(r.set));
      this.reservedCache = byFamily;
    }
    return this.reservedCache.get(family)!;
  }

  /**
   * @internal What a dynamic request may draw from (ENG-2): for a subnet, its usable range minus excludeIps
   * (gateway included), reserved addresses and every pool carved out of it; for a named pool, the pool's
   * addresses minus the subnet's excludes and reserved addresses. Cached until the configuration changes.
   */
  candidates(kind: 'subnet' | 'ippool' | 'spider', name: string, family: Family): RangeSet {
    const byName = this.candidateCache[kind];
    const cached = byName.get(name)?.[family];
    if (cached) return cached;
    let set: RangeSet;
    if (kind === 'subnet') {
      const subnet = this.subnets.get(name)!;
      const fam = subnet.families.find((f) => f.family === family)!;
      set = RangeSet.of(family, [fam.usable])
        .difference(fam.excluded)
        .difference(this.reserved(family))
        .difference(this.carved(subnet, fam));
    } else if (kind === 'ippool') {
      const pool = this.ippools.get(name)!;
      const fam = this.subnets.get(pool.subnet)?.families.find((f) => f.family === family);
      set = (pool.sets.get(family) ?? RangeSet.empty(family)).difference(this.reserved(family));
      if (fam) set = set.difference(fam.excluded);
    } else {
      const pool = this.spiderPools.get(name)!;
      set = pool.effective.difference(this.reserved(family));
      const fam = this.subnetOfSpace(pool.space)?.families.find((f) => f.family === family);
      if (fam) set = set.difference(fam.excluded);
    }
    let slots = byName.get(name);
    if (!slots) byName.set(name, (slots = []));
    slots[family] = set;
    return set;
  }

  /** Addresses of a subnet family that pools (IPPools, same-CIDR SpiderIPPools) have carved out. */
  private carved(subnet: SubnetModel, fam: SubnetFamily): RangeSet {
    let set = RangeSet.empty(fam.family);
    for (const pool of this.ippools.values()) {
      const s = pool.subnet === subnet.name ? pool.sets.get(fam.family) : undefined;
      if (s) set = set.union(s);
    }
    for (const pool of this.spiderPools.values())
      if (pool.space === fam.space) set = set.union(pool.effective);
    return set;
  }

  private invalidate(): void {
    this.version++;
    this.candidateCache.subnet.clear();
    this.candidateCache.ippool.clear();
    this.candidateCache.spider.clear();
    this.dynamicPlans.clear();
    this.reservedCache = undefined;
    this.spaceOwners = undefined;
  }

  // ---------------------------------------------------------------- queries

  /** @internal */
  space(id: string, family: Family): Space<Lease> {
    let space = this.spaces.get(id);
    if (!space) {
      space = new Space<Lease>(id, family);
      this.spaces.set(id, space);
    }
    return space;
  }

  /** The Subnet whose family CIDR is exactly this address space, if any. */
  subnetOfSpace(space: string): SubnetModel | undefined {
    if (!this.spaceOwners) {
      this.spaceOwners = new Map();
      for (const s of this.subnets.values()) for (const f of s.families) this.spaceOwners.set(f.space, s);
    }
    return this.spaceOwners.get(space);
  }

  /** The lease holding a MAC, if any (a scan: only for conflict messages). */
  macHolder(mac: number): Lease | undefined {
    if (!this.macs.has(mac)) return undefined;
    for (const lease of this.leases.values()) if (lease.mac === mac) return lease;
    return undefined;
  }

  getLease(key: string): Lease | undefined {
    return this.leases.get(key);
  }

  /** Who holds an address of a space (lease key), if anyone. */
  holderOf(space: string, value: bigint): Lease | undefined {
    return this.spaces.get(space)?.held.get(value);
  }

  /** Holders of addresses inside `set` of a space, ascending by address. Cost: min(|set|, held). */
  heldIn(space: Space<Lease> | undefined, set: RangeSet): [bigint, Lease][] {
    if (!space || space.held.size === 0 || set.isEmpty()) return [];
    const out: [bigint, Lease][] = [];
    if (set.size() <= BigInt(space.held.size)) {
      for (const r of set.ranges()) {
        for (let v = r.start; v <= r.end; v++) {
          const lease = space.held.get(v);
          if (lease) out.push([v, lease]);
        }
      }
      return out;
    }
    for (const [v, lease] of space.held) if (set.contains(v)) out.push([v, lease]);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  /**
   * How many addresses inside `set` are held, cheaply: walks whichever is smallest of the set, its
   * complement within `universe` (the space's CIDR), or the held addresses.
   */
  countHeldIn(space: Space<Lease> | undefined, set: RangeSet, universe: RangeSet): number {
    if (!space || space.held.size === 0 || set.isEmpty()) return 0;
    const held = BigInt(space.held.size);
    if (set.size() <= held) return this.heldIn(space, set).length;
    const complement = universe.difference(set);
    if (complement.size() <= held) return space.held.size - this.heldIn(space, complement).length;
    let n = 0;
    for (const v of space.held.keys()) if (set.contains(v)) n++;
    return n;
  }

  private subnetHeldCount(subnet: SubnetModel): number {
    let n = 0;
    for (const f of subnet.families) n += this.spaces.get(f.space)?.held.size ?? 0;
    return n;
  }

  /** Leases whose key starts with a prefix (e.g. all interfaces of one owner). */
  leasesWithPrefix(prefix: string): Lease[] {
    const out: Lease[] = [];
    for (const [key, lease] of this.leases) if (key.startsWith(prefix)) out.push(lease);
    return out;
  }

  // ---------------------------------------------------------------- release and revert

  /** Next release sequence number (the quarantine order). */
  /** @internal */ nextSeq(): number {
    return ++this.seq;
  }

  /**
   * Releases what `key` holds (all families, or only `families`). Releasing nothing succeeds with no
   * effects. Released addresses enter the quarantine (ENG-1); the MAC is freed with the last address.
   */
  release(key: string, options: { families?: readonly Family[] } = {}): Outcome {
    this.version++;
    const lease = this.leases.get(key);
    if (!lease) return { lease: undefined, before: undefined, effects: [] };
    const before = cloneLease(lease);
    const effects: Effect[] = [];
    const keep: LeaseAddress[] = [];
    for (const a of lease.addresses) {
      if (options.families && !options.families.includes(a.family)) {
        keep.push(a);
        continue;
      }
      this.releaseAddress(a, key, effects);
    }
    lease.addresses = keep;
    if (keep.length === 0) {
      if (lease.mac !== undefined) {
        this.macs.delete(lease.mac);
        effects.push({ type: 'releaseMac', mac: lease.mac, key });
      }
      this.leases.delete(key);
      return { lease: undefined, before, effects };
    }
    return { lease, before, effects };
  }

  /** @internal Releases one address `key` holds into its space's quarantine, recording what changed. */
  releaseAddress(a: LeaseAddress, key: string, effects: Effect[]): void {
    const seq = this.nextSeq();
    const retired = this.spaces.get(a.space)!.release(a.value, seq, this.quarantineCap);
    effects.push({ type: 'release', space: a.space, family: a.family, value: a.value, key, seq });
    for (const r of retired) effects.push({ type: 'retire', space: a.space, family: a.family, ...r });
  }

  /** Undoes an outcome whose store commit failed, restoring the exact prior state (quarantine order included). */
  revert(outcome: Outcome): void {
    this.version++;
    for (const e of [...outcome.effects].reverse()) {
      if (e.type === 'hold') {
        const space = this.spaces.get(e.space)!;
        space.held.delete(e.value);
        if (e.fromQuarantineSeq !== undefined) space.quarantine.add(e.value, e.fromQuarantineSeq);
        else space.used.remove(e.value);
      } else if (e.type === 'release') {
        const space = this.spaces.get(e.space)!;
        space.quarantine.delete(e.value);
        space.held.set(e.value, this.leases.get(e.key) ?? outcome.before!);
      } else if (e.type === 'retire') {
        this.spaces.get(e.space)!.unretire(e.value, e.seq);
      } else if (e.type === 'holdMac') {
        this.macs.delete(e.mac);
      } else {
        this.macs.add(e.mac);
      }
    }
    const key = outcome.before?.key ?? outcome.lease?.key;
    if (key === undefined) return;
    if (outcome.before) {
      const restored = outcome.before;
      this.leases.set(key, restored);
      for (const a of restored.addresses) this.spaces.get(a.space)!.held.set(a.value, restored);
      if (restored.mac !== undefined) this.macs.add(restored.mac);
    } else {
      this.leases.delete(key);
    }
  }

  // ---------------------------------------------------------------- save / load

  /** The engine's whole state as plain records. */
  snapshot(): EngineSnapshot {
    const leases: LeaseRecord[] = [...this.leases.values()]
      .map(leaseRecordOf)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const quarantine: QuarantineRecord[] = [];
    for (const space of this.spaces.values()) {
      for (const e of space.quarantine)
        quarantine.push({ space: space.id, address: formatValue(space.family, e.value), seq: e.seq });
    }
    quarantine.sort((a, b) => a.seq - b.seq);
    return {
      subnets: [...this.subnets.values()],
      ippools: [...this.ippools.values()],
      spiderPools: [...this.spiderPools.values()],
      reservations: [...this.reservations.values()],
      leases,
      quarantine,
    };
  }

  /**
   * Rebuilds an engine from records, in any order. Configuration is installed without the cross-object
   * checks (it was accepted when written); leases and quarantine are installed as recorded.
   */
  static load(snapshot: EngineSnapshot, options: EngineOptions): Engine {
    const engine = new Engine(options);
    for (const s of snapshot.subnets) {
      engine.subnets.set(s.name, s);
      for (const f of s.families) engine.space(f.space, f.family);
    }
    for (const p of snapshot.ippools) engine.ippools.set(p.name, p);
    for (const p of snapshot.spiderPools) {
      engine.spiderPools.set(p.name, p);
      engine.space(p.space, p.family);
    }
    for (const r of snapshot.reservations) engine.reservations.set(r.name, r);
    engine.installState(snapshot.leases, snapshot.quarantine);
    return engine;
  }

  /** Installs recorded leases and quarantine entries, in any order (start-up). */
  installState(leases: readonly LeaseRecord[], quarantine: readonly QuarantineRecord[]): void {
    for (const rec of leases) this.installLease(rec);
    for (const q of [...quarantine].sort((a, b) => a.seq - b.seq)) {
      const addr = parseAddress(q.address);
      const space = this.space(q.space, addr.family);
      if (q.seq > this.seq) this.seq = q.seq;
      if (space.held.has(addr.value)) continue;
      space.quarantine.add(addr.value, q.seq);
      space.used.add(addr.value);
    }
  }

  /** @internal Installs a recorded lease as is (load, or a change seen from another daemon). */
  installLease(rec: LeaseRecord): Lease {
    this.version++;
    const lease: Lease = {
      key: rec.key,
      subnet: rec.subnet,
      addresses: [],
      mac: rec.mac ? parseMac(rec.mac) : undefined,
    };
    for (const a of rec.addresses) {
      const addr: Address = parseAddress(a.address);
      const space = this.space(a.space, addr.family);
      space.hold(addr.value, lease);
      lease.addresses.push(new HeldAddress(a.space, addr.value, a.pool ?? ''));
    }
    if (lease.mac !== undefined) this.macs.add(lease.mac);
    this.leases.set(lease.key, lease);
    return lease;
  }

  private checkSpiderOverlapForIPPool(model: IPPoolModel): void {
    const subnet = this.subnets.get(model.subnet)!;
    for (const pool of this.spiderPools.values()) {
      const fam = subnet.families.find((f) => f.space === pool.space);
      const mine = fam && model.sets.get(fam.family);
      if (mine && mine.overlaps(pool.effective)) {
        throw new IpamError(
          ErrorCode.InvalidPool,
          `spec.ips overlaps SpiderIPPool ${pool.name} at ${mine.intersection(pool.effective).toString()}`,
          {
            field: 'spec.ips',
            holder: pool.name,
          },
        );
      }
    }
  }
}
