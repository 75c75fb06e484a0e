/**
 * Release decisions (SPEC §9): plain facts in, a verdict out. No clock is read here: every time is passed
 * in as milliseconds since the epoch, so the rules are replayable in tests.
 */

/** A pod as the release rules see it. */
export interface PodFacts {
  readonly uid: string;
  /** `status.phase`: Pending, Running, Succeeded, Failed, Unknown. */
  readonly phase?: string | undefined;
  /** `spec.restartPolicy`: Always (the default), OnFailure, Never. */
  readonly restartPolicy?: string | undefined;
  /** `status.reason`, e.g. `Evicted`. */
  readonly reason?: string | undefined;
  /** `metadata.deletionTimestamp` in ms: the pod is terminating and gone after this moment. */
  readonly deletionTimestampMs?: number | undefined;
}

/** Whether a pod will never run again (GC-1), and if not yet, when to look again. */
export interface Finished {
  readonly finished: boolean;
  readonly reason: string;
  /** A terminating pod: when its grace period ends. */
  readonly recheckAtMs?: number;
}

/**
 * GC-1 "finished": Succeeded with no restart (restartPolicy not Always), Failed with restartPolicy Never,
 * Evicted, or terminating past its deletion deadline (the kubelet had the whole grace period; a lost node
 * never reports the end). A terminating pod before its deadline still runs and keeps its address.
 */
export function podFinished(pod: PodFacts, nowMs: number): Finished {
  const policy = pod.restartPolicy ?? 'Always';
  if (pod.reason === 'Evicted') return { finished: true, reason: 'evicted' };
  if (pod.phase === 'Succeeded' && policy !== 'Always')
    return { finished: true, reason: `succeeded (restartPolicy ${policy})` };
  if (pod.phase === 'Failed' && policy === 'Never')
    return { finished: true, reason: 'failed (restartPolicy Never)' };
  if (pod.deletionTimestampMs !== undefined) {
    if (nowMs >= pod.deletionTimestampMs)
      return { finished: true, reason: 'terminating past its grace period' };
    return { finished: false, reason: 'terminating', recheckAtMs: pod.deletionTimestampMs };
  }
  return { finished: false, reason: `${pod.phase ?? 'Pending'}` };
}

/** What the cluster says of the pod an allocation was made for, by namespace and name. */
export type PodSighting =
  /** In the (synced) cache: this pod, which may be a newer pod of the same name. */
  | { readonly kind: 'present'; readonly pod: PodFacts }
  /** Not in the synced cache. */
  | { readonly kind: 'absent' }
  /** A watch event said this pod was deleted: authoritative for that UID. */
  | { readonly kind: 'deleted'; readonly uid: string };

/** An allocation (an IP object) as the collector sees it. */
export interface HeldFacts {
  /** A user-created reservation (`ovn.kubernetes.io/ip_reserved: "true"`): never collected (IPR-9). */
  readonly reserved: boolean;
  /** `spec.podType`: '' for ordinary pods; StatefulSet and VirtualMachine owners are kept by their own rules. */
  readonly podType: string;
  /** `spec.namespace`: '' for a bare container's attachment (standalone CNI, collected by CNI GC, GC-4). */
  readonly namespace: string;
  /** The UID of the pod that holds it, when recorded. */
  readonly podUid?: string | undefined;
}

/** The collector's verdict on one allocation. */
export type CollectVerdict =
  /** Keep it; any orphan mark is cleared. `recheckAtMs`: look again then (a terminating pod). */
  | { readonly action: 'keep'; readonly reason: string; readonly recheckAtMs?: number }
  /** Orphaned, but not yet for a whole grace period: remember since when, look again at `recheckAtMs`. */
  | {
      readonly action: 'wait';
      readonly reason: string;
      readonly orphanSinceMs: number;
      readonly recheckAtMs: number;
    }
  /** Release it, guarded: only if the allocation still belongs to `uid` (a same-name pod keeps its own). */
  | { readonly action: 'release'; readonly reason: string; readonly uid: string | undefined };

export interface CollectInput {
  readonly held: HeldFacts;
  readonly sighting: PodSighting;
  readonly nowMs: number;
  /** When this allocation was first seen orphaned (by this process), if it was. */
  readonly orphanSinceMs?: number | undefined;
  /** How long an allocation must stay orphaned before it is released (GC-3). */
  readonly graceMs: number;
}

function orphaned(input: CollectInput, why: string): CollectVerdict {
  const since = input.orphanSinceMs;
  if (since !== undefined && input.nowMs - since >= input.graceMs)
    return {
      action: 'release',
      reason: `${why}, seen orphaned for the whole grace period`,
      uid: input.held.podUid,
    };
  const first = since ?? input.nowMs;
  return { action: 'wait', reason: why, orphanSinceMs: first, recheckAtMs: first + input.graceMs };
}

/**
 * GC-1 and GC-3, one table, first row that applies decides:
 * 1. a reservation is never collected (IPR-9);
 * 2. StatefulSet and VM allocations follow their owners' rules, not the pod's;
 * 3. a bare container's allocation is not a pod's (CNI GC's job, GC-4);
 * 4. the pod that holds it was deleted (a watch event for that UID) → release now (GC-1);
 * 5. that same pod is in the cache: finished → release now (GC-1); terminating → keep until its deadline;
 *    running → keep;
 * 6. otherwise (absent from the cache, or a different pod of that name) it is orphaned, but a cache may be
 *    stale: release only when it was seen orphaned before, at least a grace period ago (GC-3).
 * Nothing is dropped at start: marks live in memory only, so after a restart every orphan waits a whole
 * grace period again, and the caller decides only from a synced cache.
 */
export function collectVerdict(input: CollectInput): CollectVerdict {
  const { held, sighting } = input;
  if (held.reserved) return { action: 'keep', reason: 'a reservation (never collected)' };
  if (held.podType !== '')
    return { action: 'keep', reason: `a ${held.podType} allocation (kept by its owner's rules)` };
  if (held.namespace === '') return { action: 'keep', reason: 'a container attachment, not a pod' };
  const sameUid = (uid: string): boolean => held.podUid === undefined || held.podUid === uid;
  if (sighting.kind === 'deleted' && held.podUid !== undefined && held.podUid === sighting.uid)
    return { action: 'release', reason: 'the pod was deleted', uid: held.podUid };
  if (sighting.kind === 'present' && sameUid(sighting.pod.uid)) {
    const f = podFinished(sighting.pod, input.nowMs);
    if (f.finished) return { action: 'release', reason: `the pod ${f.reason}`, uid: sighting.pod.uid };
    return {
      action: 'keep',
      reason: `the pod is ${f.reason}`,
      ...(f.recheckAtMs !== undefined ? { recheckAtMs: f.recheckAtMs } : {}),
    };
  }
  return orphaned(input, sighting.kind === 'present' ? 'another pod now has that name' : 'the pod is gone');
}
