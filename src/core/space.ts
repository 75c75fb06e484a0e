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

  /**
   * Lowest never-used address of `candidates`, else the oldest quarantined one inside them (ENG-1). With a
   * `stripe` (several daemons allocating from one space), near the frontier this daemon's own blocks are
   * preferred: see {@link Stripe}.
   */
  pick(
    candidates: RangeSet,
    skip?: ReadonlySet<bigint>,
    stripe?: Stripe,
  ): { value: bigint; fromQuarantine: boolean } | undefined {
    const used = this.used;
    // Covered: used, or (rare: a caller-supplied skip list) skipped, or below a floor the caller is past.
    const cover = (floor: bigint) => ({
      coveringEnd: (v: bigint): bigint | undefined =>
        v < floor ? floor - 1n : (used.coveringEnd(v) ?? (skip?.has(v) ? v : undefined)),
    });
    const fresh = candidates.firstNotIn(skip || stripe ? cover(0n) : used);
    if (fresh !== undefined) {
      if (stripe && stripe.count > 1 && !mine(fresh, stripe)) {
        // Every address below `fresh` is used, so this daemon's lowest free one is at or above it.
        const base = cover(fresh);
        const own = candidates.firstNotIn({
          coveringEnd: (v) => (mine(v, stripe) ? base.coveringEnd(v) : nextOwnBlock(v, stripe) - 1n),
        });
        if (own !== undefined) return { value: own, fromQuarantine: false };
      }
      return { value: fresh, fromQuarantine: false };
    }
    const accept = (v: bigint): boolean => candidates.contains(v) && !skip?.has(v);
    const old =
      stripe && stripe.count > 1 ? this.oldestPreferring(accept, stripe) : this.quarantine.oldest(accept);
    return old === undefined ? undefined : { value: old, fromQuarantine: true };
  }

  /** The oldest acceptable quarantined address, or one of this daemon's among the next few oldest. */
  private oldestPreferring(accept: (v: bigint) => boolean, stripe: Stripe): bigint | undefined {
    let first: bigint | undefined;
    let looked = 0;
    const found = this.quarantine.oldest((v) => {
      if (!accept(v)) return false;
      first ??= v;
      return mine(v, stripe) || ++looked >= STRIPE_QUARANTINE_LOOKAHEAD;
    });
    return found !== undefined && mine(found, stripe) ? found : first;
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

/**
 * Where this daemon allocates when several daemons share one address space (DUR-5): the space is cut into
 * blocks of {@link STRIPE_BLOCK} addresses dealt round-robin to the `count` live daemons, and daemon `index`
 * takes the lowest never-used address of its own blocks; only when its blocks have none left does it take the
 * lowest never-used one of any block. So daemons rarely propose the same address at once (each collision
 * costs a retry, and a daemon that keeps losing them falls behind), allocation is lowest-first within each
 * daemon's blocks (ENG-1; exact with one daemon), and the used set stays in runs. Released addresses are
 * reused oldest first, preferring one of its own blocks among the oldest few.
 */
export interface Stripe {
  index: number;
  count: number;
}

export const STRIPE_BLOCK = 16n;
const STRIPE_QUARANTINE_LOOKAHEAD = 64;

function mine(v: bigint, stripe: Stripe): boolean {
  return Number((v / STRIPE_BLOCK) % BigInt(stripe.count)) === stripe.index;
}

/** The first address of this daemon's next block after `v` (v is not in one of its blocks). */
function nextOwnBlock(v: bigint, stripe: Stripe): bigint {
  const count = BigInt(stripe.count);
  const block = v / STRIPE_BLOCK;
  const ahead = (BigInt(stripe.index) - (block % count) + count) % count;
  return (block + ahead) * STRIPE_BLOCK;
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
