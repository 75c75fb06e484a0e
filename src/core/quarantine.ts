/**
 * Released addresses of one address space, oldest release first (ENG-1). An address leaves the quarantine
 * when it is handed out again. Entries carry the store's release sequence number, so the order survives a
 * restart and loading does not depend on the order records arrive in.
 *
 * Kept as an array sorted by sequence with lazy deletion (a taken entry stays in the array until the head
 * passes it or a compaction runs) plus a map for membership: releasing appends, reuse pops from the head.
 */
export class Quarantine {
  private entries: { value: bigint; seq: number }[] = [];
  private head = 0;
  private readonly seqOf = new Map<bigint, number>();

  get size(): number {
    return this.seqOf.size;
  }

  has(value: bigint): boolean {
    return this.seqOf.has(value);
  }

  seqFor(value: bigint): number | undefined {
    return this.seqOf.get(value);
  }

  /** Puts a value in at its sequence position (appending when it is the newest, the usual case). */
  add(value: bigint, seq: number): void {
    const old = this.seqOf.get(value);
    if (old === seq) return;
    this.seqOf.set(value, seq);
    const last = this.entries[this.entries.length - 1];
    if (!last || last.seq <= seq) {
      this.entries.push({ value, seq });
      return;
    }
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, { value, seq });
  }

  /** Takes a value out (it is being handed out again). */
  delete(value: bigint): boolean {
    if (!this.seqOf.delete(value)) return false;
    if (this.entries.length > 1024 && this.seqOf.size * 2 < this.entries.length - this.head) this.compact();
    return true;
  }

  /** The oldest live entry accepted by `accept`, without removing it. */
  oldest(accept: (value: bigint) => boolean): bigint | undefined {
    this.skipStale();
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (this.seqOf.get(e.value) === e.seq && accept(e.value)) return e.value;
    }
    return undefined;
  }

  /** Live entries, oldest first. */
  *[Symbol.iterator](): Generator<{ value: bigint; seq: number }> {
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (this.seqOf.get(e.value) === e.seq) yield e;
    }
  }

  private skipStale(): void {
    while (this.head < this.entries.length) {
      const e = this.entries[this.head]!;
      if (this.seqOf.get(e.value) === e.seq) break;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) this.compact();
  }

  private compact(): void {
    this.entries = [...this];
    this.head = 0;
  }
}
