import { type Family, formatValue } from './address.js';
import { type Range, formatRange } from './range.js';

/**
 * An immutable, sorted set of disjoint, non-adjacent inclusive ranges of one family. Memory and time are
 * proportional to the number of ranges, never to the number of addresses, so a /8 and a /64 cost the same.
 * Set operations are linear merges and return new sets.
 */
export class RangeSet {
  readonly family: Family;
  /** starts[i] ≤ ends[i] < starts[i+1] - 1 (coalesced). */
  private readonly starts: readonly bigint[];
  private readonly ends: readonly bigint[];

  private constructor(family: Family, starts: bigint[], ends: bigint[]) {
    this.family = family;
    this.starts = starts;
    this.ends = ends;
  }

  static empty(family: Family): RangeSet {
    return new RangeSet(family, [], []);
  }

  /** Builds a set from ranges in any order, merging overlapping and adjacent ones. */
  static of(family: Family, ranges: readonly Range[]): RangeSet {
    const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const starts: bigint[] = [];
    const ends: bigint[] = [];
    for (const r of sorted) {
      if (r.start > r.end) continue;
      const last = ends.length - 1;
      if (last >= 0 && r.start <= ends[last]! + 1n) {
        if (r.end > ends[last]!) ends[last] = r.end;
      } else {
        starts.push(r.start);
        ends.push(r.end);
      }
    }
    return new RangeSet(family, starts, ends);
  }

  static single(family: Family, value: bigint): RangeSet {
    return new RangeSet(family, [value], [value]);
  }

  get rangeCount(): number {
    return this.starts.length;
  }

  isEmpty(): boolean {
    return this.starts.length === 0;
  }

  /** The ranges in ascending order. */
  ranges(): Range[] {
    return this.starts.map((start, i) => ({ start, end: this.ends[i]! }));
  }

  rangeAt(i: number): Range | undefined {
    const start = this.starts[i];
    return start === undefined ? undefined : { start, end: this.ends[i]! };
  }

  /** Number of addresses. */
  size(): bigint {
    let n = 0n;
    for (let i = 0; i < this.starts.length; i++) n += this.ends[i]! - this.starts[i]! + 1n;
    return n;
  }

  first(): bigint | undefined {
    return this.starts[0];
  }

  /** Index of the range containing v, or -1. Binary search. */
  indexOf(v: bigint): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (v < this.starts[mid]!) hi = mid - 1;
      else if (v > this.ends[mid]!) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  contains(v: bigint): boolean {
    return this.indexOf(v) >= 0;
  }

  /** True when every address of r is in the set. */
  containsRange(r: Range): boolean {
    const i = this.indexOf(r.start);
    return i >= 0 && this.ends[i]! >= r.end;
  }

  union(other: RangeSet): RangeSet {
    this.checkFamily(other);
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return RangeSet.of(this.family, [...this.ranges(), ...other.ranges()]);
  }

  intersection(other: RangeSet): RangeSet {
    this.checkFamily(other);
    const starts: bigint[] = [];
    const ends: bigint[] = [];
    let i = 0;
    let j = 0;
    while (i < this.starts.length && j < other.starts.length) {
      const lo = this.starts[i]! > other.starts[j]! ? this.starts[i]! : other.starts[j]!;
      const hi = this.ends[i]! < other.ends[j]! ? this.ends[i]! : other.ends[j]!;
      if (lo <= hi) {
        starts.push(lo);
        ends.push(hi);
      }
      if (this.ends[i]! < other.ends[j]!) i++;
      else j++;
    }
    return new RangeSet(this.family, starts, ends);
  }

  difference(other: RangeSet): RangeSet {
    this.checkFamily(other);
    if (other.isEmpty() || this.isEmpty()) return this;
    const starts: bigint[] = [];
    const ends: bigint[] = [];
    let j = 0;
    for (let i = 0; i < this.starts.length; i++) {
      let cur = this.starts[i]!;
      const end = this.ends[i]!;
      while (j < other.starts.length && other.ends[j]! < cur) j++;
      let k = j;
      while (k < other.starts.length && other.starts[k]! <= end) {
        if (other.starts[k]! > cur) {
          starts.push(cur);
          ends.push(other.starts[k]! - 1n);
        }
        cur = other.ends[k]! + 1n;
        if (cur > end) break;
        k++;
      }
      if (cur <= end) {
        starts.push(cur);
        ends.push(end);
      }
    }
    return new RangeSet(this.family, starts, ends);
  }

  overlaps(other: RangeSet): boolean {
    return !this.intersection(other).isEmpty();
  }

  equals(other: RangeSet): boolean {
    if (this.family !== other.family || this.starts.length !== other.starts.length) return false;
    for (let i = 0; i < this.starts.length; i++) {
      if (this.starts[i] !== other.starts[i] || this.ends[i] !== other.ends[i]) return false;
    }
    return true;
  }

  /**
   * The first value in the set that is not in `used` (consulted by `rangeEndingAfter`), scanning ranges in
   * order. Each `used` range jumped over is coalesced, so this costs O(ranges × log used).
   */
  firstNotIn(used: { coveringEnd(v: bigint): bigint | undefined }): bigint | undefined {
    for (let i = 0; i < this.starts.length; i++) {
      let v = this.starts[i]!;
      const end = this.ends[i]!;
      while (v <= end) {
        const coveredTo = used.coveringEnd(v);
        if (coveredTo === undefined) return v;
        v = coveredTo + 1n;
      }
    }
    return undefined;
  }

  /** Text items: `a` or `a<sep>b`, ascending. */
  toStrings(separator = '-'): string[] {
    return this.ranges().map((r) => formatRange(this.family, r, separator));
  }

  /** Comma-joined text, as Kube-OVN's status range fields show it. */
  toString(): string {
    return this.toStrings('-').join(',');
  }

  /** Each address as text; only for small sets (tests, status of short lists). */
  *addresses(limit = 1 << 20): Generator<string> {
    let n = 0;
    for (let i = 0; i < this.starts.length; i++) {
      for (let v = this.starts[i]!; v <= this.ends[i]!; v++) {
        if (n++ >= limit) return;
        yield formatValue(this.family, v);
      }
    }
  }

  private checkFamily(other: RangeSet): void {
    if (other.family !== this.family)
      throw new TypeError(`range sets of IPv${this.family} and IPv${other.family} mixed`);
  }
}
