import { type HistoryEntry } from '../store.js';
import { type KeyLayout } from './keys.js';

/**
 * History in etcd: one key per entry, named by a stamp that sorts OLDEST FIRST, plus two small index keys per
 * entry (by address, by lease key) that answer an operator's question without a scan. Oldest first makes the
 * frequent job cheap: trimming to the history limit deletes the first keys of the range (etcd ranges only
 * ascend, and a sorted range reads every key before applying a limit). The newest entries are found from the
 * end by counting ever larger recent time windows (history-query.ts).
 *
 * Stamp: milliseconds, per-store sequence, the store's id, index in the batch (all hex, fixed width). Within
 * one daemon the order is commit-call order; across daemons, clock order (to the millisecond).
 */
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

export function historyStamp(ms: number, seq: number, storeId: string, index: number): string {
  return `${timePrefix(ms)}${hex(seq % 0x100000000, 8)}.${storeId}.${hex(index, 3)}`;
}

/** The part of a stamp that is the time: every entry from `ms` on sorts at or after it. */
export function timePrefix(ms: number): string {
  return hex(Math.max(0, Math.floor(ms)), 11);
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
