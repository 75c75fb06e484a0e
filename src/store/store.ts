import { type LeaseRecord, type QuarantineRecord } from '../core/index.js';

/**
 * The one store interface every backend implements (memory, SQLite, etcd). Its primitives are the two the
 * allocator needs from durable storage: create-if-absent per address (and per MAC), and compare-and-swap per
 * object. A batch of operations commits atomically or not at all; a taken address or a stale revision is an
 * answer (`ok: false`), not an exception (STYLE lessons 2–4). Exceptions are {@link StoreError}s.
 */
export interface Store {
  /** Everything needed to rebuild the in-memory state, read in one consistent snapshot. */
  load(): Promise<StoreSnapshot>;
  /** Commits a batch atomically and durably (DUR-1): when the promise resolves with ok, it is on disk. */
  commit(batch: readonly StoreOp[]): Promise<CommitResult>;
  /** Allocation history, newest first. */
  history(query: HistoryQuery): Promise<HistoryEntry[]>;
  /** Releases resources; later calls fail with StoreError CLOSED. */
  close(): Promise<void>;
  /** Backend name for logs and /metrics. */
  readonly kind: string;
}

/** A resource object as stored: the body without `metadata.resourceVersion`, plus its revision. */
export interface StoredObject {
  kind: string;
  name: string;
  /** Revision of the batch that last wrote it (the object's resourceVersion). */
  revision: number;
  body: Record<string, unknown>;
}

export interface StoreSnapshot {
  /** Revision of the newest committed batch (0 for an empty store). */
  revision: number;
  objects: StoredObject[];
  leases: LeaseRecord[];
  quarantine: QuarantineRecord[];
}

/** One allocation event, kept so an operator can ask who held an address when (SPEC §12). */
export interface HistoryEntry {
  /** ISO-8601 time of the commit. */
  at: string;
  event: 'allocate' | 'release';
  /** Lease key (owner interface). */
  key: string;
  space: string;
  address: string;
  mac?: string | undefined;
  /** Why: `reservation`, `pod`, `cni-del`, `gc`, `delete`… */
  reason: string;
}

/** What every backend's constructor accepts. */
export interface StoreOptions {
  /**
   * History retention: keep the newest this many entries, dropping the oldest in the commit that goes over
   * (a history row is written for every allocation and release, so without a bound it grows forever).
   * 0 or absent keeps everything.
   */
  historyLimit?: number | undefined;
}

export interface HistoryQuery {
  address?: string | undefined;
  key?: string | undefined;
  limit?: number | undefined;
}

export type StoreOp =
  /** Compare-and-swap: `expectRevision` 0 = must not exist; undefined = unconditional. */
  | {
      op: 'putObject';
      kind: string;
      name: string;
      body: Record<string, unknown>;
      expectRevision?: number | undefined;
    }
  | { op: 'deleteObject'; kind: string; name: string; expectRevision?: number | undefined }
  /** Create-if-absent: fails with `taken` when another key holds (space, address). */
  | { op: 'claimAddress'; space: string; address: string; key: string; pool: string }
  /** Deletes the address row if `key` holds it. */
  | { op: 'freeAddress'; space: string; address: string; key: string }
  /** Upserts the lease row (subnet, MAC); fails with `taken` when another lease holds the MAC (DUR-2). */
  | { op: 'putLease'; key: string; subnet: string; mac?: string | undefined }
  | { op: 'deleteLease'; key: string }
  | { op: 'quarantine'; space: string; address: string; seq: number }
  | { op: 'unquarantine'; space: string; address: string }
  | { op: 'history'; entry: Omit<HistoryEntry, 'at'> };

export type CommitResult =
  | { ok: true; revision: number }
  | { ok: false; index: number; reason: 'taken' | 'conflict'; holder?: string | undefined };

/** Stable store error codes (STYLE lesson 4): never the driver's. */
export type StoreErrorCode = 'UNAVAILABLE' | 'CLOSED' | 'CORRUPT' | 'IO';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

export function isStoreError(e: unknown): e is StoreError {
  return e instanceof StoreError;
}
