import { type Engine, parseAddress } from '../core/index.js';
import { type ChangeSet } from '../store/change-feed.js';
import { type StoreOp } from '../store/store.js';

/**
 * The things a local batch or a remote revision touches, as comparable strings: an object, an address (held
 * or quarantined), a lease, a MAC. A remote revision that shares one with a local batch still in flight is
 * held back until that batch is decided (replicator.ts): applying it earlier could be undone by the local
 * batch's revert, or applied twice when it is the local batch's own echo.
 */
export function itemsOfOps(ops: readonly StoreOp[]): string[] {
  const items: string[] = [];
  for (const op of ops) {
    switch (op.op) {
      case 'putObject':
      case 'deleteObject':
        items.push(`o:${op.kind}/${op.name}`);
        break;
      case 'claimAddress':
      case 'freeAddress':
        items.push(`a:${op.space}/${op.address}`, `l:${op.key}`);
        break;
      case 'putLease':
        items.push(`l:${op.key}`);
        if (op.mac) items.push(`m:${op.mac}`);
        break;
      case 'deleteLease':
        items.push(`l:${op.key}`);
        break;
      case 'quarantine':
      case 'unquarantine':
        items.push(`a:${op.space}/${op.address}`);
        break;
      case 'history':
        break;
    }
  }
  return items;
}

/** The items a remote revision touches; an address's current holder comes from the engine. */
export function itemsOfChanges(set: ChangeSet, engine: Engine): string[] {
  const items: string[] = [];
  for (const c of set.changes) {
    switch (c.type) {
      case 'object':
        items.push(`o:${c.kind}/${c.name}`);
        break;
      case 'address': {
        items.push(`a:${c.space}/${c.address}`);
        if (c.holder) items.push(`l:${c.holder.key}`);
        const old = engine.holderOf(c.space, parseAddress(c.address).value);
        if (old) items.push(`l:${old.key}`);
        break;
      }
      case 'lease':
        items.push(`l:${c.key}`);
        if (c.lease?.mac) items.push(`m:${c.lease.mac}`);
        break;
      case 'quarantine':
        items.push(`a:${c.space}/${c.address}`);
        break;
    }
  }
  return items;
}

/** A multiset of items in flight. */
export class PendingItems {
  private readonly counts = new Map<string, number>();

  add(items: readonly string[]): void {
    for (const i of items) this.counts.set(i, (this.counts.get(i) ?? 0) + 1);
  }

  remove(items: readonly string[]): void {
    for (const i of items) {
      const n = (this.counts.get(i) ?? 0) - 1;
      if (n > 0) this.counts.set(i, n);
      else this.counts.delete(i);
    }
  }

  overlaps(items: readonly string[]): boolean {
    return items.some((i) => this.counts.has(i));
  }

  get size(): number {
    return this.counts.size;
  }
}
