import { type KubeHttp } from './http.js';
import { Informer, type K8sLog } from './informer.js';
import {
  OWNER_KINDS,
  type OwnerKind,
  type RawNamespace,
  type RawObject,
  type RawPod,
  trimObject,
} from './objects.js';

export interface ClusterCacheOptions {
  http: KubeHttp;
  /** Informer resync period (K8S-1), default 10 min. */
  resyncMs?: number;
  /** Server-side watch timeout, default 300 s. */
  watchTimeoutSeconds?: number;
  /** How often APIs not found yet (KubeVirt) are looked for again, default 60 s. */
  rediscoverMs?: number;
  log?: K8sLog;
}

/** One link of a pod's owner chain. */
export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
}

/**
 * The informers of Kubernetes mode (K8S-1): Pods, Namespaces and the owner kinds, each found through
 * discovery first (CronJob moved from batch/v1beta1 to batch/v1; KubeVirt's kinds exist only with its
 * CRDs, and a missing optional API is looked for again later, never an error). It keeps the caches; it
 * decides nothing.
 */
export class ClusterCache {
  readonly pods: Informer<RawPod>;
  readonly namespaces: Informer<RawNamespace>;
  private readonly owners = new Map<string, Informer<RawObject>>();
  /** Required kinds still to be found (discovery failed: API server down at start). */
  private readonly pending = new Set<OwnerKind>(OWNER_KINDS);
  private discoverTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: ClusterCacheOptions) {
    this.pods = this.informer<RawPod>('pods', '/api/v1/pods');
    this.namespaces = this.informer<RawNamespace>('namespaces', '/api/v1/namespaces');
  }

  private informer<T extends RawObject>(name: string, path: string): Informer<T> {
    return new Informer<T>({
      name,
      path,
      http: this.opts.http,
      trim: trimObject,
      ...(this.opts.resyncMs !== undefined ? { resyncMs: this.opts.resyncMs } : {}),
      ...(this.opts.watchTimeoutSeconds !== undefined
        ? { timeoutSeconds: this.opts.watchTimeoutSeconds }
        : {}),
      ...(this.opts.log ? { log: this.opts.log } : {}),
    });
  }

  start(): void {
    this.pods.start();
    this.namespaces.start();
    void this.discover();
  }

  /** Pods, Namespaces and every required owner kind are listed (what /readyz waits for). */
  get synced(): boolean {
    if (!this.pods.synced || !this.namespaces.synced) return false;
    if ([...this.pending].some((k) => !k.optional)) return false;
    return [...this.owners.values()].every((i) => i.synced);
  }

  /** The kinds being watched, for logs and tests. */
  get watching(): string[] {
    return ['Pod', 'Namespace', ...this.owners.keys()];
  }

  /** Why it is not synced yet, for /readyz and logs. */
  get notSyncedBecause(): string {
    const waiting = [
      ...(this.pods.synced ? [] : [`pods${this.pods.lastError ? ` (${this.pods.lastError})` : ''}`]),
      ...(this.namespaces.synced ? [] : ['namespaces']),
      ...[...this.pending].filter((k) => !k.optional).map((k) => `${k.plural}.${k.group} (discovery)`),
      ...[...this.owners.entries()].filter(([, i]) => !i.synced).map(([k]) => k),
    ];
    return waiting.join(', ');
  }

  /** The pod's controllers, nearest first (Pod → ReplicaSet → Deployment, Pod → Job → CronJob …). */
  ownerChain(pod: RawPod): OwnerRef[] {
    const chain: OwnerRef[] = [];
    let meta = pod.metadata;
    const namespace = pod.metadata.namespace ?? '';
    for (let depth = 0; depth < 5; depth++) {
      const ref = meta.ownerReferences?.find((r) => r.controller) ?? meta.ownerReferences?.[0];
      if (!ref) break;
      chain.push({ kind: ref.kind, name: ref.name, uid: ref.uid });
      const owner = this.owners.get(ref.kind)?.get(namespace, ref.name);
      if (!owner || owner.metadata.uid !== ref.uid) break;
      meta = owner.metadata;
    }
    return chain;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.discoverTimer);
    await Promise.all([
      this.pods.stop(),
      this.namespaces.stop(),
      ...[...this.owners.values()].map((i) => i.stop()),
    ]);
  }

  /** Finds where each pending kind is served and starts its informer; tries again later for the rest. */
  private async discover(): Promise<void> {
    let failed = false;
    for (const kind of [...this.pending]) {
      if (this.stopped) return;
      try {
        const version = await this.servedVersion(kind);
        if (version === undefined) continue;
        const informer = this.informer<RawObject>(
          `${kind.plural}.${kind.group}`,
          `/apis/${kind.group}/${version}/${kind.plural}`,
        );
        this.owners.set(kind.kind, informer);
        this.pending.delete(kind);
        informer.start();
      } catch (e) {
        failed = true;
        this.opts.log?.('debug', 'discovery failed; retrying', {
          kind: kind.kind,
          error: (e as Error).message,
        });
      }
    }
    if (this.stopped || this.pending.size === 0) return;
    // Required kinds that failed (API server down) are retried soon; optional ones only now and then.
    const delay = failed ? 2000 : (this.opts.rediscoverMs ?? 60_000);
    this.discoverTimer = setTimeout(() => void this.discover(), delay);
    this.discoverTimer.unref();
  }

  private async servedVersion(kind: OwnerKind): Promise<string | undefined> {
    for (const version of kind.versions) {
      const res = await this.opts.http.request<{ resources?: { name: string }[] }>({
        method: 'GET',
        path: `/apis/${kind.group}/${version}`,
      });
      if (res.status === 404) continue;
      if (res.status !== 200) throw new Error(`discovery of ${kind.group}/${version} answered ${res.status}`);
      if (res.body.resources?.some((r) => r.name === kind.plural)) return version;
    }
    if (!kind.optional)
      throw new Error(`${kind.plural}.${kind.group} is not served in ${kind.versions.join(' or ')}`);
    return undefined;
  }
}
