import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { managedValue } from '../harness.test.js';
import { type Family, formatValue } from '../ip/address.js';
import { ErrorCode, IpamError } from '../errors.js';
import { formatPair } from './common.js';
import { type IpPoolAnnotation, parseIpPoolAnnotation } from './ip-pool.js';
import { OVN_KEYS } from './keys.js';

const KEY = OVN_KEYS.ipPool;

function assertIpamError(fn: () => unknown, code: string, message?: RegExp): IpamError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof IpamError, `expected an IpamError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.field, KEY);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** The entries as canonical text, one string per pod. */
function entries(r: IpPoolAnnotation): string[] {
  assert.equal(r.kind, 'list');
  return r.kind === 'list' ? r.entries.map(formatPair) : [];
}

const bad = (value: string, message?: RegExp): void => {
  assertIpamError(() => parseIpPoolAnnotation(value), ErrorCode.InvalidAnnotation, message);
};

describe('STA-5 ovn.kubernetes.io/ip_pool address lists', () => {
  test('single stack: "," separates pods (seed Deployment example)', () => {
    assert.deepEqual(entries(parseIpPoolAnnotation('10.16.0.15,10.16.0.16,10.16.0.17')), [
      '10.16.0.15',
      '10.16.0.16',
      '10.16.0.17',
    ]);
    assert.deepEqual(entries(parseIpPoolAnnotation('fd00::1,fd00::2,fd00::3')), [
      'fd00::1',
      'fd00::2',
      'fd00::3',
    ]);
  });

  test('dual stack: ";" separates pods, "," the families (seed example, upper-case hex with leading zeros)', () => {
    const r = parseIpPoolAnnotation(
      '10.16.0.15,fd00:10:16::000E;10.16.0.16,fd00:10:16::000F;10.16.0.17,fd00:10:16::0010',
    );
    assert.deepEqual(entries(r), [
      '10.16.0.15,fd00:10:16::e',
      '10.16.0.16,fd00:10:16::f',
      '10.16.0.17,fd00:10:16::10',
    ]);
  });

  test('dual-entry rule: exactly two comma items of different families are one pod', () => {
    assert.deepEqual(entries(parseIpPoolAnnotation('10.16.0.15,fd00::e')), ['10.16.0.15,fd00::e']);
    assert.deepEqual(entries(parseIpPoolAnnotation('fd00::e,10.16.0.15')), ['10.16.0.15,fd00::e']);
    // Two of one family are two pods.
    assert.deepEqual(entries(parseIpPoolAnnotation('10.16.0.15,10.16.0.16')), ['10.16.0.15', '10.16.0.16']);
  });

  test('";" with single-family items, and one address alone', () => {
    assert.deepEqual(entries(parseIpPoolAnnotation('10.16.0.15;10.16.0.16')), ['10.16.0.15', '10.16.0.16']);
    assert.deepEqual(entries(parseIpPoolAnnotation('10.16.0.15')), ['10.16.0.15']);
    assert.deepEqual(entries(parseIpPoolAnnotation('FD00::F')), ['fd00::f']);
    assert.deepEqual(entries(parseIpPoolAnnotation('10.16.0.15;fd00::1,10.16.0.16')), [
      '10.16.0.15',
      '10.16.0.16,fd00::1',
    ]);
  });

  test('whitespace around items and separators is trimmed', () => {
    assert.deepEqual(entries(parseIpPoolAnnotation(' 10.16.0.15 , fd00::e ; 10.16.0.16,fd00::f ')), [
      '10.16.0.15,fd00::e',
      '10.16.0.16,fd00::f',
    ]);
    assert.deepEqual(entries(parseIpPoolAnnotation('10.16.0.15, 10.16.0.16')), ['10.16.0.15', '10.16.0.16']);
  });

  test('two addresses of one family inside one ";" item → InvalidIPFamily', () => {
    assertIpamError(
      () => parseIpPoolAnnotation('10.16.0.15,10.16.0.16;10.16.0.17'),
      ErrorCode.InvalidIPFamily,
      /entry 1 \("10\.16\.0\.15,10\.16\.0\.16"\) has two IPv4 addresses/,
    );
    assertIpamError(
      () => parseIpPoolAnnotation('10.16.0.1;fd00::1,fd00::2'),
      ErrorCode.InvalidIPFamily,
      /entry 2/,
    );
  });

  test('malformed lists are rejected, saying what is wrong and how to write it', () => {
    bad('', /is empty; write an IPPool name, or addresses/);
    bad('10.16.0.15;;10.16.0.16', /entry 2 of 3 is empty/);
    bad('10.16.0.15;', /entry 2 of 2 is empty in "10\.16\.0\.15;"; remove the extra ";"/);
    bad(',10.16.0.15,10.16.0.16', /item 1 of 3 is empty/);
    bad('10.16.0.15,;10.16.0.16', /entry 1: address 2 of 2 is empty in "10\.16\.0\.15,"/);
    bad('10.16.0.15,fd00::e,10.16.0.16', /mixes IPv4 and IPv6 .* separate pods with ";"/);
    bad('10.16.0.1,fd00::1,10.16.0.2;x', /entry 1 .* has 3 addresses/);
    bad('10.16.0.15,10.16.0.256', /"256" is not a number/);
    bad('10.16.0.15/24', /carries a \/prefix/);
    bad('10.16.0.15,10.16.0.16/24', /carries a \/prefix/);
  });

  test('an address listed twice is rejected: two pods could never both have it', () => {
    bad('10.16.0.15,10.16.0.16,10.16.0.15', /10\.16\.0\.15 is listed twice \(entries 1 and 3\)/);
    bad('10.16.0.1,fd00::1;10.16.0.2,FD00::0001', /fd00::1 is listed twice \(entries 1 and 2\)/);
  });

  test('property: any list of distinct pods written with ";" (a lone pod without) parses back to the same entries', () => {
    const pod = fc
      .record({
        v4: fc.option(managedValue(4), { nil: undefined }),
        v6: fc.option(managedValue(6), { nil: undefined }),
        swap: fc.boolean(),
      })
      .filter((p) => p.v4 !== undefined || p.v6 !== undefined);
    const pods = fc.uniqueArray(pod, {
      minLength: 1,
      maxLength: 12,
      selector: (p) => `${p.v4}|${p.v6}`,
    });
    fc.assert(
      fc.property(pods, fc.constantFrom('', ' '), (list, pad) => {
        // Values must also be distinct across pods, per family.
        const v4s = list.flatMap((p) => (p.v4 === undefined ? [] : [p.v4]));
        const v6s = list.flatMap((p) => (p.v6 === undefined ? [] : [p.v6]));
        fc.pre(new Set(v4s).size === v4s.length && new Set(v6s).size === v6s.length);
        const text = list
          .map((p) => {
            const items = [
              p.v4 === undefined ? [] : [formatValue(4, p.v4)],
              p.v6 === undefined ? [] : [formatValue(6, p.v6)],
            ].flat();
            if (p.swap) items.reverse();
            return items.join(`${pad},${pad}`);
          })
          .join(`${pad};${pad}`);
        const parsed = parseIpPoolAnnotation(text);
        assert.equal(parsed.kind, 'list');
        if (parsed.kind !== 'list') return;
        assert.equal(parsed.entries.length, list.length);
        parsed.entries.forEach((e, i) => {
          assert.equal(e.v4?.value, list[i]!.v4);
          assert.equal(e.v6?.value, list[i]!.v6);
        });
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  test('property: a single-family list written with "," is one pod per address (both families)', () => {
    const arb = fc
      .constantFrom<Family>(4, 6)
      .chain((f) =>
        fc.tuple(fc.constant(f), fc.uniqueArray(managedValue(f), { minLength: 1, maxLength: 20 })),
      );
    fc.assert(
      fc.property(arb, ([f, values]) => {
        const parsed = parseIpPoolAnnotation(values.map((v) => formatValue(f, v)).join(','));
        assert.equal(parsed.kind, 'list');
        if (parsed.kind !== 'list') return;
        assert.deepEqual(
          parsed.entries.map((e) => (f === 4 ? e.v4?.value : e.v6?.value)),
          values,
        );
        assert.ok(parsed.entries.every((e) => (f === 4 ? e.v6 === undefined : e.v4 === undefined)));
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});

describe('STA-7 ovn.kubernetes.io/ip_pool naming an IPPool', () => {
  test('a single object name is a pool', () => {
    assert.deepEqual(parseIpPoolAnnotation('my-pool'), { kind: 'pool', name: 'my-pool' });
    assert.deepEqual(parseIpPoolAnnotation(' pool.v1 '), { kind: 'pool', name: 'pool.v1' });
    assert.deepEqual(parseIpPoolAnnotation('pool1'), { kind: 'pool', name: 'pool1' });
  });

  test('something that looks like an address is never taken for a pool name', () => {
    bad('10.16.0.256', /invalid IP address "10\.16\.0\.256"/);
    bad('10.16.0', /invalid IP address/);
    bad('fd00::g', /invalid IP address/);
  });

  test('neither an address nor a valid name → says what names look like', () => {
    bad('My_Pool', /neither an IP address nor an IPPool name/);
    bad('-pool', /neither/);
    bad('pool name', /neither/);
    bad('pool/a', /"pool\/a" is neither an IP address nor an IPPool name/);
    bad('10.16.0.256/24', /invalid IP address "10\.16\.0\.256\/24"/);
  });

  test('several names are refused: ip_pool takes one IPPool name', () => {
    bad(
      'pool-a,pool-b',
      /"pool-a" is not an address; ip_pool takes either one IPPool name or a list of addresses/,
    );
    bad('pool-a;pool-b', /invalid IP address "pool-a"/);
    bad('10.16.0.15,pool-b', /"pool-b" is not an address/);
  });
});
