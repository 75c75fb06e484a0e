import { randomBytes } from 'node:crypto';
import {
  CompareResult,
  CompareTarget,
  type Etcd3,
  type IKeyValue,
  type IRequestOp,
  type ITxnRequest,
} from 'etcd3';
import { type LeaseRecord, type QuarantineRecord } from '../../core/index.js';
import { type ChangeFeed, type ChangeFeedHandlers, type ReplicatedStore } from '../change-feed.js';
import {
  type CommitResult,
  type HistoryEntry,
  type HistoryQuery,
  StoreError,
  type StoreOp,
  type StoreOptions,
  type StoreSnapshot,
  type StoredObject,
} from '../store.js';
import { type EtcdConnection, connectionProblem, createClient, storeError } from './client.js';
import { EtcdFeed } from './feed.js';
import { encodeHistory, historyKeys, historyStamp } from './history.js';
import { queryHistory } from './history-query.js';
import {
  DEFAULT_ETCD_PREFIX,
  KeyLayout,
  decodeAddress,
  decodeLease,
  prefixEnd,
  prefixProblem,
} from './keys.js';
import { type KeyState, type TxnPlan, planBatch } from './plan.js';

/** etcd's default `--max-txn-ops`: the most operations one transaction (each branch) may carry. */
export const MAX_TXN_OPS = 128;
/** Attempts of one commit against concurrent changes of the same keys before answering UNAVAILABLE. */
const MAX_ATTEMPTS = 16;
/** How long a commit whose reply was lost keeps trying to read its marker back before giving up. */
const RESOLVE_MS = 15_000;
/** Keys whose state the store remembers from its own writes and reads (a hint for the next compares). */
const CACHE_SIZE = 65_536;
const PAGE = 5000;

export interface EtcdStoreOptions extends StoreOptions {
  connection: EtcdConnection;
  /** Key prefix (default `/ipkeeper/`). */
  prefix?: string;
  now?: () => Date;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const kvValue = (kv: IKeyValue | undefined): string | undefined => kv?.value.toString();

/**
 * The etcd backend (DUR-2…DUR-5): one key per object, held address, lease, MAC and quarantined address under
 * a prefix (keys.ts). A batch is ONE transaction: it compares every key the decision depends on against the
 * mod_revision the store believes it has (a key it knows nothing about is assumed absent: the common fresh
 * allocation commits in one round trip) and writes the batch's keys plus a unique marker. When a compare
 * fails, the same transaction returns the keys' current state; the batch is decided again on that state, and
 * a taken address or stale revision is answered only once it was read fresh.
 *
 * A reply that never arrives (connection cut, member killed) is resolved by reading the marker back in a
 * transaction that also plants it when absent: either the batch committed (the marker is there, at the batch's
 * revision) or it never can any more (its compare on the marker now fails) and is tried again (DUR-4).
 *
 * The revision of a batch is etcd's revision of its transaction, the same on every daemon: an object's
 * resourceVersion is its key's mod_revision.
 */
export class EtcdStore implements ReplicatedStore {
  readonly kind = 'etcd';
  readonly layout: KeyLayout;
  /** Identifies this store instance in batch markers and history stamps. */
  readonly id = randomBytes(5).toString('hex');
  private readonly now: () => Date;
  private readonly historyLimit: number;
  private readonly cache = new Map<string, KeyState>();
  private readonly inflight = new Set<Promise<unknown>>();
  private seq = 0;
  private closed = false;
  loadedRevision = 0;
  private feed: ChangeFeed | undefined;
  latestRevision = 0;
  reachable = true;

  private constructor(
    readonly client: Etcd3,
    prefix: string,
    options: EtcdStoreOptions,
  ) {
    this.layout = new KeyLayout(prefix);
    this.now = options.now ?? (() => new Date());
    this.historyLimit = options.historyLimit ?? 0;
  }

  /**
   * Connects and checks the prefix: one that holds keys but no ipkeeper marker belongs to something else and
   * is refused; an empty one is marked as ipkeeper's.
   */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    const prefix = options.prefix ?? DEFAULT_ETCD_PREFIX;
    const bad = prefixProblem(prefix);
    if (bad) throw new StoreError('IO', `--etcd-prefix "${prefix}" is not usable: ${bad}`);
    const problem = connectionProblem(options.connection);
    if (problem) throw new StoreError('IO', problem);
    const store = new EtcdStore(createClient(options.connection), prefix, options);
    try {
      await store.claimPrefix(options.connection.endpoints);
    } catch (e) {
      store.client.close();
      throw e;
    }
    return store;
  }

  private async claimPrefix(endpoints: readonly string[]): Promise<void> {
    const meta = this.layout.sub('meta');
    const res = await this.call(`cannot reach etcd at ${endpoints.join(', ')}`, () =>
      this.client.kv.txn({
        compare: [
          { key: Buffer.from(meta), target: CompareTarget.Version, result: CompareResult.Equal, version: 0 },
        ],
        success: [
          {
            request_range: {
              key: Buffer.from(this.layout.prefix),
              range_end: prefixEnd(this.layout.prefix),
              limit: 1,
              keys_only: true,
            },
          },
        ],
        failure: [{ request_range: { key: Buffer.from(meta) } }],
      }),
    );
    if (!res.succeeded) {
      const value = kvValue(res.responses[0]!.response_range.kvs[0]) ?? '';
      if (/"migration"/.test(value))
        throw new StoreError(
          'CORRUPT',
          `an ipkeeperd migrate into ${this.layout.prefix} did not finish; delete the prefix (etcdctl del --prefix ${this.layout.prefix}) and migrate again`,
        );
      if (!/"format":1\b/.test(value))
        throw new StoreError(
          'CORRUPT',
          `${meta} holds ${JSON.stringify(value.slice(0, 80))}, not an ipkeeper store marker of format 1; choose another --etcd-prefix or upgrade ipkeeper`,
        );
      return;
    }
    const other = res.responses[0]!.response_range.kvs[0];
    if (other)
      throw new StoreError(
        'CORRUPT',
        `the etcd prefix ${this.layout.prefix} already holds keys that are not ipkeeper's (e.g. ${other.key.toString()}); choose another --etcd-prefix`,
      );
    await this.call('cannot mark the etcd prefix', () =>
      this.client.kv.txn({
        compare: [
          { key: Buffer.from(meta), target: CompareTarget.Version, result: CompareResult.Equal, version: 0 },
        ],
        success: [{ request_put: { key: Buffer.from(meta), value: Buffer.from('{"format":1}') } }],
      }),
    );
  }

  /** Runs one etcd call, mapping failures to StoreError and tracking reachability and the newest revision. */
  async call<T extends { header?: { revision: string } }>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      const res = await fn();
      this.reachable = true;
      const r = Number(res.header?.revision ?? 0);
      if (r > this.latestRevision) this.latestRevision = r;
      return res;
    } catch (e) {
      const err = storeError(e, what);
      if (err.code === 'UNAVAILABLE') this.reachable = false;
      throw err;
    }
  }

  private check(): void {
    if (this.closed) throw new StoreError('CLOSED', 'the store is closed');
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = (): void => void this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  // ------------------------------------------------------------------------------------------- load

  async load(): Promise<StoreSnapshot> {
    this.check();
    return this.track(this.loadOnce());
  }

  private async loadOnce(): Promise<StoreSnapshot> {
    // One consistent snapshot: every range is read at the revision of the first.
    const first = await this.call('cannot read the store', () =>
      this.client.kv.range({
        key: Buffer.from(this.layout.prefix),
        range_end: prefixEnd(this.layout.prefix),
        limit: 1,
        keys_only: true,
      }),
    );
    const revision = Number(first.header.revision);
    const objects: StoredObject[] = [];
    for (const kv of await this.rangeAll(this.layout.sub('object'), revision)) {
      const parsed = this.layout.parse(kv.key.toString());
      if (parsed?.type !== 'object') continue;
      objects.push({
        kind: parsed.kind,
        name: parsed.name,
        revision: Number(kv.mod_revision),
        body: JSON.parse(kv.value.toString()) as Record<string, unknown>,
      });
    }
    const leases = new Map<string, LeaseRecord>();
    for (const kv of await this.rangeAll(this.layout.sub('lease'), revision)) {
      const parsed = this.layout.parse(kv.key.toString());
      if (parsed?.type !== 'lease') continue;
      const v = decodeLease(kv.value.toString());
      leases.set(parsed.key, { key: parsed.key, subnet: v.s, addresses: [], ...(v.m ? { mac: v.m } : {}) });
    }
    let addresses = 0;
    for (const kv of await this.rangeAll(this.layout.sub('address'), revision)) {
      const parsed = this.layout.parse(kv.key.toString());
      if (parsed?.type !== 'address') continue;
      const v = decodeAddress(kv.value.toString());
      let lease = leases.get(v.k);
      if (!lease) leases.set(v.k, (lease = { key: v.k, subnet: '', addresses: [] }));
      lease.addresses.push({ space: parsed.space, address: parsed.address, ...(v.p ? { pool: v.p } : {}) });
      addresses++;
    }
    const quarantine: QuarantineRecord[] = [];
    for (const kv of await this.rangeAll(this.layout.sub('quarantine'), revision)) {
      const parsed = this.layout.parse(kv.key.toString());
      if (parsed?.type === 'quarantine')
        quarantine.push({ space: parsed.space, address: parsed.address, seq: Number(kv.value.toString()) });
    }
    this.loadedRevision = revision;
    // A store nothing was ever committed to (no key but the prefix marker: every commit leaves at least its
    // batch marker) reads as revision 0, the first start, whatever else the cluster has counted.
    const empty =
      objects.length + leases.size + addresses + quarantine.length === 0 &&
      (await this.rangeAll(this.layout.prefix, revision, 2)).every(
        (kv) => kv.key.toString() === this.layout.sub('meta'),
      );
    return { revision: empty ? 0 : revision, objects, leases: [...leases.values()], quarantine };
  }

  /**
   * Every key from `start` (by default: under the prefix `start`) at a revision (0: the newest), in pages;
   * at most `max`, keys only when asked.
   */
  async rangeAll(
    start: string,
    revision = 0,
    max = Infinity,
    keysOnly = false,
    end: Buffer = prefixEnd(start),
  ): Promise<IKeyValue[]> {
    const out: IKeyValue[] = [];
    let from = Buffer.from(start);
    for (;;) {
      const limit = Math.min(PAGE, max - out.length);
      const res = await this.call('cannot read the store', () =>
        this.client.kv.range({ key: from, range_end: end, revision, limit, keys_only: keysOnly }),
      );
      out.push(...res.kvs);
      if (!res.more || out.length >= max || res.kvs.length === 0) return out;
      from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
    }
  }

  // ------------------------------------------------------------------------------------------- commit

  commit(batch: readonly StoreOp[]): Promise<CommitResult> {
    try {
      this.check();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.track(this.commitLoop(batch));
  }

  /** A batch's marker id and the sequence number its history stamps carry. */
  private nextBatch(): { id: string; seq: number } {
    const seq = ++this.seq;
    return { id: `${this.id}.${seq.toString(36)}`, seq };
  }

  private async commitLoop(batch: readonly StoreOp[]): Promise<CommitResult> {
    const at = this.now();
    let batchId = this.nextBatch();
    // Keys read from etcd during this commit: a failure is only answered on fresh state.
    const fresh = new Map<string, KeyState>();
    const known = (key: string): KeyState | undefined => fresh.get(key) ?? this.cache.get(key);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let planned;
      try {
        planned = planBatch(this.layout, batch, known);
      } catch (e) {
        throw new StoreError('IO', `cannot store the batch: ${(e as Error).message}`, { cause: e });
      }
      if (!planned.ok) {
        const stale = [...planned.compares.keys()].filter((k) => !fresh.has(k));
        if (stale.length === 0) return planned.failure;
        await this.readFresh(stale, fresh);
        continue;
      }
      const txn = this.transaction(planned.plan, batchId, at);
      let res;
      try {
        res = await this.call('cannot commit', () => this.client.kv.txn(txn));
      } catch (e) {
        if (!(e instanceof StoreError) || e.code !== 'UNAVAILABLE') throw e;
        const resolved = await this.resolveLostReply(batchId.id, e);
        if (resolved !== undefined) return { ok: true, revision: resolved };
        batchId = this.nextBatch();
        continue;
      }
      if (res.succeeded) {
        const revision = Number(res.header.revision);
        this.learn(planned.plan, revision);
        return { ok: true, revision };
      }
      // The failure branch read every compared key, and the marker last.
      const keys = [...planned.plan.compares.keys()];
      const marker = res.responses[keys.length]?.response_range.kvs[0];
      if (marker && kvValue(marker) === 'committed')
        // An earlier send of this very batch committed (the client retried it after a lost reply).
        return { ok: true, revision: Number(marker.mod_revision) };
      keys.forEach((key, i) => {
        const kv = res.responses[i]?.response_range.kvs[0];
        const state = kv
          ? { value: kvValue(kv), mod: Number(kv.mod_revision) }
          : { value: undefined, mod: 0 };
        fresh.set(key, state);
        this.remember(key, state);
      });
    }
    throw new StoreError(
      'UNAVAILABLE',
      `the batch met concurrent changes of the same keys ${MAX_ATTEMPTS} times; try again`,
    );
  }

  /** The transaction of a plan: compares, writes + history + marker, and the read-back of every compared key. */
  private transaction(plan: TxnPlan, batch: { id: string; seq: number }, at: Date): ITxnRequest {
    const marker = Buffer.from(this.layout.marker(batch.id));
    const compare: ITxnRequest['compare'] = [...plan.compares].map(([key, mod]) => ({
      key: Buffer.from(key),
      target: CompareTarget.Mod,
      result: CompareResult.Equal,
      mod_revision: mod,
    }));
    compare.push({ key: marker, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: 0 });
    const success: IRequestOp[] = [];
    for (const [key, value] of plan.writes) {
      success.push(
        value === undefined
          ? { request_delete_range: { key: Buffer.from(key) } }
          : { request_put: { key: Buffer.from(key), value: Buffer.from(value) } },
      );
    }
    const iso = at.toISOString();
    plan.history.forEach((entry, i) => {
      const stamp = historyStamp(at.getTime(), batch.seq, this.id, i);
      const [main, byAddress, byKey] = historyKeys(this.layout, stamp, entry);
      success.push({
        request_put: { key: Buffer.from(main!), value: Buffer.from(encodeHistory(iso, entry)) },
      });
      success.push({ request_put: { key: Buffer.from(byAddress!), value: Buffer.alloc(0) } });
      success.push({ request_put: { key: Buffer.from(byKey!), value: Buffer.alloc(0) } });
    });
    success.push({ request_put: { key: marker, value: Buffer.from('committed') } });
    const failure: IRequestOp[] = [...plan.compares.keys(), marker].map((key) => ({
      request_range: { key: Buffer.from(key) },
    }));
    // A batch is atomic, so it is never split; the service's batches are far below etcd's default limit.
    if (success.length > MAX_TXN_OPS || compare.length > MAX_TXN_OPS)
      throw new StoreError(
        'IO',
        `a batch of ${success.length} key writes and ${compare.length} compares exceeds etcd's --max-txn-ops (${MAX_TXN_OPS})`,
      );
    return { compare, success, failure };
  }

  /** Reads keys in one transaction (a linearizable read of all of them at once). */
  private async readFresh(keys: readonly string[], fresh: Map<string, KeyState>): Promise<void> {
    for (let i = 0; i < keys.length; i += MAX_TXN_OPS) {
      const chunk = keys.slice(i, i + MAX_TXN_OPS);
      const res = await this.call('cannot read the store', () =>
        this.client.kv.txn({ success: chunk.map((k) => ({ request_range: { key: Buffer.from(k) } })) }),
      );
      chunk.forEach((key, j) => {
        const kv = res.responses[j]?.response_range.kvs[0];
        const state = kv
          ? { value: kvValue(kv), mod: Number(kv.mod_revision) }
          : { value: undefined, mod: 0 };
        fresh.set(key, state);
        this.remember(key, state);
      });
    }
  }

  /**
   * DUR-4: the reply of a batch was lost. One transaction decides it for good: if the marker is there the batch
   * committed (at the marker's revision); if not, a marker saying "aborted" is planted, so the lost transaction
   * can never commit later (its compare on the marker fails) and the batch is simply tried again. Returns the
   * revision, or undefined when the batch did not commit. Throws UNAVAILABLE when etcd stays away.
   */
  private async resolveLostReply(batchId: string, cause: StoreError): Promise<number | undefined> {
    const marker = Buffer.from(this.layout.marker(batchId));
    const deadline = Date.now() + RESOLVE_MS;
    for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
      try {
        const res = await this.call('cannot read back a batch', () =>
          this.client.kv.txn({
            compare: [
              { key: marker, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: 0 },
            ],
            success: [{ request_put: { key: marker, value: Buffer.from('aborted') } }],
            failure: [{ request_range: { key: marker } }],
          }),
        );
        if (res.succeeded) return undefined;
        const kv = res.responses[0]?.response_range.kvs[0];
        if (kvValue(kv) === 'committed') return Number(kv!.mod_revision);
        return undefined;
      } catch (e) {
        if (this.closed || Date.now() > deadline)
          throw new StoreError('UNAVAILABLE', `${cause.message}; the batch's outcome is not known yet`, {
            cause: e,
          });
        await sleep(wait);
      }
    }
  }

  private remember(key: string, state: KeyState): void {
    this.cache.delete(key);
    this.cache.set(key, state);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
  }

  private learn(plan: TxnPlan, revision: number): void {
    for (const [key, value] of plan.writes)
      this.remember(key, value === undefined ? { value: undefined, mod: 0 } : { value, mod: revision });
  }

  // ------------------------------------------------------------------------------------------- history

  async history(query: HistoryQuery): Promise<HistoryEntry[]> {
    this.check();
    return this.track(queryHistory(this, query, this.historyLimit));
  }

  // ------------------------------------------------------------------------------------------- feed

  watch(handlers: ChangeFeedHandlers): ChangeFeed {
    this.check();
    const feed = new EtcdFeed(this.client, this.layout, this.loadedRevision + 1, {
      ...handlers,
      onConnection: (up) => {
        this.reachable = up;
        handlers.onConnection?.(up);
      },
    });
    this.feed = feed;
    feed.start();
    return feed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    await this.feed?.close();
    this.client.close();
  }
}
