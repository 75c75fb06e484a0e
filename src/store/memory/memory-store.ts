import { type LeaseRecord, type QuarantineRecord } from '../../core/index.js';
import {
  type CommitResult,
  type HistoryEntry,
  type HistoryQuery,
  type Store,
  StoreError,
  type StoreOp,
  type StoreOptions,
  type StoreSnapshot,
  type StoredObject,
} from '../store.js';

interface State {
  revision: number;
  objects: Map<string, StoredObject>;
  leases: Map<string, { subnet: string; mac?: string | undefined }>;
  addresses: Map<string, { space: string; address: string; key: string; pool: string }>;
  macs: Map<string, string>;
  quarantine: Map<string, QuarantineRecord>;
  history: HistoryEntry[];
}

const objKey = (kind: string, name: string): string => `${kind}\u0000${name}`;
const addrKey = (space: string, address: string): string => `${space}\u0000${address}`;

/**
 * In-memory backend for unit tests: the same semantics as the durable backends (atomic batches,
 * create-if-absent, compare-and-swap), no durability. `now` is injectable so history times are testable.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private state: State = {
    revision: 0,
    objects: new Map(),
    leases: new Map(),
    addresses: new Map(),
    macs: new Map(),
    quarantine: new Map(),
    history: [],
  };
  private closed = false;

  private readonly historyLimit: number;

  constructor(
    private readonly now: () => Date = () => new Date(),
    options: StoreOptions = {},
  ) {
    this.historyLimit = options.historyLimit ?? 0;
  }

  private check(): void {
    if (this.closed) throw new StoreError('CLOSED', 'the store is closed');
  }

  async load(): Promise<StoreSnapshot> {
    this.check();
    const s = this.state;
    const leases = new Map<string, LeaseRecord>();
    for (const [key, l] of s.leases)
      leases.set(key, { key, subnet: l.subnet, addresses: [], ...(l.mac ? { mac: l.mac } : {}) });
    for (const a of s.addresses.values()) {
      const lease = leases.get(a.key) ?? { key: a.key, subnet: '', addresses: [] };
      leases.set(a.key, lease);
      lease.addresses.push({ space: a.space, address: a.address, ...(a.pool ? { pool: a.pool } : {}) });
    }
    return {
      revision: s.revision,
      objects: [...s.objects.values()].map((o) => ({ ...o, body: structuredClone(o.body) })),
      leases: [...leases.values()],
      quarantine: [...s.quarantine.values()].map((q) => ({ ...q })),
    };
  }

  async commit(batch: readonly StoreOp[]): Promise<CommitResult> {
    this.check();
    const s = this.state;
    const revision = s.revision + 1;
    const at = this.now().toISOString();
    const history: HistoryEntry[] = [];
    // Applied in place with an undo log, so a failing operation leaves the state exactly as it was.
    const undo: (() => void)[] = [];
    for (let i = 0; i < batch.length; i++) {
      let failed;
      try {
        failed = applyOp(s, batch[i]!, revision, at, history, undo);
      } catch (e) {
        // E.g. a body that cannot be cloned: undo what the batch already did, as the durable stores do.
        for (const u of undo.reverse()) u();
        throw new StoreError('IO', `cannot store the batch: ${(e as Error).message}`, { cause: e });
      }
      if (failed) {
        for (const u of undo.reverse()) u();
        return { ok: false, index: i, ...failed };
      }
    }
    s.revision = revision;
    s.history.push(...history);
    if (this.historyLimit > 0 && s.history.length > this.historyLimit)
      s.history.splice(0, s.history.length - this.historyLimit);
    return { ok: true, revision };
  }

  async history(query: HistoryQuery): Promise<HistoryEntry[]> {
    this.check();
    const out = this.state.history
      .filter((h) => (!query.address || h.address === query.address) && (!query.key || h.key === query.key))
      .reverse();
    return out.slice(0, query.limit ?? 100);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function applyOp(
  s: State,
  op: StoreOp,
  revision: number,
  at: string,
  history: HistoryEntry[],
  undo: (() => void)[],
): { reason: 'taken' | 'conflict'; holder?: string } | undefined {
  // Remembers a map entry's current value so the batch can be rolled back.
  const save = <K, V>(map: Map<K, V>, key: K): void => {
    const had = map.has(key);
    const old = map.get(key);
    undo.push(() => (had ? map.set(key, old as V) : map.delete(key)));
  };
  switch (op.op) {
    case 'putObject':
    case 'deleteObject': {
      const k = objKey(op.kind, op.name);
      const cur = s.objects.get(k);
      if (op.expectRevision !== undefined && (cur?.revision ?? 0) !== op.expectRevision)
        return { reason: 'conflict' };
      save(s.objects, k);
      if (op.op === 'putObject')
        s.objects.set(k, { kind: op.kind, name: op.name, revision, body: structuredClone(op.body) });
      else s.objects.delete(k);
      return undefined;
    }
    case 'claimAddress': {
      const k = addrKey(op.space, op.address);
      const cur = s.addresses.get(k);
      if (cur && cur.key !== op.key) return { reason: 'taken', holder: cur.key };
      save(s.addresses, k);
      s.addresses.set(k, { space: op.space, address: op.address, key: op.key, pool: op.pool });
      return undefined;
    }
    case 'freeAddress': {
      const k = addrKey(op.space, op.address);
      save(s.addresses, k);
      if (s.addresses.get(k)?.key === op.key) s.addresses.delete(k);
      return undefined;
    }
    case 'putLease': {
      const old = s.leases.get(op.key);
      if (op.mac) {
        const holder = s.macs.get(op.mac);
        if (holder && holder !== op.key) return { reason: 'taken', holder };
      }
      save(s.leases, op.key);
      if (old?.mac) save(s.macs, old.mac);
      if (op.mac) save(s.macs, op.mac);
      if (old?.mac && old.mac !== op.mac) s.macs.delete(old.mac);
      if (op.mac) s.macs.set(op.mac, op.key);
      // An empty MAC means none, as in the durable stores.
      s.leases.set(op.key, { subnet: op.subnet, mac: op.mac || undefined });
      return undefined;
    }
    case 'deleteLease': {
      const old = s.leases.get(op.key);
      save(s.leases, op.key);
      if (old?.mac) save(s.macs, old.mac);
      if (old?.mac) s.macs.delete(old.mac);
      s.leases.delete(op.key);
      return undefined;
    }
    case 'quarantine':
      save(s.quarantine, addrKey(op.space, op.address));
      s.quarantine.set(addrKey(op.space, op.address), { space: op.space, address: op.address, seq: op.seq });
      return undefined;
    case 'unquarantine':
      save(s.quarantine, addrKey(op.space, op.address));
      s.quarantine.delete(addrKey(op.space, op.address));
      return undefined;
    case 'history':
      history.push({ ...op.entry, at });
      return undefined;
  }
}
