/**
 * A set of 48-bit MAC addresses (as numbers), for the engine's store-wide uniqueness check (ENG-6).
 *
 * Open addressing with linear probing over two typed arrays (high 16 bits + 1, so 0 marks an empty slot, and
 * low 32 bits), kept at most half full, with backward-shift deletion (no tombstones). Compared with a
 * Set<number> — where every 48-bit value is a boxed heap number plus a hash-table entry — it costs ~8 to 16
 * bytes per MAC instead of ~40, and a lookup touches no object. Every pod interface holds a MAC, so both show
 * in the engine's figures.
 */
const LOW = 2 ** 32;

export class MacSet {
  private hi = new Uint32Array(16);
  private lo = new Uint32Array(16);
  private mask = 15;
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(mac: number): boolean {
    return this.slotOf(mac) >= 0;
  }

  /** Adds mac; answers false when it was already present. */
  add(mac: number): boolean {
    const h = Math.floor(mac / LOW) + 1;
    const l = mac >>> 0;
    let i = slotHash(h, l) & this.mask;
    for (;;) {
      const at = this.hi[i]!;
      if (at === 0) break;
      if (at === h && this.lo[i] === l) return false;
      i = (i + 1) & this.mask;
    }
    this.hi[i] = h;
    this.lo[i] = l;
    this.count++;
    if (this.count * 2 > this.mask + 1) this.resize((this.mask + 1) * 2);
    return true;
  }

  /** Removes mac; answers false when it was absent. */
  delete(mac: number): boolean {
    let i = this.slotOf(mac);
    if (i < 0) return false;
    this.count--;
    // Backward-shift: pull later members of the probe run into the hole so every lookup still finds them.
    for (let j = (i + 1) & this.mask; this.hi[j] !== 0; j = (j + 1) & this.mask) {
      const home = slotHash(this.hi[j]!, this.lo[j]!) & this.mask;
      // Move j into i when its home slot is not cyclically inside (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        this.hi[i] = this.hi[j]!;
        this.lo[i] = this.lo[j]!;
        i = j;
      }
    }
    this.hi[i] = 0;
    this.lo[i] = 0;
    return true;
  }

  *[Symbol.iterator](): Generator<number> {
    for (let i = 0; i <= this.mask; i++) {
      const h = this.hi[i]!;
      if (h !== 0) yield (h - 1) * LOW + this.lo[i]!;
    }
  }

  private slotOf(mac: number): number {
    const h = Math.floor(mac / LOW) + 1;
    const l = mac >>> 0;
    for (let i = slotHash(h, l) & this.mask; ; i = (i + 1) & this.mask) {
      const at = this.hi[i]!;
      if (at === 0) return -1;
      if (at === h && this.lo[i] === l) return i;
    }
  }

  private resize(capacity: number): void {
    const { hi, lo } = this;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.mask = capacity - 1;
    this.count = 0;
    for (let i = 0; i < hi.length; i++) if (hi[i] !== 0) this.add((hi[i]! - 1) * LOW + lo[i]!);
  }
}

/** Mixes both halves (static MACs are often sequential in their low bits). */
function slotHash(h: number, l: number): number {
  let x = Math.imul(l ^ Math.imul(h, 0x9e3779b1), 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
