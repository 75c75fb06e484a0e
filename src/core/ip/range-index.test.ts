import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Family, familyMax, parseAddress } from './address.js';
import { RangeIndex } from './range-index.js';

/**
 * RangeIndex against a Set model over long random operation sequences. The universe (0..UNIVERSE) is large
 * enough that scattered values make hundreds of ranges, so chunks (128 ranges each) split, and the final
 * phase removes everything so chunks empty and disappear. Values sit low in IPv4 space and at the very top
 * of IPv6 space: the index is family-agnostic bigint code (ENG-7).
 */
const UNIVERSE = 1500;
const BASES: Record<Family, bigint> = {
  4: parseAddress('10.16.0.0').value,
  6: familyMax(6) - BigInt(UNIVERSE),
};

/** Reaches into the private chunk list only to prove a scenario really split chunks. */
function chunkCount(idx: RangeIndex): number {
  return (idx as unknown as { chunks: unknown[] }).chunks.length;
}

/** Expected coveringEnd: the last value of the run of members that starts at v. */
function modelCoveringEnd(model: Set<number>, v: number): number | undefined {
  if (!model.has(v)) return undefined;
  let e = v;
  while (model.has(e + 1)) e++;
  return e;
}

/** Full structural check: ranges sorted, disjoint, coalesced, equal to the model; counts agree. */
function assertMatches(idx: RangeIndex, model: Set<number>, base: bigint): void {
  const ranges = [...idx];
  assert.equal(idx.rangeCount, ranges.length);
  assert.equal(idx.isEmpty(), model.size === 0);
  let members = 0;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    assert.ok(r.start <= r.end);
    if (i > 0) assert.ok(ranges[i - 1]!.end + 1n < r.start, 'sorted, disjoint, coalesced');
    for (let v = r.start; v <= r.end; v++) assert.ok(model.has(Number(v - base)), `extra value ${v - base}`);
    members += Number(r.end - r.start + 1n);
  }
  assert.equal(members, model.size);
}

const op = fc.record({
  kind: fc.constantFrom('add', 'add', 'remove', 'has'),
  v: fc.integer({ min: 0, max: UNIVERSE }),
});

function run(idx: RangeIndex, model: Set<number>, base: bigint, kind: string, v: number): void {
  const value = base + BigInt(v);
  if (kind === 'add') {
    assert.equal(idx.add(value), !model.has(v), `add(${v}) answer`);
    model.add(v);
  } else if (kind === 'remove') {
    assert.equal(idx.remove(value), model.has(v), `remove(${v}) answer`);
    model.delete(v);
  }
  assert.equal(idx.has(value), model.has(v), `has(${v})`);
  const end = idx.coveringEnd(value);
  const expected = modelCoveringEnd(model, v);
  assert.equal(end, expected === undefined ? undefined : base + BigInt(expected), `coveringEnd(${v})`);
  // Neighbours see the change too (joins and splits touch them).
  for (const n of [v - 1, v + 1]) {
    if (n < 0) continue;
    assert.equal(idx.has(base + BigInt(n)), model.has(n), `has(${n}) after ${kind}(${v})`);
  }
}

describe('ENG-7 range-index add/remove/has/coveringEnd against a Set model', () => {
  test('random sequences of thousands of operations, then removal down to empty', () => {
    let maxChunks = 0;
    fc.assert(
      fc.property(
        fc.constantFrom<Family>(4, 6),
        fc.array(op, { minLength: 3000, maxLength: 5000 }),
        fc.infiniteStream(fc.integer()),
        (f, ops, shuffle) => {
          const base = BASES[f];
          const idx = new RangeIndex();
          const model = new Set<number>();
          ops.forEach(({ kind, v }, i) => {
            run(idx, model, base, kind, v);
            if (i % 500 === 0) assertMatches(idx, model, base);
          });
          assertMatches(idx, model, base);
          maxChunks = Math.max(maxChunks, chunkCount(idx));
          // Remove every member in a random order: chunks shrink and vanish.
          const rest = [...model];
          const it = shuffle[Symbol.iterator]();
          for (let i = rest.length - 1; i > 0; i--) {
            const j = Math.abs(it.next().value as number) % (i + 1);
            [rest[i], rest[j]] = [rest[j]!, rest[i]!];
          }
          rest.forEach((v, i) => {
            run(idx, model, base, 'remove', v);
            if (i % 250 === 0) assertMatches(idx, model, base);
          });
          assertMatches(idx, model, base);
          assert.ok(idx.isEmpty());
          assert.equal(idx.rangeCount, 0);
          assert.deepEqual([...idx], []);
          assert.equal(chunkCount(idx), 0);
          // Usable again after emptying.
          assert.equal(idx.add(base + 7n), true);
          assert.equal(idx.coveringEnd(base + 7n), base + 7n);
        },
      ),
      { seed: 42, numRuns: 40 },
    );
    assert.ok(maxChunks > 1, `the random sequences never split a chunk (max ${maxChunks})`);
  });

  test('scattered values split chunks; filling the gaps coalesces everything into one range', () => {
    for (const f of [4, 6] as const) {
      const base = BASES[f];
      const idx = new RangeIndex();
      const model = new Set<number>();
      for (let v = 0; v <= UNIVERSE; v += 2) run(idx, model, base, 'add', v);
      assert.equal(idx.rangeCount, UNIVERSE / 2 + 1);
      assert.ok(chunkCount(idx) >= Math.ceil((UNIVERSE / 2 + 1) / 128), 'chunks split');
      assertMatches(idx, model, base);
      // Fill odd values from the top down (joins at chunk boundaries both ways).
      for (let v = UNIVERSE - 1; v >= 1; v -= 2) run(idx, model, base, 'add', v);
      assert.equal(idx.rangeCount, 1);
      assert.equal(idx.coveringEnd(base), base + BigInt(UNIVERSE));
      assertMatches(idx, model, base);
      // Punch holes at every third value: splits inside one range, growing chunks again.
      for (let v = 1; v < UNIVERSE; v += 3) run(idx, model, base, 'remove', v);
      assertMatches(idx, model, base);
      assert.ok(chunkCount(idx) > 1);
      // Remove all from the bottom up.
      for (let v = 0; v <= UNIVERSE; v++) if (model.has(v)) run(idx, model, base, 'remove', v);
      assert.ok(idx.isEmpty());
      assert.equal(chunkCount(idx), 0);
    }
  });

  test('sequential allocation keeps a single range', () => {
    const idx = new RangeIndex();
    for (let v = 0n; v < 10000n; v++) idx.add(v);
    assert.equal(idx.rangeCount, 1);
    assert.equal(idx.coveringEnd(1234n), 9999n);
    assert.equal(idx.coveringEnd(10000n), undefined);
  });

  test('answers on an empty index and at the value-space extremes', () => {
    const idx = new RangeIndex();
    assert.equal(idx.has(0n), false);
    assert.equal(idx.coveringEnd(0n), undefined);
    assert.equal(idx.remove(0n), false);
    const max = familyMax(6);
    assert.equal(idx.add(max), true);
    assert.equal(idx.add(0n), true);
    assert.equal(idx.add(max), false);
    assert.equal(idx.coveringEnd(max), max);
    assert.equal(idx.has(max - 1n), false);
    assert.deepEqual(
      [...idx],
      [
        { start: 0n, end: 0n },
        { start: max, end: max },
      ],
    );
  });
});
