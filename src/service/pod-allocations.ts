import { type Engine, type HeldFacts } from '../core/index.js';
import { type KeyedMutex } from './keyed-mutex.js';
import { LABEL_RESERVED } from './kinds/ip.js';
import { ANNOTATION_POD_UID } from './kinds/spider-pool.js';
import { type Entry, type ResourceTable } from './resource-service.js';
import { type KubeObject } from './types.js';

/** Written on IP objects of CNI attachments: which container holds the address. */
export const ANNOTATION_CONTAINER = 'ipkeeper.io/container-id';

/** One IP object as the collector sees it. */
export interface PodAllocation {
  /** The IP object's name (the lease key). */
  key: string;
  namespace: string;
  podName: string;
  held: HeldFacts;
  /** The container that holds it ('' if none is recorded). */
  containerId: string;
}

/** What a guarded release expects still to be true of the IP object. */
export interface ReleaseGuard {
  /** The pod UID the decision was made for (undefined: none was recorded then). */
  uid: string | undefined;
  containerId: string;
}

function allocationOf(object: KubeObject): PodAllocation {
  const spec = object.spec ?? {};
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const annotations = object.metadata.annotations ?? {};
  return {
    key: object.metadata.name!,
    namespace: str(spec.namespace),
    podName: str(spec.podName),
    containerId: annotations[ANNOTATION_CONTAINER] ?? str(spec.containerID),
    held: {
      reserved: object.metadata.labels?.[LABEL_RESERVED] === 'true',
      podType: str(spec.podType),
      namespace: str(spec.namespace),
      podUid: annotations[ANNOTATION_POD_UID],
    },
  };
}

/**
 * Deletes an IP object and releases its addresses in one store batch (the caller holds the key's lock).
 * Finalizers a user put on the object keep it, and its address, until they are removed (the object then
 * only turns terminating). Used by CNI DEL and GC, CNI GC, and the Kubernetes collector.
 */
export async function releaseEntry(
  d: { resources: ResourceTable },
  entry: Entry,
  reason: string,
): Promise<void> {
  await d.resources.deleteEntry('IP', entry, false, reason);
}

/**
 * The service side of Kubernetes garbage collection (GC-1, GC-3): the pod allocations to judge, and a
 * release guarded by what the decision saw, so a decision made from a stale cache can never take an
 * address that a same-name replacement pod (or a newer sandbox) holds now.
 */
export class PodAllocations {
  private index: { revision: number; map: Map<string, PodAllocation[]> } | undefined;

  constructor(private readonly d: { engine: Engine; resources: ResourceTable; locks: KeyedMutex }) {}

  /** Every IP object that belongs to a pod (namespace and name set), reservations included. */
  all(): PodAllocation[] {
    return this.d.resources
      .rawList('IP')
      .map(allocationOf)
      .filter((a) => a.namespace !== '' && a.podName !== '');
  }

  /** The IP objects of one pod (all its interfaces). */
  of(namespace: string, podName: string): PodAllocation[] {
    return this.byPod().get(`${namespace}/${podName}`) ?? [];
  }

  /**
   * Pod allocations grouped by `namespace/name`, rebuilt only after the store moved on: a sweep of every pod
   * then costs one pass over the IP objects, not one per pod.
   */
  private byPod(): Map<string, PodAllocation[]> {
    const revision = this.d.resources.currentRevision;
    if (this.index?.revision === revision) return this.index.map;
    const map = new Map<string, PodAllocation[]>();
    for (const a of this.all()) {
      const k = `${a.namespace}/${a.podName}`;
      const list = map.get(k);
      if (list) list.push(a);
      else map.set(k, [a]);
    }
    this.index = { revision, map };
    return map;
  }

  /** Who holds an IP object now: the pod UID and container recorded on it (undefined: no such object). */
  holder(key: string): ReleaseGuard | undefined {
    const entry = this.d.resources.entry('IP', key);
    if (!entry) return undefined;
    const a = allocationOf(entry.object);
    return { uid: a.held.podUid, containerId: a.containerId };
  }

  /**
   * Releases `key` if it still is what the decision saw: not a reservation, the same pod UID and the same
   * container. Answers whether it released.
   */
  async release(key: string, guard: ReleaseGuard, reason: string): Promise<boolean> {
    return this.d.locks.run(`IP/${key}`, async () => {
      const entry = this.d.resources.entry('IP', key);
      if (!entry) return false;
      const now = allocationOf(entry.object);
      if (now.held.reserved || now.held.podUid !== guard.uid || now.containerId !== guard.containerId)
        return false;
      await releaseEntry(this.d, entry, reason);
      return true;
    });
  }
}
