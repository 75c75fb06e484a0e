import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Family,
  canonicalAddress,
  compareAddress,
  familyMax,
  formatAddress,
  formatValue,
  parseAddress,
  sameAddress,
  tryParseAddress,
} from './address.js';
import { ErrorCode, IpamError } from '../errors.js';

const v4Value = fc.bigInt({ min: 0n, max: familyMax(4) });
/** v6 values with many zero groups, so that `::` compression is exercised, not just dense addresses. */
const v6Value = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((groups) => groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n));

/** Independent oracle for RFC 5952 text: the WHATWG URL serializer (longest run of ≥2 zero groups, first wins). */
function urlCanonical(value: bigint): string {
  const full = Array.from({ length: 8 }, (_, i) =>
    ((value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16),
  ).join(':');
  return new URL(`http://[${full}]/`).hostname.slice(1, -1);
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof IpamError && e.code === code);
}

describe('ENG-7 address parse/format (one value type for both families)', () => {
  test('IPv4 parse/format round trip for every 32-bit value', () => {
    fc.assert(
      fc.property(v4Value, (v) => {
        const text = formatValue(4, v);
        const a = parseAddress(text);
        assert.equal(a.family, 4);
        assert.equal(a.value, v);
        assert.equal(canonicalAddress(text), text);
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  test('IPv6 format is RFC 5952 canonical (checked against the URL serializer) and parses back', () => {
    fc.assert(
      fc.property(v6Value, (v) => {
        const text = formatValue(6, v);
        assert.equal(text, urlCanonical(v));
        const a = parseAddress(text);
        assert.equal(a.family, 6);
        assert.equal(a.value, v);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  test('IPv6 input is case-insensitive and accepts leading zeros and the full eight-group form', () => {
    fc.assert(
      fc.property(v6Value, fc.array(fc.boolean(), { minLength: 32, maxLength: 32 }), (v, upper) => {
        const groups = Array.from({ length: 8 }, (_, i) =>
          ((v >> BigInt((7 - i) * 16)) & 0xffffn).toString(16).padStart(4, '0'),
        );
        const text = [...groups.join(':')].map((c, i) => (upper[i % 32] ? c.toUpperCase() : c)).join('');
        assert.equal(parseAddress(text).value, v);
        assert.equal(canonicalAddress(text), formatValue(6, v));
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  const canonical: Array<[string, string]> = [
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8::0001', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['::', '::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'], // longest run at the end
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'], // a tie: the first run wins
    ['::ffff:10.0.0.1', '::ffff:a00:1'], // embedded IPv4 is accepted; output is plain hex
    ['::10.0.0.1', '::a00:1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['fd00:10:16::000E', 'fd00:10:16::e'],
    ['FD00:10:16::000F', 'fd00:10:16::f'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['10.16.0.15', '10.16.0.15'],
  ];
  for (const [input, expected] of canonical) {
    test(`canonical form of ${input} is ${expected}`, () => {
      assert.equal(canonicalAddress(input), expected);
    });
  }

  test('embedded IPv4 equals the hex form', () => {
    assert.ok(sameAddress(parseAddress('::ffff:10.0.0.1'), parseAddress('::ffff:a00:1')));
    assert.equal(parseAddress('::ffff:10.0.0.1').value, 0xffff0a000001n);
  });

  const rejects = [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '01.2.3.4',
    '1.2.3.04',
    '1..2.3',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '+1.2.3.4',
    '1.2.3.-4',
    '0x1.2.3.4',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '::1::',
    '1:::2',
    ':1::',
    '1::2:',
    ':',
    '12345::',
    'g::',
    'fe80::1%eth0',
    '::ffff:256.0.0.1',
    '::ffff:10.0.0',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1:2:3:4:5:6:7::8', // "::" must stand for at least one group
    '10.16.0.15/24',
    'localhost',
  ];
  for (const text of rejects) {
    test(`rejects ${JSON.stringify(text)} with InvalidAddress`, () => {
      throwsCode(() => parseAddress(text), ErrorCode.InvalidAddress);
      assert.equal(tryParseAddress(text), undefined);
    });
  }

  test('the error message quotes the input and says why', () => {
    assert.throws(
      () => parseAddress('256.0.0.1'),
      /invalid IP address "256.0.0.1": "256" is not a number from 0 to 255/,
    );
    assert.throws(() => parseAddress('fe80::1%eth0'), /zone identifiers are not allowed/);
  });

  test('compareAddress orders by family, then value; sameAddress needs both equal', () => {
    const fam = fc.constantFrom<Family>(4, 6);
    fc.assert(
      fc.property(fam, fam, v4Value, v4Value, (fa, fb, va, vb) => {
        const a = { family: fa, value: va };
        const b = { family: fb, value: vb };
        const c = compareAddress(a, b);
        assert.equal(Math.sign(c), -Math.sign(compareAddress(b, a)) || 0);
        assert.equal(c === 0, sameAddress(a, b));
        if (fa !== fb) assert.equal(Math.sign(c), fa < fb ? -1 : 1);
        else assert.equal(Math.sign(c), va < vb ? -1 : va > vb ? 1 : 0);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  test('formatAddress agrees with formatValue', () => {
    assert.equal(formatAddress({ family: 6, value: 1n }), '::1');
    assert.equal(formatAddress({ family: 4, value: 0x0a10000fn }), '10.16.0.15');
  });
});
