import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { managedValue } from '../harness.test.js';
import { type Family, familyMax, formatValue } from './address.js';
import { formatRange, parseRange, rangeSize } from './range.js';
import { ErrorCode, IpamError } from '../errors.js';

function throwsRange(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IpamError, `expected IpamError, got ${String(e)}`);
    assert.equal(e.code, ErrorCode.InvalidRange);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const text = (r: { family: Family; start: bigint; end: bigint }): string =>
  `${formatValue(r.family, r.start)}..${formatValue(r.family, r.end)}`;

describe('SUB-4 range grammar (excludeIps, IPPool ips: `ip` or `a..b`)', () => {
  test('a single address is a one-address range', () => {
    const r = parseRange('10.16.0.1', { separator: '..' });
    assert.deepEqual(r, { family: 4, start: 0x0a100001n, end: 0x0a100001n });
    assert.equal(rangeSize(r), 1n);
  });
  test('a..b on both families; IPv6 ends are canonicalised', () => {
    assert.equal(text(parseRange('10.16.0.1..10.16.0.10', { separator: '..' })), '10.16.0.1..10.16.0.10');
    assert.equal(text(parseRange('FD00::000A..fd00::00ff', { separator: '..' })), 'fd00::a..fd00::ff');
    assert.equal(rangeSize(parseRange('fd00::..fd00::ffff', { separator: '..' })), 65536n);
  });
  test('a reversed range is rejected with a hint that writes it the right way round', () => {
    throwsRange(
      () => parseRange('10.16.0.10..10.16.0.1', { separator: '..' }),
      /start is after end; write it as 10\.16\.0\.1\.\.10\.16\.0\.10/,
    );
    throwsRange(() => parseRange('fd00::9..fd00::1', { separator: '..' }), /fd00::1\.\.fd00::9/);
  });
  const rejects = [
    '',
    '10.16.0.1..',
    '..10.16.0.1',
    '10.16.0.1..10.16.0.2..10.16.0.3',
    '10.16.0.1...10.16.0.2',
    '10.16.0.1 .. 10.16.0.2',
    '10.16.0.1..fd00::1',
    '10.16.0.0/24',
    '10.16.0.256',
    'a..b',
    '10.16.0.1-10.16.0.2', // the Spiderpool separator is not the Kube-OVN one
  ];
  for (const t of rejects) {
    test(`rejects ${JSON.stringify(t)}`, () => throwsRange(() => parseRange(t, { separator: '..' })));
  }
  test('mixed families say so', () => {
    throwsRange(
      () => parseRange('10.0.0.1..fd00::1', { separator: '..' }),
      /both ends must be of one family/,
    );
  });
});

describe('SPP-2 range grammar (Spiderpool ips: `ip` or `a-b`)', () => {
  test('a-b on both families', () => {
    assert.deepEqual(parseRange('10.6.0.1-10.6.0.3', { separator: '-' }), {
      family: 4,
      start: 0x0a060001n,
      end: 0x0a060003n,
    });
    assert.equal(rangeSize(parseRange('fd00::1-fd00::10', { separator: '-' })), 16n);
  });
  test('spaces, reversed ends and the Kube-OVN separator are rejected', () => {
    throwsRange(() => parseRange('10.6.0.1 - 10.6.0.3', { separator: '-' }), /no spaces/);
    throwsRange(
      () => parseRange('10.6.0.3-10.6.0.1', { separator: '-' }),
      /write it as 10\.6\.0\.1-10\.6\.0\.3/,
    );
    throwsRange(() => parseRange('10.6.0.1..10.6.0.3', { separator: '-' }));
    throwsRange(() => parseRange('10.6.0.1-10.6.0.2-10.6.0.3', { separator: '-' }), /more than one "-"/);
  });
});

describe('ENG-7 range text round trip on both families', () => {
  const arb = fc
    .constantFrom<Family>(4, 6)
    .chain((f) =>
      fc
        .tuple(managedValue(f), managedValue(f))
        .map(([a, b]) => ({ family: f, start: a < b ? a : b, end: a < b ? b : a })),
    );
  test('parseRange(formatRange(r)) === r for both separators', () => {
    fc.assert(
      fc.property(arb, fc.constantFrom<'..' | '-'>('..', '-'), (r, separator) => {
        const t = formatRange(r.family, r, separator);
        assert.equal(t.includes(separator), r.start !== r.end);
        assert.deepEqual(parseRange(t, { separator }), r);
        assert.equal(rangeSize(r), r.end - r.start + 1n);
      }),
      { seed: 42, numRuns: 1000 },
    );
  });
  test('property: any reversed pair is rejected, even by one address, on both families', () => {
    const arb = fc
      .constantFrom<Family>(4, 6)
      .chain((f) =>
        fc.tuple(
          fc.constant(f),
          fc.bigInt({ min: 1n, max: familyMax(f) }),
          fc.bigInt({ min: 1n, max: 1000n }),
        ),
      );
    fc.assert(
      fc.property(arb, fc.constantFrom<'..' | '-'>('..', '-'), ([f, hi, gap], separator) => {
        const lo = hi - gap < 0n ? 0n : hi - gap;
        throwsRange(
          () => parseRange(`${formatValue(f, hi)}${separator}${formatValue(f, lo)}`, { separator }),
          /start is after end/,
        );
      }),
      { seed: 42, numRuns: 500 },
    );
    throwsRange(() => parseRange('10.16.0.2..10.16.0.1', { separator: '..' }), /start is after end/);
  });

  test('formatRange prints one address for a one-address range', () => {
    assert.equal(formatRange(4, { start: 5n, end: 5n }), '0.0.0.5');
    assert.equal(formatRange(6, { start: 1n, end: 2n }), '::1-::2');
    assert.equal(formatRange(6, { start: 1n, end: 2n }, '..'), '::1..::2');
  });
});
