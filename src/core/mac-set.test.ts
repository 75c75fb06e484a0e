import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MacSet } from './mac-set.js';

/**
 * ENG-6: the engine's MAC set answers exactly as a Set<number> would, through growth and deletions that shift
 * probe runs (values drawn from a small pool so adds and deletes collide; some share their low 32 bits).
 */
type Op = { t: 'add' | 'delete' | 'has'; mac: number };

const LOW = 2 ** 32;

describe('ENG-6 MAC set', () => {
  test('ENG-6 MacSet matches a Set<number> over random add/delete/has sequences (property)', () => {
    const mac = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map((i) => 0x0a0000000000 + i), // sequential static MACs
      fc.integer({ min: 0, max: 300 }).map((i) => (i % 7) * LOW + 0x00ab0000 + i), // same low halves
      fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    );
    const op: fc.Arbitrary<Op> = fc.record({ t: fc.constantFrom('add', 'delete', 'has'), mac });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const set = new MacSet();
        const model = new Set<number>();
        for (const o of ops) {
          if (o.t === 'add') assert.equal(set.add(o.mac), !model.has(o.mac));
          if (o.t === 'add') model.add(o.mac);
          if (o.t === 'delete') assert.equal(set.delete(o.mac), model.delete(o.mac));
          if (o.t === 'has') assert.equal(set.has(o.mac), model.has(o.mac));
          assert.equal(set.size, model.size);
        }
        for (const m of model) assert.ok(set.has(m), `lost ${m.toString(16)}`);
        assert.deepEqual(
          [...set].sort((a, b) => a - b),
          [...model].sort((a, b) => a - b),
        );
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  test('ENG-6 edge values: 00:00:00:00:00:00 and ff:ff:ff:ff:ff:fe are members like any other', () => {
    const set = new MacSet();
    assert.equal(set.has(0), false);
    assert.equal(set.add(0), true);
    assert.equal(set.add(2 ** 48 - 2), true);
    assert.equal(set.add(0), false);
    assert.ok(set.has(0) && set.has(2 ** 48 - 2));
    assert.equal(set.delete(0), true);
    assert.equal(set.has(0), false);
    assert.equal(set.size, 1);
  });

  test('ENG-6 100,000 members: all found after growth, none after deleting them all', () => {
    const set = new MacSet();
    const macs = Array.from({ length: 100_000 }, (_, i) => 0x020000000000 + i * 7919);
    for (const m of macs) set.add(m);
    assert.equal(set.size, macs.length);
    assert.ok(macs.every((m) => set.has(m)));
    assert.equal(set.has(0x020000000000 + 1), false);
    for (const m of macs) assert.ok(set.delete(m));
    assert.equal(set.size, 0);
    assert.equal([...set].length, 0);
  });
});
