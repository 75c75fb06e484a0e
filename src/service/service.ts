import { type Engine, type RandomSource, type Stripe, Engine as EngineClass } from '../core/index.js';
import { type HistoryEntry, type HistoryQuery, type Store } from '../store/store.js';
import { CniOps } from './cni-ops.js';
import { ServiceError } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import { PodAllocations } from './pod-allocations.js';
import { ipHandler } from './kinds/ip.js';
import { ippoolHandler } from './kinds/ippool.js';
import { type KindHandler } from './kinds/kind.js';
import { reservedIpHandler } from './kinds/reserved-ip.js';
import { spiderPoolHandler } from './kinds/spider-pool.js';
import { subnetHandler } from './kinds/subnet.js';
import { type ListOptions, ResourceTable } from './resource-service.js';
import {
  type DeleteOptions,
  KIND_NAMES,
  type KindName,
  type KubeObject,
  type WatchEvent,
  type WriteOptions,
} from './types.js';
import { WatchHub } from './watch-hub.js';
import { OrderedWatchHub } from './ordered-hub.js';
import { type ProposalCounters, type Proposals } from './proposals.js';
import { type ReplicationStats, Replicator, type ReplicatorLog } from './replicator.js';
import { isReplicated } from '../store/change-feed.js';

export interface DefaultSubnetOptions {
  name: string;
  cidrBlock: string;
}

export interface IpamServiceOptions {
  store: Store;
  random: RandomSource;
  now?: () => Date;
  /** Created on first start (an empty store); null for none. Default `ovn-default` 10.16.0.0/16. */
  defaultSubnet?: DefaultSubnetOptions | null;
  /** Node name written on IP objects of CNI attachments. */
  nodeName?: string;
  /** Releases kept in the quarantine of an IPv6 space larger than /96 (EngineOptions.quarantineCap). */
  quarantineCap?: number;
  /**
   * Events per kind a watch can resume from (default 10,000), of the last 75 s (and the newest 100 of each
   * kind, however old); older versions answer 410 Expired.
   */
  watchHistory?: number;
  /** Where replication reports what it does (a store shared by several daemons). */
  log?: ReplicatorLog;
  /** This daemon's share of each address space among the live daemons (a shared store; see Stripe). */
  stripe?: () => Stripe | undefined;
}

/**
 * A stored object that is served but not in effect: it did not pass the rules of this version when the store
 * was loaded (e.g. a rule tightened since it was written), so the engine does not use it. The daemon reports
 * each one loudly; the operator fixes or deletes it through the API, which serves it as stored.
 */
export interface LoadProblem {
  kind: KindName;
  name: string;
  reason: string;
}

const HANDLERS: Record<KindName, KindHandler> = {
  Subnet: subnetHandler,
  IP: ipHandler,
  IPPool: ippoolHandler,
  SpiderIPPool: spiderPoolHandler,
  SpiderReservedIP: reservedIpHandler,
};

/** Kinds whose status is computed from the engine (their served resourceVersion moves with it). */
const DERIVED_STATUS: ReadonlySet<KindName> = new Set(['Subnet', 'IPPool', 'SpiderIPPool']);

/** Start-up order: pools need their subnet. */
const INSTALL_ORDER: readonly KindName[] = ['Subnet', 'IPPool', 'SpiderIPPool', 'SpiderReservedIP', 'IP'];

/**
 * The service: the five resources (what the API serves) and the CNI operations, on one engine and one store.
 * Everything that changes state is committed to the store before it is answered.
 */
export class IpamService {
  readonly engine: Engine;
  private readonly store: Store;
  private readonly resources: ResourceTable;
  private readonly cni: CniOps;
  /** Pod allocations for the Kubernetes collector (src/k8s): what to judge, and a guarded release. */
  readonly podAllocations: PodAllocations;
  private closed = false;
  /** Objects that were loaded but are not in effect (see {@link LoadProblem}); empty when all loaded. */
  readonly loadProblems: readonly LoadProblem[];

  private constructor(
    engine: Engine,
    store: Store,
    resources: ResourceTable,
    cni: CniOps,
    loadProblems: LoadProblem[],
    locks: KeyedMutex,
    /** The propose → commit loop (several daemons). */
    private readonly proposalLoop: Proposals,
    /** Present when the store is shared by several daemons (etcd): applies what the others commit (DUR-5). */
    private readonly replicator: Replicator | undefined,
  ) {
    this.engine = engine;
    this.store = store;
    this.resources = resources;
    this.cni = cni;
    this.loadProblems = loadProblems;
    this.podAllocations = new PodAllocations({ engine, resources, locks });
  }

  /** Loads the store into a fresh engine (DUR-1: nothing is rebuilt from anywhere but the store). */
  static async open(options: IpamServiceOptions): Promise<IpamService> {
    const now = options.now ?? (() => new Date());
    const snapshot = await options.store.load();
    const engine = new EngineClass({
      random: options.random,
      ...(options.quarantineCap !== undefined ? { quarantineCap: options.quarantineCap } : {}),
    });
    const locks = new KeyedMutex();
    // A store shared with other daemons: commits go through the replicator, which keeps memory equal to it.
    const replicator = isReplicated(options.store) ? new Replicator(options.store, options.log) : undefined;
    const proposals: Proposals = {
      counters: { retries: 0, exhausted: 0 },
      stripe: options.stripe,
      settle: replicator && (() => replicator.settle()),
    };
    const memory = { now: () => now().getTime() };
    const hub = replicator
      ? new OrderedWatchHub(snapshot.revision, options.watchHistory, memory)
      : new WatchHub(snapshot.revision, options.watchHistory, memory);
    const resources = new ResourceTable({
      engine,
      store: replicator?.store ?? options.store,
      hub,
      locks,
      handlers: HANDLERS,
      now,
      proposals,
    });
    resources.currentRevision = snapshot.revision;
    const loadProblems: LoadProblem[] = [];
    for (const kind of INSTALL_ORDER) {
      for (const o of snapshot.objects.filter((x) => x.kind === kind)) {
        const object = o.body as unknown as KubeObject;
        // A stored object that no longer validates is still served, so an operator can see and fix it, and
        // is reported: the daemon logs it, counts it in /metrics and lists it on its health endpoints.
        try {
          HANDLERS[kind].install(object, resources.ctx);
        } catch (e) {
          loadProblems.push({ kind, name: o.name, reason: e instanceof Error ? e.message : String(e) });
        }
        resources.install(
          kind,
          object,
          o.revision,
          DERIVED_STATUS.has(kind) ? snapshot.revision : o.revision,
        );
      }
    }
    engine.installState(snapshot.leases, snapshot.quarantine);
    const defaultName =
      options.defaultSubnet === null ? undefined : (options.defaultSubnet?.name ?? 'ovn-default');
    const cni = new CniOps({
      engine,
      resources,
      locks,
      now,
      proposals,
      nodeName: options.nodeName ?? '',
      configuredDefault: defaultName,
      storeReady: () => replicator?.ready() ?? true,
    });
    const service = new IpamService(
      engine,
      options.store,
      resources,
      cni,
      loadProblems,
      locks,
      proposals,
      replicator,
    );
    if (replicator) replicator.start({ engine, resources, handlers: HANDLERS, hub: hub as OrderedWatchHub });
    if (snapshot.revision === 0 && options.defaultSubnet !== null) {
      const d = options.defaultSubnet ?? { name: 'ovn-default', cidrBlock: '10.16.0.0/16' };
      try {
        await resources.create(
          'Subnet',
          {
            apiVersion: 'kubeovn.io/v1',
            kind: 'Subnet',
            metadata: { name: d.name },
            spec: {
              cidrBlock: d.cidrBlock,
              default: true,
              provider: 'ovn',
              vpc: 'ovn-cluster',
              natOutgoing: true,
              private: false,
              gatewayType: 'distributed',
            },
          },
          { dryRun: false },
        );
      } catch (e) {
        // Daemons started together on an empty shared store: one of them creates it, the others receive it.
        if (!(
          replicator &&
          e instanceof ServiceError &&
          (e.code === 'Conflict' || e.code === 'AlreadyExists')
        ))
          throw e;
      }
    }
    return service;
  }

  private check(): void {
    if (this.closed) throw new ServiceError('Unavailable', 'ipkeeper is shutting down; try again');
  }

  // ---------------------------------------------------------------- resources (src/api ResourceService)

  get(kind: KindName, name: string): KubeObject | undefined {
    return this.resources.get(kind, name);
  }

  list(kind: KindName, options?: ListOptions): ReturnType<ResourceTable['list']> {
    return this.resources.list(kind, options);
  }

  create(kind: KindName, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    this.check();
    return this.resources.create(kind, obj, opts);
  }

  update(kind: KindName, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    this.check();
    return this.resources.update(kind, obj, opts);
  }

  updateStatus(kind: KindName, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    this.check();
    return this.resources.update(kind, obj, opts, 'status');
  }

  delete(kind: KindName, name: string, opts: DeleteOptions): Promise<KubeObject> {
    this.check();
    return this.resources.delete(kind, name, opts);
  }

  watch(
    kind: KindName,
    fromResourceVersion: string | undefined,
    onEvent: (e: WatchEvent) => void,
  ): () => void {
    return this.resources.watch(kind, fromResourceVersion, onEvent);
  }

  // ---------------------------------------------------------------- CNI (src/cni CniService)

  /** The CNI operations object, for the CNI endpoint (it implements src/cni's CniService). */
  get cniService(): CniOps {
    return this.cni;
  }

  // ---------------------------------------------------------------- operators

  /** Who held an address (or what a key held), newest first (SPEC §12). */
  history(query: HistoryQuery): Promise<HistoryEntry[]> {
    return this.store.history(query);
  }

  /** False while a shared store or its change feed is unreachable (for `/readyz`); a local store is always ready. */
  ready(): boolean {
    return !this.closed && (this.replicator?.ready() ?? true);
  }

  /** Counters of the propose → commit loop. */
  get proposals(): ProposalCounters {
    return this.proposalLoop.counters;
  }

  /** Replication counters (several daemons on one store), or undefined for a local store. */
  replication(): ReplicationStats | undefined {
    return this.replicator && { ...this.replicator.stats };
  }

  /** Counts for /metrics and the start-up line. */
  stats(): { kinds: Record<KindName, number>; leases: number; revision: number } {
    const kinds = Object.fromEntries(KIND_NAMES.map((k) => [k, this.resources.rawList(k).length])) as Record<
      KindName,
      number
    >;
    return { kinds, leases: this.engine.leases.size, revision: this.resources.currentRevision };
  }

  /** Stops accepting writes (SIGTERM) and the change feed; the daemon then closes the store. */
  close(): void {
    this.closed = true;
    void this.replicator?.close();
  }
}
