import { ServiceError } from './errors.js';
import { type KindName, type KubeObject, type WatchEvent } from './types.js';

interface Recorded {
  revision: number;
  event: WatchEvent;
  /** When it was emitted (ms, the hub's clock). */
  at: number;
}

/** How long the recent events are remembered, and how many are kept whatever their age. */
export interface WatchMemory {
  /** Events older than this are forgotten (default 75 s, kube-apiserver's watch cache window). */
  windowMs?: number;
  /** The newest events of each kind kept however old (default 100, kube-apiserver's smallest cache). */
  keep?: number;
  /** The clock (ms); default Date.now. */
  now?: () => number;
}

/**
 * Fan-out of object changes to watchers, with a bounded memory of recent events per kind so a watch can
 * resume from a resourceVersion (as `kubectl get -w` does after its list, or an informer after its watch
 * timed out). Older versions answer Gone, and the watcher lists again. As kube-apiserver's watch cache, it
 * remembers the events of a recent window (at most `capacity` per kind) and the newest `keep` of each kind:
 * each event holds a copy of its object, and a burst of a thousand pods' ADDs and DELs would otherwise stay
 * in memory until ten thousand later changes pushed it out (bench/k8s: ~1 KB per IP event).
 */
export class WatchHub {
  private readonly recent = new Map<KindName, Recorded[]>();
  private readonly listeners = new Map<KindName, Set<(e: WatchEvent) => void>>();
  /** Oldest revision from which every later event is still remembered, per kind. */
  private readonly horizon = new Map<KindName, number>();
  /** No resumption from before this revision, whatever the kind (raised by forget()). */
  private floor = 0;

  private readonly windowMs: number;
  private readonly keep: number;
  private readonly now: () => number;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly startRevision: number,
    private readonly capacity = 10_000,
    memory: WatchMemory = {},
  ) {
    this.windowMs = memory.windowMs ?? 75_000;
    this.keep = memory.keep ?? 100;
    this.now = memory.now ?? Date.now;
  }

  /** True when someone watches the kind (status-only events are built only then). */
  watched(kind: KindName): boolean {
    return (this.listeners.get(kind)?.size ?? 0) > 0;
  }

  emit(kind: KindName, revision: number, event: WatchEvent): void {
    let list = this.recent.get(kind);
    if (!list) this.recent.set(kind, (list = []));
    list.push({ revision, event, at: this.now() });
    if (list.length > this.capacity) this.drop(kind, list, list.length - this.capacity);
    for (const listener of this.listeners.get(kind) ?? []) listener(event);
    this.schedulePrune();
  }

  /**
   * Forgets the events older than the window beyond the newest `keep` of each kind. Runs by itself a window
   * after events arrive (so a burst is released after it ends, even with no later change); public for tests.
   */
  prune(): void {
    const oldest = this.now() - this.windowMs;
    for (const [kind, list] of this.recent) {
      let n = 0;
      while (n < list.length - this.keep && list[n]!.at < oldest) n++;
      if (n > 0) this.drop(kind, list, n);
    }
  }

  private drop(kind: KindName, list: Recorded[], n: number): void {
    const dropped = list.splice(0, n);
    this.horizon.set(kind, dropped[dropped.length - 1]!.revision);
  }

  private schedulePrune(): void {
    if (this.pruneTimer) return;
    this.pruneTimer = setTimeout(() => {
      this.pruneTimer = undefined;
      this.prune();
      // Events still remembered beyond `keep` are looked at again a window later.
      if ([...this.recent.values()].some((l) => l.length > this.keep)) this.schedulePrune();
    }, this.windowMs + 1000);
    this.pruneTimer.unref();
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
