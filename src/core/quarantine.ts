/**
 * Released addresses of one address space, oldest release first (ENG-1). An address leaves the quarantine
 * when it is handed out again. Entries carry the store's release sequence number, so the order survives a
 * restart and loading does not depend on the order records arrive in.
 *
 * Kept as an array sorted by sequence with lazy deletion (a taken entry stays in the array until the head
 * passes it or a compaction runs) plus a map for membership: releasing appends, reuse pops from the head.
 */
interface Entry {
  readonly value: bigint;
  readonly seq: number;
}

export class Quarantine {
  private entries: Entry[] = [];
  private head = 0;
  /**
   * The live entry of each value. An array slot is live only if it is this very object: a value taken out and
   * put back with the same sequence number (revert) must not revive its stale slot next to the new one.
   */
  private readonly live = new Map<bigint, Entry>();

  get size(): number {
    return this.live.size;
  }

  has(value: bigint): boolean {
    return this.live.has(value);
  }

  seqFor(value: bigint): number | undefined {
    return this.live.get(value)?.seq;
  }

  /** Puts a value in at its sequence position (appending when it is the newest, the usual case). */
  add(value: bigint, seq: number): void {
    if (this.live.get(value)?.seq === seq) return;
    const entry: Entry = { value, seq };
    this.live.set(value, entry);
    const last = this.entries[this.entries.length - 1];
    if (!last || last.seq <= seq) {
      this.entries.push(entry);
      return;
    }
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, entry);
  }

  /** Takes a value out (it is being handed out again). */
  delete(value: bigint): boolean {
    if (!this.live.delete(value)) return false;
    if (this.entries.length > 1024 && this.live.size * 2 < this.entries.length - this.head) this.compact();
    return true;
  }

  /** The oldest live entry accepted by `accept`, without removing it. */
  oldest(accept: (value: bigint) => boolean): bigint | undefined {
    this.skipStale();
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (this.live.get(e.value) === e && accept(e.value)) return e.value;
    }
    return undefined;
  }

  /** Live entries, oldest first. */
  *[Symbol.iterator](): Generator<Entry> {
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (this.live.get(e.value) === e) yield e;
    }
  }

  private skipStale(): void {
    while (this.head < this.entries.length) {
      const e = this.entries[this.head]!;
      if (this.live.get(e.value) === e) break;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) this.compact();
  }

  private compact(): void {
    this.entries = [...this];
    this.head = 0;
  }
}
