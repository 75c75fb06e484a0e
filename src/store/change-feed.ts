import { type Store } from './store.js';

/**
 * A store shared by several daemons (etcd) also tells each of them what the others committed (DUR-5): a feed
 * of committed revisions in order, in the store's own domain terms (objects, held addresses, leases,
 * quarantine), starting right after the revision of its last `load()`. The service applies it to its engine,
 * objects and watch streams. Single-daemon stores (memory, SQLite) do not implement it.
 */
export interface ReplicatedStore extends Store {
  /** Starts the feed after the revision the last `load()` read. One feed per store. */
  watch(handlers: ChangeFeedHandlers): ChangeFeed;
  /** The store revision the last `load()` read (etcd's, also when the snapshot says 0 for an empty store). */
  readonly loadedRevision: number;
  /** The newest store revision seen in any reply (a lower bound of what the feed will reach). */
  readonly latestRevision: number;
  /** False while the store cannot be reached (the last call or the feed failed), for `/readyz`. */
  readonly reachable: boolean;
}

export function isReplicated(store: Store): store is ReplicatedStore {
  return typeof (store as Partial<ReplicatedStore>).watch === 'function';
}

/** One change to the state, as committed. An absent value means the row is gone. */
export type StoreChange =
  | { type: 'object'; kind: string; name: string; body: Record<string, unknown> | undefined }
  | { type: 'address'; space: string; address: string; holder: { key: string; pool: string } | undefined }
  | { type: 'lease'; key: string; lease: { subnet: string; mac: string | undefined } | undefined }
  | { type: 'quarantine'; space: string; address: string; seq: number | undefined };

/** Everything one committed revision changed (a transaction's changes are never split). */
export interface ChangeSet {
  revision: number;
  changes: StoreChange[];
}

export interface ChangeFeedHandlers {
  /** One committed revision, in order, the daemon's own commits included. */
  onChanges(set: ChangeSet): void;
  /** Everything up to `revision` has been delivered (sent after a progress request, or with events). */
  onProgress?(revision: number): void;
  /**
   * The feed cannot continue: it fell behind a compaction (the revisions it needs are gone). The feed has
   * stopped; the caller reloads the store and starts a new one.
   */
  onReset(reason: string): void;
  /** The feed lost or regained its connection. */
  onConnection?(connected: boolean): void;
}

export interface ChangeFeed {
  /** Asks the store to report how far the feed is (answered through onProgress). */
  requestProgress(): void;
  close(): Promise<void>;
}
