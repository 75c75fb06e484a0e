import { type Outcome, formatMac, formatValue } from '../core/index.js';
import { type StoreOp } from '../store/store.js';

/**
 * Turns what the engine did into the store operations that make it durable: each held address is a
 * create-if-absent claim (DUR-2), each release frees the row and enters the quarantine, the lease row carries
 * the MAC (unique in the store), and every change is appended to the history.
 */
export function effectOps(outcome: Outcome, reason: string): StoreOp[] {
  const ops: StoreOp[] = [];
  const macOf = outcome.lease?.mac ?? outcome.before?.mac;
  const mac = macOf === undefined ? undefined : formatMac(macOf);
  for (const e of outcome.effects) {
    if (e.type === 'hold') {
      const address = formatValue(e.family, e.value);
      const pool =
        outcome.lease?.addresses.find((a) => a.value === e.value && a.space === e.space)?.pool ?? '';
      ops.push({ op: 'claimAddress', space: e.space, address, key: e.key, pool });
      if (e.fromQuarantineSeq !== undefined) ops.push({ op: 'unquarantine', space: e.space, address });
      ops.push({
        op: 'history',
        entry: { event: 'allocate', key: e.key, space: e.space, address, mac, reason },
      });
    } else if (e.type === 'release') {
      const address = formatValue(e.family, e.value);
      ops.push({ op: 'freeAddress', space: e.space, address, key: e.key });
      ops.push({ op: 'quarantine', space: e.space, address, seq: e.seq });
      ops.push({
        op: 'history',
        entry: { event: 'release', key: e.key, space: e.space, address, mac, reason },
      });
    } else if (e.type === 'retire') {
      ops.push({ op: 'unquarantine', space: e.space, address: formatValue(e.family, e.value) });
    }
  }
  if (outcome.effects.length > 0) {
    const lease = outcome.lease;
    if (lease)
      ops.push({
        op: 'putLease',
        key: lease.key,
        subnet: lease.subnet,
        mac: lease.mac === undefined ? undefined : formatMac(lease.mac),
      });
    else if (outcome.before) ops.push({ op: 'deleteLease', key: outcome.before.key });
  }
  return ops;
}
