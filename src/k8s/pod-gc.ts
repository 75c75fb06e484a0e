import { type PodSighting, collectVerdict } from '../core/index.js';
import { type ClusterCache } from './cluster-cache.js';
import { type K8sLog } from './informer.js';
import { objectKey, podFacts, type RawPod } from './objects.js';
import { WorkQueue } from './work-queue.js';

/** The service's side (src/service/pod-allocations.ts), structurally. */
export interface PodAllocationSource {
  all(): { namespace: string; podName: string }[];
  of(
    namespace: string,
    podName: string,
  ): {
    key: string;
    containerId: string;
    held: {
      reserved: boolean;
      podType: string;
      namespace: string;
      podUid?: string | undefined;
    };
  }[];
  release(
    key: string,
    guard: { uid: string | undefined; containerId: string },
    reason: string,
  ): Promise<boolean>;
}

export interface PodGcOptions {
  allocations: PodAllocationSource;
  cache: ClusterCache;
  /** Whether this daemon may collect now (holds the Lease, K8S-6). */
  isLeader: () => boolean;
  /** How long an allocation must stay orphaned before it is released (GC-3). */
  graceMs: number;
  /** How often every pod allocation is judged again (GC-3's periodic reconcile). */
  intervalMs: number;
  log?: K8sLog;
  now?: () => number;
}

/** Deletion events remembered until their pod's allocations are judged. */
const MAX_DELETIONS = 10_000;

/**
 * The pod collector (GC-1, GC-3, K8S-6), level-triggered: pod events and a periodic sweep put pod keys
 * (`namespace/name`) in a de-duplicating queue; reconciling a key reads the pod's allocations and the
 * cache as they are now and applies core's `collectVerdict` to each. It runs only from a synced cache
 * and only while this daemon holds the Lease; every release is guarded by the UID and container the
 * verdict saw. Orphan marks live in memory, so after a restart nothing is released before a whole grace
 * period has passed again, and a reservation is never touched.
 */
export class PodGc {
  private readonly queue: WorkQueue;
  /** First time each allocation (IP object name) was seen orphaned. */
  private readonly orphanSince = new Map<string, number>();
  /** UIDs of pods the watch reported deleted, by pod key. */
  private readonly deleted = new Map<string, string>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** Releases made, for logs and tests. */
  released = 0;

  constructor(private readonly o: PodGcOptions) {
    this.now = o.now ?? Date.now;
    this.queue = new WorkQueue({
      handler: (key) => this.reconcile(key),
      concurrency: 4,
      onError: (key, err, retryInMs) =>
        o.log?.('warn', 'gc reconcile failed; retrying', { pod: key, error: String(err), retryInMs }),
    });
    o.cache.pods.on((type, pod) => this.onPod(type, pod));
  }

  /** Starts the periodic sweep; the first one runs once the cache is synced. */
  start(): void {
    void this.o.cache.pods.whenSynced().then(() => this.sweep());
    this.sweepTimer = setInterval(() => this.sweep(), this.o.intervalMs);
    this.sweepTimer.unref();
  }

  /** Judges every pod allocation again (at start, on taking the Lease, and every interval). */
  sweep(): void {
    if (!this.o.cache.pods.synced || !this.o.isLeader()) return;
    const live = new Set<string>();
    for (const a of this.o.allocations.all()) {
      this.queue.add(objectKey(a.namespace, a.podName));
      live.add(objectKey(a.namespace, a.podName));
    }
    // Marks of allocations that no longer exist are forgotten.
    for (const key of this.orphanSince.keys())
      if (!live.has(key.split('\u0000')[0]!)) this.orphanSince.delete(key);
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.queue.close();
  }

  private onPod(type: string, pod: RawPod): void {
    const key = objectKey(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
    if (type === 'delete') {
      if (this.deleted.size >= MAX_DELETIONS) this.deleted.delete(this.deleted.keys().next().value as string);
      this.deleted.set(key, pod.metadata.uid ?? '');
      this.queue.add(key);
      return;
    }
    // Adds and running pods change nothing; a finished or terminating pod is judged. (The informer's
    // resync is not needed here: the sweep judges every allocation each interval.)
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || pod.metadata.deletionTimestamp)
      this.queue.add(key);
  }

  private async reconcile(podKey: string): Promise<void> {
    const deletedUid = this.deleted.get(podKey);
    this.deleted.delete(podKey);
    if (!this.o.cache.pods.synced || !this.o.isLeader()) return;
    const slash = podKey.indexOf('/');
    const namespace = podKey.slice(0, slash);
    const name = podKey.slice(slash + 1);
    const pod = this.o.cache.pods.get(namespace, name);
    const sighting: PodSighting = pod
      ? { kind: 'present', pod: podFacts(pod) }
      : deletedUid !== undefined
        ? { kind: 'deleted', uid: deletedUid }
        : { kind: 'absent' };
    for (const a of this.o.allocations.of(namespace, name)) {
      const markKey = `${podKey}\u0000${a.key}`;
      const now = this.now();
      const verdict = collectVerdict({
        held: a.held,
        sighting,
        nowMs: now,
        orphanSinceMs: this.orphanSince.get(markKey),
        graceMs: this.o.graceMs,
      });
      if (verdict.action === 'keep') {
        this.orphanSince.delete(markKey);
        if (verdict.recheckAtMs !== undefined) this.queue.addAfter(podKey, verdict.recheckAtMs - now + 100);
      } else if (verdict.action === 'wait') {
        this.orphanSince.set(markKey, verdict.orphanSinceMs);
        this.queue.addAfter(podKey, verdict.recheckAtMs - now + 100);
      } else {
        // The Lease is checked again right before the write: losing it stops the duty at once (K8S-6).
        if (!this.o.isLeader()) return;
        // Guarded by what the verdict saw: a same-name pod or a newer sandbox that took it since keeps it.
        const done = await this.o.allocations.release(
          a.key,
          { uid: a.held.podUid, containerId: a.containerId },
          'gc',
        );
        this.orphanSince.delete(markKey);
        if (done) {
          this.released++;
          this.o.log?.('info', 'released a pod allocation', {
            ip: a.key,
            pod: podKey,
            reason: verdict.reason,
          });
        }
      }
    }
  }
}
