import { CompareResult, CompareTarget, type Lease } from 'etcd3';
import { type Leader } from '../leader.js';
import { type EtcdStore } from './etcd-store.js';

/** What a daemon publishes about itself under `members/<id>`, on its lease. */
export interface MemberInfo {
  id: string;
  host: string;
  pid: number;
  /** The newest store revision it has applied: the leader never compacts past the slowest live daemon. */
  applied: number;
  started: string;
}

export interface MembershipOptions {
  host: string;
  pid: number;
  /** Lease TTL in seconds (default 10): a daemon silent this long is no longer live. */
  ttlSeconds?: number;
  /** Campaign for the standalone leader key (false when leadership is decided elsewhere). */
  elect: boolean;
  /** The revision this daemon has applied, published with its liveness. */
  applied: () => number;
  log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Daemon liveness and the standalone leader, on one etcd lease per daemon — the only use of leases; never
 * allocations. Every few seconds the daemon (re)publishes `members/<id>` on its lease and, when electing,
 * tries to create `leader` on its lease if nobody holds it. etcd deletes both when the lease expires (the
 * daemon died or lost etcd for longer than the TTL). The leader's fence is the leader key's create revision.
 */
export class EtcdMembership implements Leader {
  private lease: Lease | undefined;
  private leaderRevision: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private ticking: Promise<void> | undefined;
  private readonly started = new Date().toISOString();
  /** Ids of the live daemons as last read, in order. */
  private live: string[] = [];

  private constructor(
    private readonly store: EtcdStore,
    private readonly options: MembershipOptions,
  ) {}

  static start(store: EtcdStore, options: MembershipOptions): EtcdMembership {
    const m = new EtcdMembership(store, options);
    m.schedule(0);
    return m;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule(2000));
    }, ms);
  }

  private get ttl(): number {
    return this.options.ttlSeconds ?? 10;
  }

  private async tick(): Promise<void> {
    const store = this.store;
    try {
      if (!this.lease) {
        const lease = store.client.lease(this.ttl, { autoKeepAlive: true });
        lease.on('lost', () => {
          if (this.lease !== lease) return;
          this.lease = undefined;
          if (this.leaderRevision !== undefined) this.options.log?.('warn', 'lost the leader lease');
          this.leaderRevision = undefined;
        });
        await lease.grant();
        this.lease = lease;
      }
      const lease = this.lease;
      const info: MemberInfo = {
        id: store.id,
        host: this.options.host,
        pid: this.options.pid,
        applied: this.options.applied(),
        started: this.started,
      };
      // Through store.call: this heartbeat also keeps the store's reachability (for /readyz) current.
      await store.call('cannot publish liveness', () =>
        lease.put(store.layout.member(store.id)).value(JSON.stringify(info)).exec(),
      );
      this.live = (await this.members()).map((m) => m.id).sort();
      if (this.options.elect) await this.campaign(lease);
    } catch (e) {
      // etcd unreachable: keep trying; a lease that expired meanwhile is replaced when etcd is back.
      if (this.lease?.revoked()) this.lease = undefined;
      void e;
    }
  }

  private async campaign(lease: Lease): Promise<void> {
    const store = this.store;
    const key = Buffer.from(store.layout.sub('leader'));
    const id = await lease.grant();
    const res = await store.call('cannot campaign for leader', () =>
      store.client.kv.txn({
        compare: [{ key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
        success: [{ request_put: { key, value: Buffer.from(store.id), lease: id } }],
        failure: [{ request_range: { key } }],
      }),
    );
    if (res.succeeded) {
      if (this.leaderRevision === undefined) this.options.log?.('info', 'became the leader');
      this.leaderRevision = Number(res.header.revision);
      return;
    }
    const kv = res.responses[0]?.response_range.kvs[0];
    const mine = kv?.value.toString() === store.id && kv.lease === id;
    this.leaderRevision = mine ? Number(kv.create_revision) : undefined;
  }

  /**
   * This daemon's place among the live daemons (ids in order), for Stripe: which blocks of each address space
   * it prefers. Undefined until it has seen itself published.
   */
  stripe(): { index: number; count: number } | undefined {
    const index = this.live.indexOf(this.store.id);
    return index < 0 ? undefined : { index, count: this.live.length };
  }

  isLeader(): boolean {
    return this.leaderRevision !== undefined && this.lease !== undefined;
  }

  fence(): { key: string; createRevision: number } | undefined {
    return this.leaderRevision === undefined
      ? undefined
      : { key: this.store.layout.sub('leader'), createRevision: this.leaderRevision };
  }

  /** The live daemons as they last published themselves. */
  async members(): Promise<MemberInfo[]> {
    const kvs = await this.store.rangeAll(this.store.layout.sub('members'));
    return kvs.map((kv) => JSON.parse(kv.value.toString()) as MemberInfo);
  }

  /** Stops publishing and gives the lease back (the member and leader keys go at once). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    const lease = this.lease;
    this.lease = undefined;
    this.leaderRevision = undefined;
    if (lease) await lease.revoke().catch(() => undefined);
  }
}
