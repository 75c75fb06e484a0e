import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Family, familyMax, formatValue, parseAddress } from './address.js';
import { type Range, parseRange } from './range.js';
import { RangeSet } from './range-set.js';
import { RangeIndex } from './range-index.js';

/**
 * Model-based tests: a RangeSet over a small universe (offsets 0..UNIVERSE) is compared with a plain Set of
 * offsets. Both families run the same scenarios, IPv4 low in its space and IPv6 at the very top (so 128-bit
 * values and the all-ones address are exercised) — one code path (ENG-7).
 */
const UNIVERSE = 200;
const BASES: Record<Family, bigint> = {
  4: parseAddress('10.16.0.0').value,
  6: familyMax(6) - BigInt(UNIVERSE),
};
const family = fc.constantFrom<Family>(4, 6);
const offRange = fc
  .tuple(fc.integer({ min: 0, max: UNIVERSE }), fc.integer({ min: 0, max: 12 }))
  .map(([s, len]) => ({ s, e: Math.min(UNIVERSE, s + len) }));
const offRanges = fc.array(offRange, { maxLength: 25 });

type Model = Set<number>;

function build(f: Family, rs: ReadonlyArray<{ s: number; e: number }>): { set: RangeSet; model: Model } {
  const model: Model = new Set();
  for (const r of rs) for (let v = r.s; v <= r.e; v++) model.add(v);
  const set = RangeSet.of(
    f,
    rs.map((r) => ({ start: BASES[f] + BigInt(r.s), end: BASES[f] + BigInt(r.e) })),
  );
  return { set, model };
}

/** Sorted, disjoint, non-adjacent, each start ≤ end, and exactly the model's members. */
function assertMatches(f: Family, set: RangeSet, model: Model): void {
  const ranges = set.ranges();
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    assert.ok(r.start <= r.end, 'start ≤ end');
    if (i > 0) assert.ok(ranges[i - 1]!.end + 1n < r.start, 'sorted, disjoint and coalesced');
  }
  assert.equal(set.rangeCount, ranges.length);
  assert.equal(set.isEmpty(), model.size === 0);
  assert.equal(set.size(), BigInt(model.size));
  for (let v = -3; v <= UNIVERSE + 3; v++) {
    const value = BASES[f] + BigInt(v);
    if (value > familyMax(f)) continue;
    assert.equal(set.contains(value), model.has(v), `contains(${v})`);
    const i = set.indexOf(value);
    assert.equal(i >= 0, model.has(v));
    if (i >= 0) {
      const r = set.rangeAt(i)!;
      assert.ok(r.start <= value && value <= r.end);
    }
  }
  const members = [...model].sort((a, b) => a - b);
  assert.equal(set.first(), members.length ? BASES[f] + BigInt(members[0]!) : undefined);
  assert.deepEqual(
    [...set.addresses()],
    members.map((v) => formatValue(f, BASES[f] + BigInt(v))),
  );
}

describe('ENG-7 range-set algebra against a Set model, IPv4 and IPv6 alike', () => {
  const opts = { seed: 42, numRuns: 500 };

  test('RangeSet.of merges overlapping and adjacent ranges in any order', () => {
    fc.assert(
      fc.property(family, offRanges, (f, rs) => {
        const { set, model } = build(f, rs);
        assertMatches(f, set, model);
      }),
      opts,
    );
  });

  test('union, intersection, difference agree with the model', () => {
    fc.assert(
      fc.property(family, offRanges, offRanges, (f, ra, rb) => {
        const a = build(f, ra);
        const b = build(f, rb);
        assertMatches(f, a.set.union(b.set), new Set([...a.model, ...b.model]));
        assertMatches(f, a.set.intersection(b.set), new Set([...a.model].filter((v) => b.model.has(v))));
        assertMatches(f, a.set.difference(b.set), new Set([...a.model].filter((v) => !b.model.has(v))));
        assert.equal(
          a.set.overlaps(b.set),
          [...a.model].some((v) => b.model.has(v)),
        );
        // Operands are not changed (immutability).
        assertMatches(f, a.set, a.model);
        assertMatches(f, b.set, b.model);
      }),
      opts,
    );
  });

  test('algebraic laws: commutativity, A = (A∖B) ∪ (A∩B), size(A∪B) = size(A)+size(B)−size(A∩B)', () => {
    fc.assert(
      fc.property(family, offRanges, offRanges, (f, ra, rb) => {
        const a = build(f, ra).set;
        const b = build(f, rb).set;
        assert.ok(a.union(b).equals(b.union(a)));
        assert.ok(a.intersection(b).equals(b.intersection(a)));
        assert.ok(a.difference(b).union(a.intersection(b)).equals(a));
        assert.ok(a.difference(b).intersection(b).isEmpty());
        assert.equal(a.union(b).size(), a.size() + b.size() - a.intersection(b).size());
      }),
      opts,
    );
  });

  test('containsRange agrees with the model', () => {
    fc.assert(
      fc.property(family, offRanges, offRange, (f, rs, q) => {
        const { set, model } = build(f, rs);
        let all = true;
        for (let v = q.s; v <= q.e; v++) all &&= model.has(v);
        assert.equal(set.containsRange({ start: BASES[f] + BigInt(q.s), end: BASES[f] + BigInt(q.e) }), all);
      }),
      opts,
    );
  });

  test('firstNotIn returns the lowest member not covered by `used`', () => {
    fc.assert(
      fc.property(
        family,
        offRanges,
        fc.uniqueArray(fc.integer({ min: 0, max: UNIVERSE }), { maxLength: 150 }),
        (f, rs, usedOffsets) => {
          const { set, model } = build(f, rs);
          const used = new RangeIndex();
          for (const v of usedOffsets) used.add(BASES[f] + BigInt(v));
          const expected = [...model].sort((x, y) => x - y).find((v) => !usedOffsets.includes(v));
          assert.equal(
            set.firstNotIn(used),
            expected === undefined ? undefined : BASES[f] + BigInt(expected),
          );
        },
      ),
      opts,
    );
  });

  test('equals is structural and family-aware', () => {
    fc.assert(
      fc.property(family, offRanges, offRanges, (f, ra, rb) => {
        const a = build(f, ra);
        const b = build(f, rb);
        const sameMembers = a.model.size === b.model.size && [...a.model].every((v) => b.model.has(v));
        assert.equal(a.set.equals(b.set), sameMembers);
      }),
      opts,
    );
    assert.ok(!RangeSet.empty(4).equals(RangeSet.empty(6)));
  });

  test('toStrings parses back (both separators) to the same set', () => {
    fc.assert(
      fc.property(family, offRanges, fc.constantFrom<'..' | '-'>('..', '-'), (f, rs, separator) => {
        const { set } = build(f, rs);
        const back = RangeSet.of(
          f,
          set.toStrings(separator).map((t): Range => parseRange(t, { separator })),
        );
        assert.ok(back.equals(set));
      }),
      opts,
    );
  });
});

describe('RangeSet details', () => {
  test('toString is the Kube-OVN status form', () => {
    const s = RangeSet.of(4, [
      { start: parseAddress('10.0.0.5').value, end: parseAddress('10.0.0.99').value },
      { start: parseAddress('10.0.0.1').value, end: parseAddress('10.0.0.1').value },
      { start: parseAddress('10.0.0.3').value, end: parseAddress('10.0.0.3').value },
    ]);
    assert.equal(s.toString(), '10.0.0.1,10.0.0.3,10.0.0.5-10.0.0.99');
  });

  test('SPP-2 stored form is merged and sorted', () => {
    const s = RangeSet.of(
      4,
      ['10.6.0.1-10.6.0.3', '10.6.0.2-10.6.0.5', '10.6.0.7'].map((t) => parseRange(t, { separator: '-' })),
    );
    assert.deepEqual(s.toStrings('-'), ['10.6.0.1-10.6.0.5', '10.6.0.7']);
  });

  test('a whole /64 costs one range and counts exactly', () => {
    const r = parseRange('2001:db8::1..2001:db8::ffff:ffff:ffff:fffe', { separator: '..' });
    const s = RangeSet.of(6, [r]);
    assert.equal(s.rangeCount, 1);
    assert.equal(s.size(), 18446744073709551614n);
    const holed = s.difference(RangeSet.single(6, parseAddress('2001:db8::8000:0:0:0').value));
    assert.equal(holed.rangeCount, 2);
    assert.equal(holed.size(), 18446744073709551613n);
  });

  test('the extremes of each family work (0 and all-ones)', () => {
    for (const f of [4, 6] as const) {
      const all = RangeSet.of(f, [{ start: 0n, end: familyMax(f) }]);
      assert.equal(all.size(), familyMax(f) + 1n);
      const ends = RangeSet.of(f, [
        { start: 0n, end: 0n },
        { start: familyMax(f), end: familyMax(f) },
      ]);
      const middle = all.difference(ends);
      assert.deepEqual(middle.ranges(), [{ start: 1n, end: familyMax(f) - 1n }]);
      assert.ok(middle.union(ends).equals(all));
    }
  });

  test('mixing families is a programming error', () => {
    assert.throws(() => RangeSet.empty(4).union(RangeSet.empty(6)), TypeError);
    assert.throws(() => RangeSet.empty(6).intersection(RangeSet.empty(4)), TypeError);
    assert.throws(() => RangeSet.empty(4).difference(RangeSet.empty(6)), TypeError);
  });

  test('addresses() stops at its limit', () => {
    const s = RangeSet.of(4, [{ start: 0n, end: 100n }]);
    assert.equal([...s.addresses(3)].length, 3);
  });
});
