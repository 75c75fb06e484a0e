import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Quarantine } from './quarantine.js';

/**
 * ENG-1: the quarantine hands out the oldest release first, whatever order the entries were loaded in, and
 * taking an entry out and putting it back with its old sequence number (revert) restores exactly one entry.
 * Checked against a plain Map value → seq, with enough operations to cross the compaction thresholds.
 */
type Op =
  | { t: 'add'; v: number }
  | { t: 'take' }
  | { t: 'delete'; v: number }
  | { t: 'readd'; v: number; seq: number };

function modelOrder(model: Map<number, number>): number[] {
  return [...model.entries()].sort((a, b) => a[1] - b[1]).map(([v]) => v);
}

describe('ENG-1 quarantine', () => {
  test('ENG-1 the quarantine yields the oldest release first and matches a plain model (property)', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 0, max: 3000 }).map((v) => ({ t: 'add' as const, v })) },
      { weight: 3, arbitrary: fc.constant({ t: 'take' as const }) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 3000 }).map((v) => ({ t: 'delete' as const, v })) },
      {
        weight: 1,
        arbitrary: fc.record({
          t: fc.constant('readd' as const),
          v: fc.integer({ min: 0, max: 3000 }),
          seq: fc.integer({ min: 0, max: 5000 }),
        }),
      },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 4000, size: 'max' }), (ops) => {
        const q = new Quarantine();
        const model = new Map<number, number>();
        let seq = 0;
        const usedSeqs = new Set<number>();
        for (const o of ops) {
          if (o.t === 'add') {
            // A release always carries a new, larger sequence number.
            seq++;
            q.add(BigInt(o.v), seq);
            model.set(o.v, seq);
          } else if (o.t === 'take') {
            const want = modelOrder(model)[0];
            const got = q.oldest(() => true);
            assert.equal(got === undefined ? undefined : Number(got), want);
            if (got !== undefined) {
              q.delete(got);
              model.delete(Number(got));
            }
          } else if (o.t === 'delete') {
            assert.equal(q.delete(BigInt(o.v)), model.delete(o.v));
          } else if (!model.has(o.v) && !usedSeqs.has(o.seq + 0.5)) {
            // Revert puts a taken value back at its old (unique) position.
            usedSeqs.add(o.seq + 0.5);
            q.add(BigInt(o.v), o.seq + 0.5);
            model.set(o.v, o.seq + 0.5);
          }
          assert.equal(q.size, model.size);
        }
        assert.deepEqual(
          [...q].map((e) => Number(e.value)),
          modelOrder(model),
          'each live value listed exactly once, oldest first',
        );
        for (const [v, s] of model) assert.equal(q.seqFor(BigInt(v)), s);
      }),
      { seed: 42, numRuns: 25 },
    );
  });

  test('ENG-1 a value taken out and put back with the same sequence number is listed once', () => {
    const q = new Quarantine();
    q.add(5n, 1);
    q.add(6n, 2);
    q.delete(5n);
    q.add(5n, 1);
    assert.deepEqual(
      [...q].map((e) => [e.value, e.seq]),
      [
        [5n, 1],
        [6n, 2],
      ],
    );
    assert.equal(
      q.oldest(() => true),
      5n,
    );
  });

  test('ENG-1 load order does not matter: entries added out of sequence come out in sequence', () => {
    const q = new Quarantine();
    for (const [v, s] of [
      [3n, 30],
      [1n, 10],
      [2n, 20],
      [4n, 5],
    ] as const)
      q.add(v, s);
    assert.deepEqual(
      [...q].map((e) => e.value),
      [4n, 1n, 2n, 3n],
    );
    assert.equal(
      q.oldest((v) => v !== 4n),
      1n,
      'the filter skips without removing',
    );
    assert.equal(q.size, 4);
  });
});
