import { type Family } from './ip/address.js';
import { RangeIndex } from './ip/range-index.js';
import { type RangeSet } from './ip/range-set.js';
import { Quarantine } from './quarantine.js';

/**
 * One address space (one family of one CIDR): who holds which address, which addresses were ever used, and
 * the quarantine of released ones. `used` is always exactly held ∪ quarantined, so it is derived on load.
 */
export class Space<L> {
  readonly id: string;
  readonly family: Family;
  readonly held = new Map<bigint, L>();
  readonly used = new RangeIndex();
  readonly quarantine = new Quarantine();

  constructor(id: string, family: Family) {
    this.id = id;
    this.family = family;
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

  /** Releases value into the quarantine with sequence number seq. */
  release(value: bigint, seq: number): void {
    this.held.delete(value);
    this.quarantine.add(value, seq);
  }
}
