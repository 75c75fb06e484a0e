import { type AllocateRequest, type PoolEntry } from './allocate.js';
import { type NamespaceRequest, type PodRequest, expandPoolNames } from './annotations/index.js';
import { ErrorCode, IpamError } from './errors.js';
import { type Address, type Family, formatAddress } from './ip/address.js';
import { type Cidr, cidrContains } from './ip/cidr.js';

/** A Subnet as placement sees it. */
export interface SubnetView {
  readonly name: string;
  /** Its CIDRs (one per family), to find the subnet that holds a static address. */
  readonly cidrs: readonly Cidr[];
  /** `spec.namespaces` (SUB-8). */
  readonly namespaces: readonly string[];
  readonly isDefault: boolean;
}

/** A Kube-OVN IPPool as placement sees it. */
export interface IPPoolView {
  readonly name: string;
  readonly subnet: string;
  /** `spec.namespaces` (POOL-3). */
  readonly namespaces: readonly string[];
}

/** A SpiderIPPool as placement sees it. */
export interface SpiderPoolView {
  readonly name: string;
  readonly family: Family;
  readonly isDefault: boolean;
}

/** The configured subnets and pools, each list oldest first (the caller sorts by creation). */
export interface PlacementWorld {
  readonly subnets: readonly SubnetView[];
  readonly ippools: readonly IPPoolView[];
  readonly spiderPools: readonly SpiderPoolView[];
  /** The daemon's default subnet name (`ovn-default`), used when no subnet says `default: true`. */
  readonly configuredDefault?: string | undefined;
}

/** The network config's `ipam` keys (network-level defaults). */
export interface NetworkChoice {
  readonly subnet?: string | undefined;
  readonly ippools: readonly string[];
  readonly defaultIpv4Pools: readonly string[];
  readonly defaultIpv6Pools: readonly string[];
}

/** The IP object this attachment's key already names: a reservation, or an earlier allocation. */
export interface ExistingAllocation {
  readonly subnet: string;
  readonly reserved: boolean;
  /** The UID of the pod that made it, when recorded. */
  readonly podUid?: string | undefined;
}

/** Everything placement decides from: plain facts, gathered by the CNI endpoint or the Kubernetes layer. */
export interface PlacementFacts {
  /** The pod's namespace; undefined for a bare container (no namespace stages then). */
  readonly namespace?: string | undefined;
  /** The pod's UID, when known (a stale allocation of an older same-name pod does not pin the subnet). */
  readonly podUid?: string | undefined;
  /** The pod's parsed annotations (parsePodRequest). */
  readonly pod: PodRequest;
  /** The namespace's parsed annotations (parseNamespaceRequest); empty when unknown (standalone). */
  readonly namespaceRequest: NamespaceRequest;
  /** Static addresses the runtime asked for (CNI-3: runtimeConfig.ips, args); used when no ip_address. */
  readonly requestedAddresses: readonly Address[];
  readonly network: NetworkChoice;
  readonly existing?: ExistingAllocation | undefined;
  readonly world: PlacementWorld;
}

/** One allocation to try: an allocation request without the key and MAC, which the caller adds. */
export type Attempt = Omit<AllocateRequest, 'key' | 'mac' | 'skip'>;

/** The rows of the precedence table, in order (K8S-3). */
export const PLACEMENT_STAGES = [
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
] as const;
export type PlacementStage = (typeof PLACEMENT_STAGES)[number];

/** The verdict: which row decided, and the allocations to try in order. */
export interface Placement {
  readonly stage: PlacementStage;
  readonly attempts: readonly Attempt[];
  /** Error codes after which the next attempt is tried; any other error ends the placement. */
  readonly fallThrough: readonly ErrorCode[];
  /** When every attempt fell through: what the NoAvailableAddress error says (with the last cause). */
  readonly exhausted?: string;
}

const EXHAUSTED_FALLS_THROUGH: readonly ErrorCode[] = [ErrorCode.NoAvailableAddress];

interface Row {
  readonly stage: PlacementStage;
  /** The placement, or undefined when the row does not apply to these facts. */
  readonly decide: (f: PlacementFacts, statics: readonly Address[]) => Omit<Placement, 'stage'> | undefined;
}

const one = (attempt: Attempt): Omit<Placement, 'stage'> => ({ attempts: [attempt], fallThrough: [] });

function inOrder(attempts: Attempt[], exhausted: string): Omit<Placement, 'stage'> {
  return { attempts, fallThrough: EXHAUSTED_FALLS_THROUGH, exhausted };
}

function spiderAttempt(world: PlacementWorld, ipv4: readonly string[], ipv6: readonly string[]): Attempt {
  const names = world.spiderPools.map((p) => p.name);
  return { spiderPools: { ipv4: expandPoolNames(ipv4, names), ipv6: expandPoolNames(ipv6, names) } };
}

const boundTo = (namespace: string | undefined, bound: readonly string[]): boolean =>
  namespace !== undefined && bound.includes(namespace);

/**
 * The subnets a pod may use without naming one, in order: its namespace's subnets (annotation, then
 * bindings), the network's subnet, the default subnet. A static address or ip_pool list is placed in the
 * first of them that contains it (Kube-OVN tries every namespace subnet the same way).
 */
function implicitSubnets(f: PlacementFacts): string[] {
  const names = [
    ...(f.namespaceRequest.logicalSwitches ?? []),
    ...f.world.subnets.filter((s) => boundTo(f.namespace, s.namespaces)).map((s) => s.name),
    ...(f.network.subnet ? [f.network.subnet] : []),
    ...[defaultSubnetOf(f.world)].filter((s): s is string => s !== undefined),
  ];
  return [...new Set(names)];
}

/** Implicit subnets that contain every address of `addresses` (by family). */
function subnetsHolding(f: PlacementFacts, addresses: readonly Address[]): string[] {
  const byName = new Map(f.world.subnets.map((s) => [s.name, s]));
  return implicitSubnets(f).filter((name) => {
    const s = byName.get(name);
    return s !== undefined && addresses.every((a) => s.cidrs.some((c) => cidrContains(c, a)));
  });
}

function outsideAll(f: PlacementFacts, what: string, field: string): IpamError {
  const names = implicitSubnets(f);
  return new IpamError(
    ErrorCode.AddressOutOfRange,
    `${what} is in none of the subnets this pod may use (${names.join(', ') || 'none'}); ` +
      `name its subnet with ${field.replace(/[^/]+$/, 'logical_switch')}`,
    { field, value: what },
  );
}

/** The default subnet: the oldest with `default: true`, else the daemon's configured one if it exists. */
export function defaultSubnetOf(world: PlacementWorld): string | undefined {
  const marked = world.subnets.find((s) => s.isDefault);
  if (marked) return marked.name;
  const configured = world.configuredDefault;
  return configured !== undefined && world.subnets.some((s) => s.name === configured)
    ? configured
    : undefined;
}

const entryAddresses = (e: PoolEntry): Address[] => [e.v4, e.v6].filter((a): a is Address => a !== undefined);

/**
 * The table of precedence (K8S-3). The first row that applies decides; later rows are not merged in. Static
 * addresses (ip_address, or what the runtime asked for) ride along with whatever source a row picks.
 */
const TABLE: readonly Row[] = [
  {
    // IPR-7, ENG-4: a reservation, or this pod's own earlier allocation, keeps the pod in its subnet.
    stage: 'reservation',
    decide: (f, statics) => {
      const e = f.existing;
      if (!e || e.subnet === '') return undefined;
      const samePod = e.podUid === undefined || f.podUid === undefined || e.podUid === f.podUid;
      return e.reserved || samePod ? one({ subnet: e.subnet, addresses: statics }) : undefined;
    },
  },
  {
    // STA-1: the subnet that holds the address; with logical_switch that subnet only (STA-4: no fallback).
    stage: 'ip_address',
    decide: (f, statics) => {
      const pair = f.pod.ipAddress;
      if (!pair) return undefined;
      if (f.pod.logicalSwitch) return one({ subnet: f.pod.logicalSwitch, addresses: statics });
      const [subnet] = subnetsHolding(f, statics);
      if (subnet) return one({ subnet, addresses: statics });
      // Not in any Subnet: the pod's own SpiderIPPools may hold it (the static rides with that row).
      if (f.pod.spiderPools) return undefined;
      throw outsideAll(f, statics.map(formatAddress).join(','), 'ovn.kubernetes.io/ip_address');
    },
  },
  {
    // STA-4, with the pod's ip_pool (a pool or a list) drawn inside that subnet.
    stage: 'logical_switch',
    decide: (f, statics) => {
      const subnet = f.pod.logicalSwitch;
      if (!subnet) return undefined;
      const pool = f.pod.ipPool;
      if (pool?.kind === 'pool') return one({ subnet, ippool: pool.name, addresses: statics });
      if (pool?.kind === 'list') return one({ subnet, entries: pool.entries });
      return one({ subnet, addresses: statics });
    },
  },
  {
    // STA-7 an IPPool name; STA-5/STA-6 a list, in each implicit subnet that holds some of its entries.
    stage: 'ip_pool',
    decide: (f, statics) => {
      const pool = f.pod.ipPool;
      if (!pool) return undefined;
      if (pool.kind === 'pool') return one({ ippool: pool.name, addresses: statics });
      const subnets = [
        ...new Set(pool.entries.flatMap((e) => entryAddresses(e).flatMap((a) => subnetsHolding(f, [a])))),
      ];
      if (subnets.length === 0) {
        const first = entryAddresses(pool.entries[0]!).map(formatAddress).join(',');
        throw outsideAll(f, first, 'ovn.kubernetes.io/ip_pool');
      }
      const attempts = subnets.map((subnet) => ({ subnet, entries: pool.entries }));
      // One subnet: the allocator's own "no free entry" says it all.
      if (attempts.length === 1) return one(attempts[0]!);
      return inOrder(attempts, `no free entry in ovn.kubernetes.io/ip_pool in subnets ${subnets.join(', ')}`);
    },
  },
  {
    // SPP-6: the pod's own Spiderpool choice.
    stage: 'spider_annotation',
    decide: (f, statics) => {
      const choice = f.pod.spiderPools;
      if (!choice) return undefined;
      return one({ ...spiderAttempt(f.world, choice.ipv4, choice.ipv6), addresses: statics });
    },
  },
  {
    // The namespace's subnets in the order its annotation lists them; an exhausted one falls through.
    stage: 'namespace_logical_switch',
    decide: (f, statics) => {
      const names = f.namespaceRequest.logicalSwitches;
      if (!names || names.length === 0) return undefined;
      return inOrder(
        names.map((subnet) => ({ subnet, addresses: statics })),
        `subnets ${names.join(', ')} of namespace ${f.namespace ?? ''} are all exhausted`,
      );
    },
  },
  {
    // SPP-6: the namespace's default SpiderIPPools.
    stage: 'namespace_spider_pools',
    decide: (f, statics) => {
      const v4 = f.namespaceRequest.spiderDefaultIPv4Pools ?? [];
      const v6 = f.namespaceRequest.spiderDefaultIPv6Pools ?? [];
      if (v4.length + v6.length === 0) return undefined;
      return one({ ...spiderAttempt(f.world, v4, v6), addresses: statics });
    },
  },
  {
    // POOL-3: only the IPPools bound to the namespace, oldest first; all exhausted → no fallback.
    stage: 'namespace_ippools',
    decide: (f, statics) => {
      const pools = f.world.ippools.filter((p) => boundTo(f.namespace, p.namespaces)).map((p) => p.name);
      if (pools.length === 0) return undefined;
      return inOrder(
        pools.map((ippool) => ({ ippool, addresses: statics })),
        `IPPools ${pools.join(', ')} bound to namespace ${f.namespace!} are all exhausted ` +
          `(pods of a bound namespace draw only from its pools)`,
      );
    },
  },
  {
    // SUB-8: the subnets bound to the namespace, oldest first; an exhausted one falls through.
    stage: 'namespace_subnets',
    decide: (f, statics) => {
      const subnets = f.world.subnets.filter((s) => boundTo(f.namespace, s.namespaces)).map((s) => s.name);
      if (subnets.length === 0) return undefined;
      return inOrder(
        subnets.map((subnet) => ({ subnet, addresses: statics })),
        `subnets ${subnets.join(', ')} bound to namespace ${f.namespace!} are all exhausted`,
      );
    },
  },
  {
    // The network config: Spiderpool default pools, else its IPPools in order, else its subnet.
    stage: 'network',
    decide: (f, statics) => {
      const n = f.network;
      if (n.defaultIpv4Pools.length + n.defaultIpv6Pools.length > 0)
        return one({ ...spiderAttempt(f.world, n.defaultIpv4Pools, n.defaultIpv6Pools), addresses: statics });
      if (n.ippools.length > 0)
        return inOrder(
          n.ippools.map((ippool) => ({ subnet: n.subnet, ippool, addresses: statics })),
          `IPPools ${n.ippools.join(', ')} of the network config are all exhausted`,
        );
      return n.subnet ? one({ subnet: n.subnet, addresses: statics }) : undefined;
    },
  },
  {
    // SPP-6: every SpiderIPPool with `default: true`, oldest first.
    stage: 'default_spider_pools',
    decide: (f, statics) => {
      const defaults = f.world.spiderPools.filter((p) => p.isDefault);
      if (defaults.length === 0) return undefined;
      const of = (family: Family): string[] => defaults.filter((p) => p.family === family).map((p) => p.name);
      return one({ spiderPools: { ipv4: of(4), ipv6: of(6) }, addresses: statics });
    },
  },
  {
    stage: 'default_subnet',
    decide: (f, statics) => {
      const subnet = defaultSubnetOf(f.world);
      if (subnet === undefined)
        throw new IpamError(
          ErrorCode.NoSubnet,
          'no subnet: set "subnet" in the ipam config, annotate the pod with ovn.kubernetes.io/logical_switch, or create a default subnet',
        );
      return one({ subnet, addresses: statics });
    },
  },
];

/**
 * Where an attachment draws its addresses from (K8S-3): one table of precedence over plain facts, the same
 * for standalone CNI mode and Kubernetes mode. Throws IpamError for a choice that can never work (a static
 * address outside every subnet the pod may use, no subnet at all); whether named objects exist is the
 * allocator's check, made when an attempt runs.
 */
export function placeAttachment(facts: PlacementFacts): Placement {
  const pair = facts.pod.ipAddress;
  const statics = pair
    ? [pair.v4, pair.v6].filter((a): a is Address => a !== undefined)
    : facts.requestedAddresses;
  for (const row of TABLE) {
    const verdict = row.decide(facts, statics);
    if (verdict) return { stage: row.stage, ...verdict };
  }
  throw new IpamError(ErrorCode.NoSubnet, 'no placement row applied'); // the last row always decides
}

/**
 * Runs a placement's attempts in order with `run` (the caller's allocation), moving to the next one only
 * on an error the placement lets fall through. When all fall through, the error says which were tried
 * (and why the last one failed).
 */
export function runPlacement<T>(placement: Placement, run: (attempt: Attempt) => T): T {
  let last: IpamError | undefined;
  for (const attempt of placement.attempts) {
    try {
      return run(attempt);
    } catch (e) {
      if (!(e instanceof IpamError) || !placement.fallThrough.includes(e.code)) throw e;
      last = e;
    }
  }
  if (placement.exhausted && last)
    throw new IpamError(ErrorCode.NoAvailableAddress, `${placement.exhausted} (last: ${last.message})`);
  throw (
    last ?? new IpamError(ErrorCode.NoAvailableAddress, placement.exhausted ?? 'nothing to allocate from')
  );
}
