import { type IKeyValue } from 'etcd3';
import { type HistoryEntry, type HistoryQuery } from '../store.js';
import { decodeHistory, stampOf, timePrefix } from './history.js';
import { prefixEnd } from './keys.js';
import { type EtcdStore } from './etcd-store.js';

const GETS_PER_TXN = 128;

/**
 * Answers a history query from etcd, newest first. Entry keys sort oldest first, so the newest N are found at
 * the end: an unfiltered query counts the entries of ever larger recent time windows (1 s, 2 s, 4 s … back
 * from the newest entry's time) until one holds N, then reads that window; each count costs about the size of
 * its window, not of the whole history. A filtered query reads the address or lease-key index (keys only)
 * and then the entries it names. `retained` (the history limit) caps what is shown, so entries beyond it are
 * never listed even before the leader has trimmed them.
 */
export async function queryHistory(
  store: EtcdStore,
  query: HistoryQuery,
  retained: number,
): Promise<HistoryEntry[]> {
  let limit = Math.min(Math.max(query.limit ?? 100, 1), 10_000);
  if (retained > 0) limit = Math.min(limit, retained);
  const layout = store.layout;
  if (!query.address && !query.key) return newest(store, limit);
  const index = query.address ? layout.historyByAddress(query.address) : layout.historyByKey(query.key!);
  const keys = await store.rangeAll(index, 0, Infinity, true);
  const out: HistoryEntry[] = [];
  // Newest last in the index: walk back from the end, a page of entries at a time.
  for (let end = keys.length; end > 0 && out.length < limit; end -= GETS_PER_TXN) {
    const page = keys.slice(Math.max(0, end - GETS_PER_TXN), end);
    const entries = await fetchEntries(store, page);
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      if (query.key && e.key !== query.key) continue;
      out.push(e);
      if (out.length === limit) break;
    }
  }
  return out;
}

/** The newest `limit` entries, newest first. */
async function newest(store: EtcdStore, limit: number): Promise<HistoryEntry[]> {
  const prefix = store.layout.sub('history');
  const end = prefixEnd(prefix);
  const count = async (from: string): Promise<number> =>
    Number(
      (
        await store.call('cannot read the history', () =>
          store.client.kv.range({ key: Buffer.from(from), range_end: end, count_only: true }),
        )
      ).count,
    );
  let from = prefix;
  if ((await count(prefix)) > limit) {
    // Windows back from a little past now (another daemon's clock may run ahead of this one's).
    const top = Date.now() + 60_000;
    for (let window = 1000; ; window *= 2) {
      const candidate = prefix + timePrefix(top - window);
      if ((await count(candidate)) >= limit || window > top) {
        from = candidate;
        break;
      }
    }
  }
  const kvs = await store.rangeAll(from, 0, Infinity, false, end);
  return kvs
    .slice(-limit)
    .reverse()
    .map((kv) => decodeHistory(kv.value.toString()));
}

/** The entries the index keys name, in index order; an entry trimmed meanwhile is skipped. */
async function fetchEntries(store: EtcdStore, index: IKeyValue[]): Promise<HistoryEntry[]> {
  const keys = index.map((kv) => store.layout.history(stampOf(kv.key.toString())));
  const res = await store.call('cannot read the history', () =>
    store.client.kv.txn({ success: keys.map((k) => ({ request_range: { key: Buffer.from(k) } })) }),
  );
  const out: HistoryEntry[] = [];
  for (const r of res.responses) {
    const kv = r.response_range.kvs[0];
    if (kv) out.push(decodeHistory(kv.value.toString()));
  }
  return out;
}
