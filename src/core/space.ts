import { type Family } from './ip/address.js';
import { RangeIndex } from './ip/range-index.js';
import { type RangeSet } from './ip/range-set.js';
import { Quarantine } from './quarantine.js';

const NONE: readonly never[] = [];

/**
 * One address space (one family of one CIDR): who holds which address, which addresses were ever used, and
 * the quarantine of released ones. `used` is always exactly held ∪ quarantined, so it is derived on load.
 */
export class Space<L> {
  readonly id: string;
  readonly family: Family;
  readonly held = new HeldMap<L>();
  readonly used = new RangeIndex();
  readonly quarantine = new Quarantine();

  /** More than 2^32 addresses: see release(). */
  readonly unbounded: boolean;

  constructor(id: string, family: Family) {
    this.id = id;
    this.family = family;
    const prefix = Number(id.slice(id.lastIndexOf('/') + 1));
    this.unbounded = family === 6 && Number.isInteger(prefix) && prefix < 96;
  }

  /** Lowest never-used address of `candidates`, else the oldest quarantined one inside them (ENG-1). */
  pick(
    candidates: RangeSet,
    skip?: ReadonlySet<bigint>,
  ): { value: bigint; fromQuarantine: boolean } | undefined {
    let fresh = candidates.firstNotIn(this.used);
    if (fresh !== undefined && skip?.has(fresh)) {
      // Rare path (a caller-supplied skip list): walk on past skipped addresses.
      const used = this.used;
      fresh = candidates.firstNotIn({
        coveringEnd: (v) => used.coveringEnd(v) ?? (skip.has(v) ? v : undefined),
      });
    }
    if (fresh !== undefined) return { value: fresh, fromQuarantine: false };
    const old = this.quarantine.oldest((v) => candidates.contains(v) && !skip?.has(v));
    return old === undefined ? undefined : { value: old, fromQuarantine: true };
  }

  /** Marks value held by lease. The caller checked it was free. */
  hold(value: bigint, lease: L, quarantined = true): void {
    this.held.set(value, lease);
    this.used.add(value);
    // A never-used address cannot be in the quarantine; skipping the lookup is the common, fast case.
    if (quarantined) this.quarantine.delete(value);
  }

  /**
   * Releases value into the quarantine with sequence number seq. In a space with more than 2^32 addresses
   * (IPv6 prefixes shorter than /96) never-used addresses never run out, so the quarantine would only grow:
   * there it keeps the newest `cap` releases, and the oldest ones beyond are returned, free again (more than
   * one only when a store written with a larger cap was loaded).
   */
  release(value: bigint, seq: number, cap: number): readonly { value: bigint; seq: number }[] {
    this.held.delete(value);
    this.quarantine.add(value, seq);
    if (!this.unbounded || this.quarantine.size <= cap) return NONE;
    const retired: { value: bigint; seq: number }[] = [];
    while (this.quarantine.size > cap) {
      const oldest = this.quarantine.oldest(() => true)!;
      retired.push({ value: oldest, seq: this.quarantine.seqFor(oldest)! });
      this.quarantine.delete(oldest);
      this.used.remove(oldest);
    }
    return retired;
  }

  /** Undoes a retirement (revert). */
  unretire(value: bigint, seq: number): void {
    this.quarantine.add(value, seq);
    this.used.add(value);
  }
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Address value → holder. Values below 2^53 (every IPv4 address) are keyed as numbers, which V8 hashes
 * without reading a bigint's digits on every lookup; IPv6 values are far larger and stay bigints. The two
 * kinds of key never collide (a number never equals a bigint as a Map key).
 */
export class HeldMap<L> {
  private readonly map = new Map<number | bigint, L>();

  get size(): number {
    return this.map.size;
  }

  get(value: bigint): L | undefined {
    return this.map.get(value <= SAFE ? Number(value) : value);
  }

  has(value: bigint): boolean {
    return this.map.has(value <= SAFE ? Number(value) : value);
  }

  set(value: bigint, holder: L): void {
    this.map.set(value <= SAFE ? Number(value) : value, holder);
  }

  delete(value: bigint): boolean {
    return this.map.delete(value <= SAFE ? Number(value) : value);
  }

  *keys(): Generator<bigint> {
    for (const k of this.map.keys()) yield typeof k === 'number' ? BigInt(k) : k;
  }

  *[Symbol.iterator](): Generator<[bigint, L]> {
    for (const [k, v] of this.map) yield [typeof k === 'number' ? BigInt(k) : k, v];
  }
}
