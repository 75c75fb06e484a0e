import { type Range } from './range.js';

/** Ranges per chunk before a chunk is split in two. */
const MAX_CHUNK = 128;

interface Chunk {
  starts: bigint[];
  ends: bigint[];
}

interface Position {
  c: number;
  i: number;
}

/**
 * A mutable, ordered set of address values kept as coalesced inclusive ranges, for the allocator's
 * "ever used" index. Values are added and removed one at a time; contiguous values share one range, so
 * sequential allocation keeps a single range and random (scattered) allocation costs one range each.
 *
 * Ranges live in chunks of at most 128, with a sorted array of each chunk's first start for the outer
 * binary search. Insert and remove are O(log n) searches plus a splice inside one small chunk (the outer
 * arrays change only when a chunk splits or empties), which keeps 100,000 scattered insertions fast where a
 * single sorted array with splice would move half the array each time.
 */
export class RangeIndex {
  private chunks: Chunk[] = [];
  /** chunkFirst[c] === chunks[c].starts[0] */
  private chunkFirst: bigint[] = [];
  private ranges = 0;

  /** Number of ranges held (memory is proportional to it). */
  get rangeCount(): number {
    return this.ranges;
  }

  isEmpty(): boolean {
    return this.ranges === 0;
  }

  /** Position of the last range whose start ≤ v, or {c: 0, i: -1} when there is none. */
  private find(v: bigint): Position {
    const firsts = this.chunkFirst;
    let lo = 0;
    let hi = firsts.length - 1;
    let c = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (firsts[mid]! <= v) {
        c = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (c < 0) return { c: 0, i: -1 };
    const starts = this.chunks[c]!.starts;
    lo = 0;
    hi = starts.length - 1;
    let i = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= v) {
        i = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return { c, i };
  }

  /** End of the range that contains v, or undefined when v is not in the set. */
  coveringEnd(v: bigint): bigint | undefined {
    const p = this.find(v);
    if (p.i < 0) return undefined;
    const end = this.chunks[p.c]!.ends[p.i]!;
    return v <= end ? end : undefined;
  }

  has(v: bigint): boolean {
    return this.coveringEnd(v) !== undefined;
  }

  /** Adds v; answers false when it was already present. */
  add(v: bigint): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push({ starts: [v], ends: [v] });
      this.chunkFirst.push(v);
      this.ranges = 1;
      return true;
    }
    const p = this.find(v);
    const prev = p.i >= 0 ? this.chunks[p.c]! : undefined;
    if (prev && v <= prev.ends[p.i]!) return false;
    const next = this.successor(p);
    const joinsPrev = prev !== undefined && prev.ends[p.i]! + 1n === v;
    const joinsNext = next !== undefined && this.chunks[next.c]!.starts[next.i]! - 1n === v;
    if (joinsPrev && joinsNext) {
      prev.ends[p.i] = this.chunks[next.c]!.ends[next.i]!;
      this.removeAt(next);
    } else if (joinsPrev) {
      prev.ends[p.i] = v;
    } else if (joinsNext) {
      const chunk = this.chunks[next.c]!;
      chunk.starts[next.i] = v;
      if (next.i === 0) this.chunkFirst[next.c] = v;
    } else {
      this.insertAfter(p, v, v);
    }
    return true;
  }

  /** Removes v; answers false when it was absent. */
  remove(v: bigint): boolean {
    const p = this.find(v);
    if (p.i < 0) return false;
    const chunk = this.chunks[p.c]!;
    const start = chunk.starts[p.i]!;
    const end = chunk.ends[p.i]!;
    if (v > end) return false;
    if (start === end) {
      this.removeAt(p);
    } else if (v === start) {
      chunk.starts[p.i] = v + 1n;
      if (p.i === 0) this.chunkFirst[p.c] = v + 1n;
    } else if (v === end) {
      chunk.ends[p.i] = v - 1n;
    } else {
      chunk.ends[p.i] = v - 1n;
      this.insertAfter(p, v + 1n, end);
    }
    return true;
  }

  /** Every range in ascending order. */
  *[Symbol.iterator](): Generator<Range> {
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.starts.length; i++) yield { start: chunk.starts[i]!, end: chunk.ends[i]! };
    }
  }

  private successor(p: Position): Position | undefined {
    const chunk = this.chunks[p.c]!;
    if (p.i + 1 < chunk.starts.length) return { c: p.c, i: p.i + 1 };
    if (p.c + 1 < this.chunks.length) return { c: p.c + 1, i: 0 };
    return undefined;
  }

  private insertAfter(p: Position, start: bigint, end: bigint): void {
    const chunk = this.chunks[p.c]!;
    const at = p.i + 1;
    chunk.starts.splice(at, 0, start);
    chunk.ends.splice(at, 0, end);
    if (at === 0) this.chunkFirst[p.c] = start;
    this.ranges++;
    if (chunk.starts.length > MAX_CHUNK) {
      const half = chunk.starts.length >> 1;
      const right: Chunk = { starts: chunk.starts.splice(half), ends: chunk.ends.splice(half) };
      this.chunks.splice(p.c + 1, 0, right);
      this.chunkFirst.splice(p.c + 1, 0, right.starts[0]!);
    }
  }

  private removeAt(p: Position): void {
    const chunk = this.chunks[p.c]!;
    chunk.starts.splice(p.i, 1);
    chunk.ends.splice(p.i, 1);
    this.ranges--;
    if (chunk.starts.length === 0) {
      this.chunks.splice(p.c, 1);
      this.chunkFirst.splice(p.c, 1);
    } else if (p.i === 0) {
      this.chunkFirst[p.c] = chunk.starts[0]!;
    }
  }
}
