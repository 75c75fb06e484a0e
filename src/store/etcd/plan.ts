import { type CommitResult, type HistoryEntry, type StoreOp } from '../store.js';
import { type KeyLayout, decodeAddress, decodeLease, encodeAddress, encodeLease } from './keys.js';

/** What the store believes one key holds: its value (undefined = absent) and mod_revision (0 = absent). */
export interface KeyState {
  value: string | undefined;
  mod: number;
}

/** A batch as one etcd transaction: compares that must hold, and the writes to make if they do. */
export interface TxnPlan {
  /** Every key the decision depended on, with the mod_revision assumed: the txn compares `MOD == mod`. */
  compares: Map<string, number>;
  /** Keys to put (value) or delete (undefined), each once (etcd refuses a key twice in one txn). */
  writes: Map<string, string | undefined>;
  /** History entries of the batch, in order. */
  history: Omit<HistoryEntry, 'at'>[];
}

export type PlanResult =
  | { ok: true; plan: TxnPlan }
  | { ok: false; failure: Extract<CommitResult, { ok: false }>; compares: Map<string, number> };

/**
 * Decides a batch against what the store believes the keys hold (`known`; a key it knows nothing about is
 * assumed absent, the common case of a fresh allocation). Pure: the same semantics as the memory store,
 * operation by operation, over an overlay of the batch's own writes. The caller turns an ok plan into one
 * transaction whose compares make the assumptions true or fail the whole batch; a failure is only reported
 * once every key it depends on was read fresh (`compares` lists them).
 */
export function planBatch(
  layout: KeyLayout,
  batch: readonly StoreOp[],
  known: (key: string) => KeyState | undefined,
): PlanResult {
  const compares = new Map<string, number>();
  // Keys written earlier in this batch: their new value (undefined = deleted).
  const overlay = new Map<string, string | undefined>();
  // Objects written earlier in this batch carry the batch's own revision, which no expectRevision can name.
  const objectsWritten = new Map<string, boolean>();
  const history: Omit<HistoryEntry, 'at'>[] = [];

  const read = (key: string): string | undefined => {
    if (overlay.has(key)) return overlay.get(key);
    const state = known(key) ?? { value: undefined, mod: 0 };
    if (!compares.has(key)) compares.set(key, state.mod);
    return state.value;
  };
  const write = (key: string, value: string | undefined): void => {
    overlay.set(key, value);
  };

  for (let index = 0; index < batch.length; index++) {
    const op = batch[index]!;
    const fail = (reason: 'taken' | 'conflict', holder?: string): PlanResult => ({
      ok: false,
      failure: { ok: false, index, reason, ...(holder !== undefined ? { holder } : {}) },
      compares,
    });
    switch (op.op) {
      case 'putObject':
      case 'deleteObject': {
        const key = layout.object(op.kind, op.name);
        if (op.expectRevision !== undefined) {
          const written = objectsWritten.get(key);
          if (written === true) return fail('conflict');
          if (written === false) {
            if (op.expectRevision !== 0) return fail('conflict');
          } else {
            const state = known(key);
            // Unknown: assume the caller is right; the compare decides.
            const mod = state ? state.mod : op.expectRevision;
            if (!compares.has(key)) compares.set(key, mod);
            if (mod !== op.expectRevision) return fail('conflict');
          }
        }
        if (op.op === 'putObject') {
          write(key, JSON.stringify(op.body));
          objectsWritten.set(key, true);
        } else {
          write(key, undefined);
          objectsWritten.set(key, false);
        }
        break;
      }
      case 'claimAddress': {
        const key = layout.address(op.space, op.address);
        const cur = read(key);
        if (cur !== undefined) {
          const holder = decodeAddress(cur).k;
          if (holder !== op.key) return fail('taken', holder);
        }
        write(key, encodeAddress(op.key, op.pool));
        break;
      }
      case 'freeAddress': {
        const key = layout.address(op.space, op.address);
        const cur = read(key);
        if (cur !== undefined && decodeAddress(cur).k === op.key) write(key, undefined);
        break;
      }
      case 'putLease': {
        const key = layout.lease(op.key);
        const cur = read(key);
        const mac = op.mac || undefined;
        if (mac) {
          const holder = read(layout.mac(mac));
          if (holder !== undefined && holder !== op.key) return fail('taken', holder);
        }
        const old = cur === undefined ? undefined : decodeLease(cur).m;
        if (old && old !== mac) write(layout.mac(old), undefined);
        if (mac) write(layout.mac(mac), op.key);
        write(key, encodeLease(op.subnet, mac));
        break;
      }
      case 'deleteLease': {
        const key = layout.lease(op.key);
        const cur = read(key);
        if (cur !== undefined) {
          const old = decodeLease(cur).m;
          if (old) write(layout.mac(old), undefined);
          write(key, undefined);
        }
        break;
      }
      case 'quarantine':
        write(layout.quarantine(op.space, op.address), String(op.seq));
        break;
      case 'unquarantine':
        write(layout.quarantine(op.space, op.address), undefined);
        break;
      case 'history':
        history.push(op.entry);
        break;
    }
  }
  // A delete of a key known to be absent is left out: it would only cost a transaction slot.
  const writes = new Map<string, string | undefined>();
  for (const [key, value] of overlay) {
    if (value === undefined && compares.get(key) === 0 && known(key)?.value === undefined) continue;
    writes.set(key, value);
  }
  return { ok: true, plan: { compares, writes, history } };
}
