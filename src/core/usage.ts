import { type Family } from './ip/address.js';
import { cidrRange, parseCidr } from './ip/cidr.js';
import { RangeSet } from './ip/range-set.js';
import { type Engine } from './engine.js';
import { type Lease } from './lease.js';
import { spiderTotalCount } from './model/spider-pool.js';

/** Usage of one family of a subnet or pool (SUB-7, POOL-5). */
export interface FamilyUsage {
  family: Family;
  /** Held addresses (excluded ones that were taken statically do not count, as in Kube-OVN). */
  using: number;
  /** Addresses that could still be handed out. */
  available: bigint;
  /** Comma-joined ranges (`a-b,c`), computed only when asked for: they cost O(held). */
  usingRange?: string;
  availableRange?: string;
}

export interface UsageOptions {
  ranges?: boolean;
}

function heldSet(family: Family, held: [bigint, Lease][]): RangeSet {
  return RangeSet.of(
    family,
    held.map(([v]) => ({ start: v, end: v })),
  );
}

/**
 * Counts for one address set of a space. `scope` is what belongs to it; `excluded` is never counted (an
 * excluded address taken statically does not count as using, as in Kube-OVN); `reserved` addresses still
 * count as using while someone holds them (SPR-2) but are never available.
 */
function usageOf(
  engine: Engine,
  spaceId: string,
  family: Family,
  scope: RangeSet,
  excluded: RangeSet,
  options: UsageOptions,
): FamilyUsage {
  const space = engine.spaces.get(spaceId);
  const universe = spaceUniverse(spaceId, family);
  const counted = scope.difference(excluded);
  const base = counted.difference(engine.reserved(family));
  const using = engine.countHeldIn(space, counted, universe);
  const heldInBase = counted === base ? using : engine.countHeldIn(space, base, universe);
  const usage: FamilyUsage = { family, using, available: base.size() - BigInt(heldInBase) };
  if (options.ranges) {
    const usingSet = heldSet(family, engine.heldIn(space, counted));
    usage.usingRange = usingSet.toString();
    usage.availableRange = base.difference(usingSet).toString();
  }
  return usage;
}

function spaceUniverse(spaceId: string, family: Family): RangeSet {
  return RangeSet.of(family, [cidrRange(parseCidr(spaceId))]);
}

const cache = new WeakMap<Engine, { version: number; entries: Map<string, FamilyUsage[] | undefined> }>();

/** Memoises a usage computation until the engine's state changes (reads between writes are free). */
function cached(
  engine: Engine,
  id: string,
  compute: () => FamilyUsage[] | undefined,
): FamilyUsage[] | undefined {
  let c = cache.get(engine);
  if (!c || c.version !== engine.version)
    cache.set(engine, (c = { version: engine.version, entries: new Map() }));
  if (!c.entries.has(id)) c.entries.set(id, compute());
  return c.entries.get(id);
}

/** SUB-7: per-family counters of a subnet, computed from the allocator. Undefined for an unknown subnet. */
export function subnetUsage(
  engine: Engine,
  name: string,
  options: UsageOptions = {},
): FamilyUsage[] | undefined {
  return cached(engine, `subnet\u0000${name}\u0000${options.ranges === true}`, () =>
    computeSubnetUsage(engine, name, options),
  );
}

function computeSubnetUsage(engine: Engine, name: string, options: UsageOptions): FamilyUsage[] | undefined {
  const subnet = engine.subnets.get(name);
  if (!subnet) return undefined;
  return subnet.families.map((f) => {
    const scope = RangeSet.of(f.family, [f.usable]);
    return usageOf(engine, f.space, f.family, scope, f.excluded, options);
  });
}

/** POOL-5: per-family counters of a Kube-OVN IPPool. */
export function ippoolUsage(
  engine: Engine,
  name: string,
  options: UsageOptions = {},
): FamilyUsage[] | undefined {
  return cached(engine, `ippool\u0000${name}\u0000${options.ranges === true}`, () =>
    computeIPPoolUsage(engine, name, options),
  );
}

function computeIPPoolUsage(engine: Engine, name: string, options: UsageOptions): FamilyUsage[] | undefined {
  const pool = engine.ippools.get(name);
  const subnet = pool && engine.subnets.get(pool.subnet);
  if (!pool || !subnet) return undefined;
  return subnet.families.map((f) => {
    const scope = pool.sets.get(f.family) ?? RangeSet.empty(f.family);
    return usageOf(engine, f.space, f.family, scope, f.excluded, options);
  });
}

/** SPP-7: a SpiderIPPool's allocated addresses (ascending, with their leases) and total count. */
export function spiderPoolUsage(
  engine: Engine,
  name: string,
): { allocated: [bigint, Lease][]; total: bigint } | undefined {
  const pool = engine.spiderPools.get(name);
  if (!pool) return undefined;
  return {
    allocated: engine.heldIn(engine.spaces.get(pool.space), pool.effective),
    total: spiderTotalCount(pool),
  };
}
