import { type HistoryEntry } from '../store.js';
import { type KeyLayout } from './keys.js';

/**
 * History in etcd: one key per entry, named by a stamp that sorts NEWEST FIRST (etcd ranges only ascend, and a
 * sorted range reads every key before it can apply a limit), so "the newest N" is one range with a limit.
 * Two small index keys per entry (by address, by lease key) answer an operator's question without a scan.
 *
 * Stamp: inverted milliseconds, inverted per-store sequence, the store's id, inverted index in the batch.
 * Within one daemon the order is commit-call order; across daemons, clock order (to the millisecond).
 */
const MAX_MS = 0xfffffffffff; // 11 hex digits: year 2527
const MAX_SEQ = 0xffffffff;

export function historyStamp(ms: number, seq: number, storeId: string, index: number): string {
  const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
  return `${hex(MAX_MS - ms, 11)}${hex(MAX_SEQ - (seq % MAX_SEQ), 8)}.${storeId}.${hex(0xfff - index, 3)}`;
}

/** The stored form of an entry: a compact JSON array. */
export function encodeHistory(at: string, e: Omit<HistoryEntry, 'at'>): string {
  return JSON.stringify([at, e.event, e.key, e.space, e.address, e.mac ?? null, e.reason]);
}

export function decodeHistory(value: string): HistoryEntry {
  const [at, event, key, space, address, mac, reason] = JSON.parse(value) as [
    string,
    HistoryEntry['event'],
    string,
    string,
    string,
    string | null,
    string,
  ];
  return { at, event, key, space, address, mac: mac ?? undefined, reason };
}

/** The keys written for one entry: the entry and its two index keys (deleted together when trimmed). */
export function historyKeys(layout: KeyLayout, stamp: string, e: { key: string; address: string }): string[] {
  return [
    layout.history(stamp),
    layout.historyByAddress(e.address, stamp),
    layout.historyByKey(e.key, stamp),
  ];
}

/** The stamp of an entry key, index key or not. */
export function stampOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
