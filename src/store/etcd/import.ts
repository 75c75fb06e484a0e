import { CompareResult, CompareTarget, type Etcd3 } from 'etcd3';
import { type HistoryEntry, StoreError, type StoreSnapshot } from '../store.js';
import { type EtcdConnection, connectionProblem, createClient, storeError } from './client.js';
import { encodeHistory, historyKeys, historyStamp } from './history.js';
import { KeyLayout, encodeAddress, encodeLease, prefixEnd, prefixProblem } from './keys.js';

/** The meta value while an import is being written: a daemon refuses such a prefix. */
export const META_MIGRATING = '{"format":1,"migration":"in-progress"}';
const META_DONE = '{"format":1}';
const PUTS_PER_TXN = 120;
const TAGS = { object: 'o', address: 'a', lease: 'l', mac: 'm', quarantine: 'q' } as const;

/** What was copied, per kind of key; verified by reading every key back. */
export interface ImportCounts {
  objects: number;
  addresses: number;
  leases: number;
  macs: number;
  quarantine: number;
  history: number;
}

/**
 * Copies a whole store (a snapshot and its history, oldest first) into an EMPTY etcd prefix, for
 * `ipkeeperd migrate`. The prefix is first marked "migration in progress" (a daemon refuses to start on it),
 * filled in transactions of at most 120 keys, then every key is read back and compared with what was written;
 * only then is the mark replaced by the ordinary store marker. A failure leaves the mark, so a half-copied
 * prefix is never served. Objects get new resourceVersions (etcd's revisions); everything else is as it was.
 */
export async function importIntoEmptyPrefix(
  connection: EtcdConnection,
  prefix: string,
  snapshot: StoreSnapshot,
  history: Iterable<HistoryEntry>,
): Promise<ImportCounts> {
  const badPrefix = prefixProblem(prefix);
  if (badPrefix) throw new StoreError('IO', `--etcd-prefix "${prefix}" is not usable: ${badPrefix}`);
  const problem = connectionProblem(connection);
  if (problem) throw new StoreError('IO', problem);
  const client = createClient(connection);
  try {
    const layout = new KeyLayout(prefix);
    await claimEmpty(client, layout, connection.endpoints);
    const wanted = new Map<string, string>();
    const counts: ImportCounts = { objects: 0, addresses: 0, leases: 0, macs: 0, quarantine: 0, history: 0 };
    for (const o of snapshot.objects) {
      wanted.set(layout.object(o.kind, o.name), JSON.stringify(o.body));
      counts.objects++;
    }
    for (const l of snapshot.leases) {
      for (const a of l.addresses) {
        wanted.set(layout.address(a.space, a.address), encodeAddress(l.key, a.pool ?? ''));
        counts.addresses++;
      }
      // A row for every lease: addresses without one load with an empty subnet, exactly as with one.
      wanted.set(layout.lease(l.key), encodeLease(l.subnet, l.mac || undefined));
      counts.leases++;
      if (l.mac) {
        wanted.set(layout.mac(l.mac), l.key);
        counts.macs++;
      }
    }
    for (const q of snapshot.quarantine) {
      wanted.set(layout.quarantine(q.space, q.address), String(q.seq));
      counts.quarantine++;
    }
    await putAll(client, wanted);
    let seq = 0;
    let chunk = new Map<string, string>();
    for (const h of history) {
      const stamp = historyStamp(Date.parse(h.at) || 0, ++seq, 'migrated', 0);
      const [main, byAddress, byKey] = historyKeys(layout, stamp, h);
      chunk.set(main!, encodeHistory(h.at, h)).set(byAddress!, '').set(byKey!, '');
      counts.history++;
      if (chunk.size >= PUTS_PER_TXN) {
        await putAll(client, chunk);
        chunk = new Map();
      }
    }
    await putAll(client, chunk);
    await verify(client, layout, wanted, counts);
    await call('cannot finish the migration', () =>
      client.kv.put({ key: Buffer.from(layout.sub('meta')), value: Buffer.from(META_DONE) }),
    );
    return counts;
  } finally {
    client.close();
  }
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw storeError(e, what);
  }
}

/** Refuses a prefix that holds anything, then marks it as being migrated into (atomically). */
async function claimEmpty(client: Etcd3, layout: KeyLayout, endpoints: readonly string[]): Promise<void> {
  const meta = Buffer.from(layout.sub('meta'));
  const res = await call(`cannot reach etcd at ${endpoints.join(', ')}`, () =>
    client.kv.range({
      key: Buffer.from(layout.prefix),
      range_end: prefixEnd(layout.prefix),
      count_only: true,
    }),
  );
  const count = Number(res.count);
  if (count > 0) {
    const first = await call('cannot read the target prefix', () =>
      client.kv.range({
        key: Buffer.from(layout.prefix),
        range_end: prefixEnd(layout.prefix),
        limit: 1,
        keys_only: true,
      }),
    );
    throw new StoreError(
      'IO',
      `the etcd prefix ${layout.prefix} is not empty: it holds ${count} key(s), e.g. ${first.kvs[0]?.key.toString()}; ` +
        `migrate only into an empty prefix (choose another --etcd-prefix, or delete it with etcdctl del --prefix ${layout.prefix})`,
    );
  }
  const claimed = await call('cannot mark the target prefix', () =>
    client.kv.txn({
      compare: [{ key: meta, target: CompareTarget.Version, result: CompareResult.Equal, version: 0 }],
      success: [{ request_put: { key: meta, value: Buffer.from(META_MIGRATING) } }],
    }),
  );
  if (!claimed.succeeded)
    throw new StoreError('IO', `another migration into ${layout.prefix} started meanwhile`);
}

async function putAll(client: Etcd3, kvs: Map<string, string>): Promise<void> {
  const entries = [...kvs];
  for (let i = 0; i < entries.length; i += PUTS_PER_TXN) {
    const success = entries
      .slice(i, i + PUTS_PER_TXN)
      .map(([key, value]) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }));
    await call('cannot write to etcd', () => client.kv.txn({ success }));
  }
}

/** Reads every key of the prefix back: the data keys must be exactly what was written, counted per kind. */
async function verify(
  client: Etcd3,
  layout: KeyLayout,
  wanted: Map<string, string>,
  counts: ImportCounts,
): Promise<void> {
  const found = { o: 0, a: 0, l: 0, m: 0, q: 0, h: 0 };
  let from = Buffer.from(layout.prefix);
  const end = prefixEnd(layout.prefix);
  for (;;) {
    const res = await call('cannot read back the copy', () =>
      client.kv.range({ key: from, range_end: end, limit: 5000 }),
    );
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      if (key.startsWith(layout.sub('history'))) found.h++;
      const tag = (['object', 'address', 'lease', 'mac', 'quarantine'] as const).find((k) =>
        key.startsWith(layout.sub(k)),
      );
      if (!tag) continue;
      found[TAGS[tag]]++;
      if (wanted.get(key) !== kv.value.toString())
        throw new StoreError('IO', `verification failed: ${key} does not hold what was written`);
    }
    if (!res.more || res.kvs.length === 0) break;
    from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
  }
  const expected = {
    o: counts.objects,
    a: counts.addresses,
    l: counts.leases,
    m: counts.macs,
    q: counts.quarantine,
    h: counts.history,
  };
  for (const k of Object.keys(expected) as (keyof typeof found)[]) {
    if (found[k] !== expected[k])
      throw new StoreError(
        'IO',
        `verification failed: ${found[k]} ${k}/ keys in etcd, ${expected[k]} copied`,
      );
  }
}
