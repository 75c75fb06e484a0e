/**
 * The engine's only source of randomness is passed in (STYLE lesson 1): production code gives it a seed
 * from the operating system, tests and benchmarks a fixed one so runs replay exactly.
 */
export interface RandomSource {
  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number;
}

/** mulberry32: a small, fast, seedable 32-bit generator (good enough for MACs and benchmarks, not crypto). */
export function mulberry32(seed: number): RandomSource {
  let state = seed | 0;
  return {
    nextUint32(): number {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}
