import { type ChangeFeed, type ChangeSet, type ReplicatedStore } from '../store/change-feed.js';
import { type CommitResult, type Store, type StoreOp, type StoreSnapshot } from '../store/store.js';
import { type OrderedWatchHub } from './ordered-hub.js';
import { PendingItems, itemsOfChanges, itemsOfOps } from './pending-items.js';
import { type RemoteApplyDeps, applyChangeSet } from './remote-apply.js';
import { reconcile } from './reconcile.js';

/** Counters of the replication, for /metrics. */
export interface ReplicationStats {
  /** Newest store revision applied (or skipped as this daemon's own). */
  applied: number;
  /** Revisions of other daemons applied to this one. */
  remote: number;
  /** This daemon's own revisions seen again on the feed and skipped. */
  echoes: number;
  /** Times a remote revision waited for a local batch touching the same things. */
  heldBack: number;
  /** Full reloads after the feed fell behind a compaction. */
  relists: number;
}

export interface ReplicatorLog {
  (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Keeps this daemon's engine, objects and watch streams equal to the shared store (DUR-5). Every committed
 * revision arrives on the store's change feed, in order; another daemon's is applied (remote-apply.ts), this
 * daemon's own is skipped (its effect is already in memory): applied once.
 *
 * The one subtlety is a revision that touches something a local batch still in flight also touches (an
 * address both proposed, or the local batch's own echo arriving before its reply). Such a revision, and every
 * later one, waits until the local batch is decided and its effect (kept, or reverted) is in memory; then it
 * is applied or recognised as the echo. So a local revert never undoes a remote change, and nothing is
 * applied twice. The service commits through {@link store}, which records what each batch touches.
 *
 * A feed that fell behind a compaction is replaced by a reload of the whole store, reconciled with memory
 * (new commits wait meanwhile); watchers that resume from before it get 410 Gone.
 */
export class Replicator {
  private readonly pending = new PendingItems();
  private readonly own = new Set<number>();
  private queue: ChangeSet[] = [];
  private feed: ChangeFeed | undefined;
  private deps: (RemoteApplyDeps & { hub: OrderedWatchHub }) | undefined;
  private waiters: { revision: number; resolve: () => void }[] = [];
  private gate: Promise<void> | undefined;
  private inflight = 0;
  private idle: (() => void) | undefined;
  private connected = false;
  /** Newest revision known delivered: processed, or reported by the store's progress (settle() waits on it). */
  private watermark: number;
  private closed = false;
  readonly stats: ReplicationStats;
  /** The store the service commits through: the shared store, with every batch's items tracked. */
  readonly store: Store;

  constructor(
    private readonly shared: ReplicatedStore,
    private readonly log: ReplicatorLog = () => undefined,
  ) {
    this.stats = { applied: shared.loadedRevision, remote: 0, echoes: 0, heldBack: 0, relists: 0 };
    this.watermark = shared.loadedRevision;
    this.store = {
      kind: shared.kind,
      load: () => shared.load(),
      commit: (batch) => this.commit(batch),
      history: (q) => shared.history(q),
      close: () => shared.close(),
    };
  }

  /** Starts applying the feed (from the revision the service loaded). */
  start(deps: RemoteApplyDeps & { hub: OrderedWatchHub }): void {
    this.deps = deps;
    this.openFeed();
  }

  private openFeed(): void {
    this.feed = this.shared.watch({
      onChanges: (set) => {
        this.queue.push(set);
        this.drain();
      },
      onProgress: (revision) => {
        if (this.queue.length === 0) this.advance(revision, false);
      },
      onReset: (reason) => void this.relist(reason),
      onConnection: (up) => {
        if (up !== this.connected)
          this.log(up ? 'info' : 'warn', up ? 'store feed connected' : 'store feed lost');
        this.connected = up;
      },
    });
  }

  /** True while the feed is connected and current enough to serve (for `/readyz`). */
  ready(): boolean {
    return this.connected && this.shared.reachable && this.gate === undefined && !this.closed;
  }

  private async commit(batch: readonly StoreOp[]): Promise<CommitResult> {
    while (this.gate) await this.gate;
    const items = itemsOfOps(batch);
    this.pending.add(items);
    this.inflight++;
    try {
      const result = await this.shared.commit(batch);
      if (result.ok) this.own.add(result.revision);
      return result;
    } finally {
      // The caller brings memory in line with the outcome (keeps or reverts the engine change, updates the
      // table) in the microtasks right after this promise settles; only then may held-back revisions go.
      setImmediate(() => {
        this.pending.remove(items);
        if (--this.inflight === 0) this.idle?.();
        this.drain();
      });
    }
  }

  private drain(): void {
    const deps = this.deps;
    if (!deps || this.gate) return;
    while (this.queue.length > 0) {
      const set = this.queue[0]!;
      if (this.own.delete(set.revision)) {
        this.stats.echoes++;
      } else {
        if (this.pending.overlaps(itemsOfChanges(set, deps.engine))) {
          this.stats.heldBack++;
          return;
        }
        try {
          applyChangeSet(deps, set);
          this.stats.remote++;
        } catch (e) {
          this.log('error', 'cannot apply a revision of another daemon', {
            revision: set.revision,
            err: (e as Error).message,
          });
        }
      }
      this.queue.shift();
      // Events come in revision order: an own revision below this one never will (it changed nothing the feed
      // watches, e.g. only history).
      for (const r of this.own) if (r < set.revision) this.own.delete(r);
      this.advance(set.revision);
    }
  }

  /**
   * Records how far this daemon is. `applied` (published for compaction, shown in /metrics) moves only with
   * processed revisions, and watch events are released up to it. A progress report only moves the watermark
   * settle() waits for: it may run ahead of events still on their way (see EtcdFeed).
   */
  private advance(revision: number, processed = true): void {
    const deps = this.deps!;
    if (processed) {
      if (revision > deps.resources.currentRevision) deps.resources.currentRevision = revision;
      deps.hub.release(revision);
      if (revision > this.stats.applied) this.stats.applied = revision;
    }
    if (revision <= this.watermark) return;
    this.watermark = revision;
    if (this.waiters.length > 0) {
      const due = this.waiters.filter((w) => w.revision <= revision);
      this.waiters = this.waiters.filter((w) => w.revision > revision);
      for (const w of due) w.resolve();
    }
  }

  /**
   * Waits (at most `timeoutMs`) until everything the store had committed when this was called has been
   * applied here: after a compare-and-swap conflict, the object's current state is then in memory.
   */
  async settle(timeoutMs = 5000): Promise<void> {
    const target = this.shared.latestRevision;
    if (this.watermark >= target) return;
    this.feed?.requestProgress();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push({
        revision: target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** The feed cannot continue: reload the store, reconcile memory with it, start a new feed. */
  private async relist(reason: string): Promise<void> {
    if (this.closed || this.gate) return;
    const deps = this.deps!;
    this.stats.relists++;
    this.log('warn', 'store feed fell behind; reloading the store', { reason });
    let open!: () => void;
    this.gate = new Promise((r) => (open = r));
    try {
      if (this.inflight > 0) await new Promise<void>((r) => (this.idle = r));
      this.idle = undefined;
      let snapshot: StoreSnapshot | undefined;
      while (!snapshot && !this.closed) {
        try {
          snapshot = await this.shared.load();
        } catch (e) {
          this.log('warn', 'cannot reload the store; retrying', { err: (e as Error).message });
          await sleep(1000);
        }
      }
      if (!snapshot) return;
      const revision = this.shared.loadedRevision;
      this.queue = [];
      this.own.clear();
      reconcile(deps, snapshot, revision);
      deps.hub.forget(revision);
      this.advance(revision);
      if (!this.closed) this.openFeed();
    } finally {
      this.gate = undefined;
      open();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.feed?.close();
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}
