import { ServiceError } from './errors.js';
import { type KindName, type KubeObject, type WatchEvent } from './types.js';

interface Recorded {
  revision: number;
  event: WatchEvent;
}

/**
 * Fan-out of object changes to watchers, with a bounded memory of recent events per kind so a watch can
 * resume from a resourceVersion (as `kubectl get -w` does after its list). Older versions answer Gone.
 */
export class WatchHub {
  private readonly recent = new Map<KindName, Recorded[]>();
  private readonly listeners = new Map<KindName, Set<(e: WatchEvent) => void>>();
  /** Oldest revision from which every later event is still remembered, per kind. */
  private readonly horizon = new Map<KindName, number>();
  /** No resumption from before this revision, whatever the kind (raised by forget()). */
  private floor = 0;

  constructor(
    private readonly startRevision: number,
    private readonly capacity = 10_000,
  ) {}

  /** True when someone watches the kind (status-only events are built only then). */
  watched(kind: KindName): boolean {
    return (this.listeners.get(kind)?.size ?? 0) > 0;
  }

  emit(kind: KindName, revision: number, event: WatchEvent): void {
    let list = this.recent.get(kind);
    if (!list) this.recent.set(kind, (list = []));
    list.push({ revision, event });
    if (list.length > this.capacity) {
      const dropped = list.splice(0, list.length - this.capacity);
      this.horizon.set(kind, dropped[dropped.length - 1]!.revision);
    }
    for (const listener of this.listeners.get(kind) ?? []) listener(event);
  }

  /**
   * Forgets the remembered events: a watch may resume only from `revision` on, older ones answer Gone (410),
   * as kube-apiserver does after its cache was rebuilt. Used after the objects were reloaded from the store
   * (a relist): the individual changes before `revision` are not known.
   */
  forget(revision: number): void {
    this.recent.clear();
    this.horizon.clear();
    this.floor = Math.max(this.floor, revision);
  }

  /**
   * Subscribes. `from` undefined: changes from now on. `from` = "0": every current object as ADDED, then
   * changes. Otherwise: remembered events after `from`, then changes; Gone when `from` is too old.
   */
  watch(
    kind: KindName,
    from: string | undefined,
    current: () => KubeObject[],
    onEvent: (e: WatchEvent) => void,
  ): () => void {
    const backlog: WatchEvent[] = [];
    if (from === '0') {
      for (const object of current()) backlog.push({ type: 'ADDED', object });
    } else if (from !== undefined && from !== '') {
      const rv = Number(from);
      if (!Number.isInteger(rv) || rv < 0)
        throw new ServiceError('Invalid', `resourceVersion "${from}" is not a number`, {
          field: 'resourceVersion',
        });
      const horizon = Math.max(this.horizon.get(kind) ?? this.startRevision, this.floor);
      if (rv < horizon) throw new ServiceError('Gone', `too old resource version: ${rv} (${horizon})`);
      for (const r of this.recent.get(kind) ?? []) if (r.revision > rv) backlog.push(r.event);
    }
    let active = true;
    // Events are delivered after the caller's stack unwinds (it may still be setting up its stream),
    // backlog first, in order; live events that arrive meanwhile queue behind it.
    let queue: WatchEvent[] | undefined = backlog;
    const listener = (e: WatchEvent): void => {
      if (!active) return;
      if (queue) queue.push(e);
      else onEvent(e);
    };
    let set = this.listeners.get(kind);
    if (!set) this.listeners.set(kind, (set = new Set()));
    set.add(listener);
    queueMicrotask(() => {
      const pending = queue ?? [];
      queue = undefined;
      for (const e of pending) if (active) onEvent(e);
    });
    return () => {
      active = false;
      set.delete(listener);
    };
  }
}
