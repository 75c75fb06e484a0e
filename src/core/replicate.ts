import { parseAddress } from './ip/address.js';
import { type Engine, type QuarantineRecord } from './engine.js';
import { type LeaseRecord } from './lease.js';

/**
 * What another daemon committed in one revision, as the engine keeps it (DUR-5): the whole new record of
 * every lease the revision touched (undefined = the lease is gone), and the quarantine rows it touched
 * (seq undefined = the address left the quarantine).
 */
export interface ReplicatedState {
  leases: ReadonlyMap<string, LeaseRecord | undefined>;
  quarantine: readonly (Omit<QuarantineRecord, 'seq'> & { seq: number | undefined })[];
}

/**
 * Applies another daemon's committed change to the engine, so that its state equals the store's: the touched
 * leases are replaced as recorded, quarantine rows set or removed, and every touched address is in `used`
 * exactly when it is held or quarantined. Release sequence numbers work as a Lamport clock: a remote release
 * moves the local counter past it, so the quarantine keeps one order across daemons (ENG-1).
 *
 * The caller guarantees no local proposal touching the same leases or addresses is in flight (the service
 * holds such a change back until its own commit is decided), so nothing here can undo a local proposal.
 */
export function applyReplicated(engine: Engine, change: ReplicatedState): void {
  engine.version++;
  const touched: { space: string; value: bigint }[] = [];
  // Old leases out first: a MAC or address may move between two leases within one revision.
  for (const key of change.leases.keys()) {
    const old = engine.leases.get(key);
    if (!old) continue;
    for (const a of old.addresses) {
      const space = engine.spaces.get(a.space);
      if (space?.held.get(a.value) === old) space.held.delete(a.value);
      touched.push({ space: a.space, value: a.value });
    }
    if (old.mac !== undefined) engine.macs.delete(old.mac);
    engine.leases.delete(key);
  }
  for (const q of change.quarantine) {
    const addr = parseAddress(q.address);
    const space = engine.space(q.space, addr.family);
    space.quarantine.delete(addr.value);
    if (q.seq !== undefined) {
      space.quarantine.add(addr.value, q.seq);
      if (q.seq > engine.seq) engine.seq = q.seq;
    }
    touched.push({ space: q.space, value: addr.value });
  }
  for (const rec of change.leases.values()) if (rec) engine.installLease(rec);
  for (const t of touched) {
    const space = engine.spaces.get(t.space)!;
    if (space.held.has(t.value) || space.quarantine.has(t.value)) space.used.add(t.value);
    else space.used.remove(t.value);
  }
}
