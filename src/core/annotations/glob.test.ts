import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { expandPoolNames, globMatch, isGlobPattern, validateGlob } from './glob.js';
import { ErrorCode, IpamError } from '../errors.js';

const BAD = 'bad';

/** Cases from the semantics of Go's filepath.Match (its own test table), which Spiderpool uses. */
const cases: Array<[string, string, boolean | typeof BAD]> = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', BAD],
  ['[-]', '-', BAD],
  ['[x-]', 'x', BAD],
  ['[x-]', '-', BAD],
  ['[-x]', 'x', BAD],
  ['\\', 'a', BAD],
  ['[a-b-c]', 'a', BAD],
  ['[', 'a', BAD],
  ['[^', 'a', BAD],
  ['[^bc', 'a', BAD],
  ['a[', 'a', BAD],
  ['a[', 'x', BAD],
  ['a/b[', 'x', BAD],
  ['[]', 'a', BAD],
  ['[^]', 'a', BAD],
  ['*x', 'xxx', true],
  ['', '', true],
  ['', 'a', false],
  ['*', '', true],
  ['?', '', false],
  // The shell's "!" negation, which Go lacks.
  ['pool-[!a]', 'pool-a', false],
  ['pool-[!a]', 'pool-b', true],
  // A reversed range is refused, where Go silently matches nothing.
  ['[z-a]', 'm', BAD],
  ['v4-pool-?', 'v4-pool-1', true],
  ['v4-pool-?', 'v4-pool-10', false],
  ['v4-*', 'v6-pool', false],
];

describe('SPP-6 globMatch (filepath.Match semantics)', () => {
  for (const [pattern, name, expected] of cases) {
    test(`${JSON.stringify(pattern)} vs ${JSON.stringify(name)} → ${String(expected)}`, () => {
      if (expected === BAD) {
        assert.throws(
          () => globMatch(pattern, name),
          (e: unknown) =>
            e instanceof IpamError &&
            e.code === ErrorCode.InvalidInput &&
            e.message.includes(JSON.stringify(pattern)),
        );
        assert.throws(() => validateGlob(pattern), IpamError);
      } else {
        assert.equal(globMatch(pattern, name), expected);
      }
    });
  }

  test('agrees with a regular-expression oracle on random patterns', () => {
    // Each pattern piece carries its own regex translation, so the oracle never parses glob text.
    const piece = fc.constantFrom<[string, string]>(
      ['a', 'a'],
      ['b', 'b'],
      ['-', '-'],
      ['/', '/'],
      ['*', '[^/]*'],
      ['?', '[^/]'],
      ['[ab]', '[ab]'],
      ['[^a]', '[^a]'],
      ['[!b/]', '[^b/]'],
      ['[a-c]', '[a-c]'],
      ['\\*', '\\*'],
      ['\\[', '\\['],
    );
    const name = fc
      .array(fc.constantFrom('a', 'b', 'c', '-', '/', '*', '['), { maxLength: 10 })
      .map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), name, (pieces, n) => {
        const pattern = pieces.map((p) => p[0]).join('');
        const re = new RegExp(`^${pieces.map((p) => p[1]).join('')}$`, 'u');
        assert.equal(globMatch(pattern, n), re.test(n), `${pattern} vs ${n}`);
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  test('long patterns with many stars do not backtrack exponentially', () => {
    const pattern = 'a*'.repeat(40) + 'b';
    assert.equal(globMatch(pattern, 'a'.repeat(200)), false);
  });

  test('isGlobPattern spots glob syntax', () => {
    assert.equal(isGlobPattern('pool-a'), false);
    assert.equal(isGlobPattern('pool-*'), true);
    assert.equal(isGlobPattern('pool-?'), true);
    assert.equal(isGlobPattern('pool-[ab]'), true);
    assert.equal(isGlobPattern('pool\\-a'), true);
  });
});

describe('SPP-6 expandPoolNames keeps the order the user wrote', () => {
  const existing = ['v4-c', 'v4-a', 'v6-a', 'v4-b', 'other'];

  test('a wildcard expands in place to the matching names, sorted', () => {
    assert.deepEqual(expandPoolNames(['other', 'v4-*', 'v6-a'], existing), [
      'other',
      'v4-a',
      'v4-b',
      'v4-c',
      'v6-a',
    ]);
  });

  test('literal names keep their place, even when no such pool exists (the caller reports it)', () => {
    assert.deepEqual(expandPoolNames(['zeta', 'v4-?', 'alpha'], existing), [
      'zeta',
      'v4-a',
      'v4-b',
      'v4-c',
      'alpha',
    ]);
  });

  test('duplicates are removed, the first occurrence wins', () => {
    assert.deepEqual(expandPoolNames(['v4-b', 'v4-*', 'v4-a', '*-a'], existing), [
      'v4-b',
      'v4-a',
      'v4-c',
      'v6-a',
    ]);
  });

  test('a wildcard matching nothing contributes nothing', () => {
    assert.deepEqual(expandPoolNames(['x-*', 'other'], existing), ['other']);
    assert.deepEqual(expandPoolNames([], existing), []);
  });

  test('a malformed pattern is an error even when nothing exists to match', () => {
    assert.throws(
      () => expandPoolNames(['v4-['], []),
      (e: unknown) => e instanceof IpamError && e.code === ErrorCode.InvalidInput,
    );
  });

  test('property: duplicate-free, complete, ordered by the first pattern producing each name, then by name', () => {
    const nameArb = fc.constantFrom<string>('a', 'b', 'ab', 'ba', 'abc', 'x');
    const patArb = fc.constantFrom<string>('a', 'b', 'x', 'zz', 'a*', '*b', '?', '[ab]*', '*');
    fc.assert(
      fc.property(
        fc.array(patArb, { maxLength: 6 }),
        fc.uniqueArray(nameArb, { maxLength: 6 }),
        (patterns, names) => {
          const out = expandPoolNames(patterns, names);
          const producer = (n: string): number =>
            patterns.findIndex((p) => (isGlobPattern(p) ? names.includes(n) && globMatch(p, n) : p === n));
          assert.equal(new Set(out).size, out.length, 'no duplicates');
          for (const n of out) assert.ok(producer(n) >= 0, `${n} was produced by some pattern`);
          for (const n of [...names, ...patterns]) {
            if (producer(n) >= 0) assert.ok(out.includes(n), `${n} is missing`);
          }
          for (let i = 1; i < out.length; i++) {
            const [x, y] = [out[i - 1]!, out[i]!];
            const [px, py] = [producer(x), producer(y)];
            assert.ok(px < py || (px === py && x < y), `${x} before ${y}`);
          }
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });
});
