import { CompareResult, CompareTarget, type ICompare, type IRequestOp } from 'etcd3';
import { type Leader } from '../leader.js';
import { type EtcdStore } from './etcd-store.js';
import { decodeHistory, historyKeys, stampOf } from './history.js';
import { prefixEnd } from './keys.js';

export interface MaintenanceOptions {
  /** History entries kept (0: all). */
  historyLimit: number;
  /** The applied revisions of the live daemons (the leader never compacts past the slowest). */
  applied: () => Promise<number[]>;
  /** Seconds between rounds (default 10). */
  intervalSeconds?: number;
  /** Revisions of etcd history always kept behind the newest (default 1000). */
  keepRevisions?: number;
  /** Batch markers older than this are swept (default 60 s: far longer than a lost reply takes to resolve). */
  markerAgeSeconds?: number;
  log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

/** What maintenance did, for /metrics. */
export interface MaintenanceStats {
  compactedRevision: number;
  historyTrimmed: number;
  markersSwept: number;
  /** etcd's database size as the last status call reported it (bytes, allocated and in use). */
  dbSize: number;
  dbSizeInUse: number;
}

const DELETES_PER_TXN = 120;
const PARALLEL_TXNS = 8;
const TRIM_PER_ROUND = 50_000;

/**
 * The single-runner duties of a shared etcd store, run by the leader only (Leader), each write fenced by a
 * compare on the leader key (when the leader is decided in etcd):
 * - compaction: etcd keeps every old revision until compacted; the leader compacts up to the slowest live
 *   daemon's applied revision (and never the newest `keepRevisions`), so no live daemon's change feed loses
 *   what it still needs — one that fell behind anyway reloads (replicator.ts);
 * - history: beyond the history limit (plus a slack of a tenth, so trimming is a bulk job, not one per
 *   commit) the oldest entries and their index keys are deleted;
 * - batch markers older than a minute are deleted (they only serve to read a lost reply back).
 * Deleted keys cost nothing after the next compaction; bbolt reuses their pages, so etcd's database stops
 * growing (its file shrinks only with a defragmentation, which blocks a member and is left to operators).
 */
export class Maintenance {
  readonly stats: MaintenanceStats = {
    compactedRevision: 0,
    historyTrimmed: 0,
    markersSwept: 0,
    dbSize: 0,
    dbSizeInUse: 0,
  };
  private readonly samples: { at: number; revision: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly store: EtcdStore,
    private readonly leader: Leader,
    private readonly options: MaintenanceOptions,
  ) {}

  start(): void {
    const every = (this.options.intervalSeconds ?? 10) * 1000;
    const loop = (): void => {
      if (this.closed) return;
      this.running = this.round().finally(() => {
        this.timer = setTimeout(loop, every);
      });
    };
    this.timer = setTimeout(loop, every);
  }

  /** One round of every duty (exported for tests and benchmarks that do not want to wait). */
  async round(): Promise<void> {
    const now = Date.now();
    this.samples.push({ at: now, revision: this.store.latestRevision });
    while (this.samples.length > 1000) this.samples.shift();
    await this.status().catch(() => undefined);
    if (!this.leader.isLeader()) return;
    try {
      await this.sweepMarkers(now);
      await this.trimHistory();
      await this.compact();
    } catch (e) {
      this.options.log?.('warn', 'maintenance round failed', { err: (e as Error).message });
    }
  }

  private fence(): ICompare[] {
    const f = this.leader.fence();
    return f
      ? [
          {
            key: Buffer.from(f.key),
            target: CompareTarget.Create,
            result: CompareResult.Equal,
            create_revision: f.createRevision,
          },
        ]
      : [];
  }

  /**
   * Deletes keys in fenced transactions, a few at a time (a trim of tens of thousands of keys must not take
   * minutes on a busy cluster); false when a fence failed: leadership is gone, the rest is left.
   */
  private async deleteKeys(keys: readonly string[]): Promise<boolean> {
    let next = 0;
    let fenced = true;
    const worker = async (): Promise<void> => {
      for (let i = next; i < keys.length && fenced; i = next) {
        next += DELETES_PER_TXN;
        const success: IRequestOp[] = keys
          .slice(i, i + DELETES_PER_TXN)
          .map((k) => ({ request_delete_range: { key: Buffer.from(k) } }));
        const res = await this.store.call('maintenance', () =>
          this.store.client.kv.txn({ compare: this.fence(), success }),
        );
        if (!res.succeeded) fenced = false;
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_TXNS }, worker));
    return fenced;
  }

  private async sweepMarkers(now: number): Promise<void> {
    const age = (this.options.markerAgeSeconds ?? 60) * 1000;
    const old = [...this.samples].reverse().find((s) => now - s.at >= age);
    if (!old) return;
    const prefix = this.store.layout.sub('marker');
    const res = await this.store.call('maintenance', () =>
      this.store.client.kv.range({
        key: Buffer.from(prefix),
        range_end: prefixEnd(prefix),
        keys_only: true,
        max_mod_revision: old.revision,
      }),
    );
    const keys = res.kvs.map((kv) => kv.key.toString());
    if (await this.deleteKeys(keys)) this.stats.markersSwept += keys.length;
  }

  private async trimHistory(): Promise<void> {
    const limit = this.options.historyLimit;
    if (limit <= 0) return;
    const prefix = this.store.layout.sub('history');
    const counted = await this.store.call('maintenance', () =>
      this.store.client.kv.range({
        key: Buffer.from(prefix),
        range_end: prefixEnd(prefix),
        count_only: true,
      }),
    );
    const excess = Number(counted.count) - limit;
    if (excess <= Math.max(1, Math.floor(limit / 10))) return;
    // Oldest first: the first keys of the range are the ones to go, each with its two index keys.
    const kvs = await this.store.rangeAll(prefix, 0, Math.min(excess, TRIM_PER_ROUND));
    const keys = kvs.flatMap((kv) =>
      historyKeys(this.store.layout, stampOf(kv.key.toString()), decodeHistory(kv.value.toString())),
    );
    if (await this.deleteKeys(keys)) this.stats.historyTrimmed += kvs.length;
  }

  private async compact(): Promise<void> {
    const keep = this.options.keepRevisions ?? 1000;
    const applied = await this.options.applied();
    const target = Math.min(this.store.latestRevision - keep, ...applied);
    if (target <= this.stats.compactedRevision + keep / 10 || target <= 0) return;
    if (!this.leader.isLeader()) return;
    try {
      await this.store.call('maintenance', () => this.store.client.kv.compact({ revision: target }));
    } catch (e) {
      // Someone compacted further already: nothing to do.
      if (!/compacted/.test((e as Error).message)) throw e;
    }
    this.stats.compactedRevision = target;
  }

  private async status(): Promise<void> {
    const s = (await this.store.client.maintenance.status()) as unknown as {
      dbSize: string;
      dbSizeInUse: string;
    };
    this.stats.dbSize = Number(s.dbSize);
    this.stats.dbSizeInUse = Number(s.dbSizeInUse);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
