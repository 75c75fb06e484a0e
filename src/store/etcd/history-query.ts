import { type IKeyValue } from 'etcd3';
import { type HistoryEntry, type HistoryQuery } from '../store.js';
import { decodeHistory, stampOf } from './history.js';
import { prefixEnd } from './keys.js';
import { type EtcdStore } from './etcd-store.js';

const INDEX_PAGE = 1000;
const GETS_PER_TXN = 128;

/**
 * Answers a history query from etcd, newest first: the entries themselves for an unfiltered query (one
 * range with a limit, the keys sort newest first), else the address or lease-key index and then the entries
 * it names. `retained` (the history limit) caps what is shown, so entries beyond it are never listed even
 * before the leader has trimmed them.
 */
export async function queryHistory(
  store: EtcdStore,
  query: HistoryQuery,
  retained: number,
): Promise<HistoryEntry[]> {
  let limit = Math.min(Math.max(query.limit ?? 100, 1), 10_000);
  if (retained > 0) limit = Math.min(limit, retained);
  const layout = store.layout;
  if (!query.address && !query.key) {
    const prefix = layout.sub('history');
    const res = await store.call('cannot read the history', () =>
      store.client.kv.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix), limit }),
    );
    return res.kvs.map((kv) => decodeHistory(kv.value.toString()));
  }
  const index = query.address ? layout.historyByAddress(query.address) : layout.historyByKey(query.key!);
  const out: HistoryEntry[] = [];
  let from = Buffer.from(index);
  const end = prefixEnd(index);
  for (;;) {
    const page = await store.call('cannot read the history', () =>
      store.client.kv.range({ key: from, range_end: end, limit: INDEX_PAGE, keys_only: true }),
    );
    const entries = await fetchEntries(store, page.kvs);
    for (const e of entries) {
      if (query.key && e.key !== query.key) continue;
      out.push(e);
      if (out.length === limit) return out;
    }
    if (!page.more || page.kvs.length === 0) return out;
    from = Buffer.concat([page.kvs[page.kvs.length - 1]!.key, Buffer.from([0])]);
  }
}

/** The entries the index keys name, in index order; an entry trimmed meanwhile is skipped. */
async function fetchEntries(store: EtcdStore, index: IKeyValue[]): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  for (let i = 0; i < index.length; i += GETS_PER_TXN) {
    const keys = index
      .slice(i, i + GETS_PER_TXN)
      .map((kv) => store.layout.history(stampOf(kv.key.toString())));
    const res = await store.call('cannot read the history', () =>
      store.client.kv.txn({ success: keys.map((k) => ({ request_range: { key: Buffer.from(k) } })) }),
    );
    for (const r of res.responses) {
      const kv = r.response_range.kvs[0];
      if (kv) out.push(decodeHistory(kv.value.toString()));
    }
  }
  return out;
}
