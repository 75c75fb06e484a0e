import { type KindName, type WatchEvent } from './types.js';
import { WatchHub, type WatchMemory } from './watch-hub.js';

interface Held {
  kind: KindName;
  revision: number;
  event: WatchEvent;
  order: number;
}

/**
 * A WatchHub that hands events to watchers in revision order when several daemons commit (DUR-5). A local
 * commit at revision R is answered as soon as etcd confirms it, possibly before another daemon's revision
 * R-1 has arrived here; a watcher that saw R and resumed from it would then never. So events are held
 * until the change feed has passed their revision (`release(upTo)`), then emitted in order.
 */
export class OrderedWatchHub extends WatchHub {
  private held: Held[] = [];
  private released = 0;
  private order = 0;

  constructor(startRevision: number, capacity?: number, memory?: WatchMemory) {
    super(startRevision, capacity, memory);
    this.released = startRevision;
  }

  override emit(kind: KindName, revision: number, event: WatchEvent): void {
    // Older than everything held (held events are all past `released`): in order as it is.
    if (revision <= this.released) {
      super.emit(kind, revision, event);
      return;
    }
    this.held.push({ kind, revision, event, order: this.order++ });
  }

  /** Emits every held event up to `revision`, in revision order (the order of emit within one revision). */
  release(revision: number): void {
    if (revision > this.released) this.released = revision;
    if (this.held.length === 0) return;
    const ready = this.held.filter((h) => h.revision <= this.released);
    if (ready.length === 0) return;
    this.held = this.held.filter((h) => h.revision > this.released);
    ready.sort((a, b) => a.revision - b.revision || a.order - b.order);
    for (const h of ready) super.emit(h.kind, h.revision, h.event);
  }
}
