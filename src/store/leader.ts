/**
 * Who runs the single-runner duties of a store shared by several daemons (compaction, history trimming,
 * sweeping old batch markers). Allocations never depend on it: they are decided by the store's own
 * transactions (DUR-2). The daemon's composition root picks the implementation: in standalone mode an
 * election on an etcd lease (store/etcd/membership.ts); in Kubernetes mode the `coordination.k8s.io` Lease
 * of that mode.
 */
export interface Leader {
  /** True while this daemon should run the duties. */
  isLeader(): boolean;
  /**
   * Fencing: a key of the store that exists with this create revision only while this daemon leads. A duty
   * compares it in the same transaction as its writes, so a leader that lost its lease without noticing
   * changes nothing. Undefined when leadership is decided outside the store (a Kubernetes Lease): the duties
   * are idempotent, so two runners at once only repeat work.
   */
  fence(): { key: string; createRevision: number } | undefined;
  close(): Promise<void>;
}

/** A leader decided elsewhere, or none: `isLeader` as given, no fencing key. */
export function fixedLeader(isLeader: () => boolean): Leader {
  return { isLeader, fence: () => undefined, close: async () => undefined };
}
