import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { managedValue } from '../harness.test.js';
import { formatAddress, formatValue } from '../ip/address.js';
import { ErrorCode, IpamError } from '../errors.js';
import { formatPair } from './common.js';
import { parseIpAddressAnnotation } from './ip-address.js';
import { OVN_KEYS, ovnKeys } from './keys.js';

/** Asserts that fn throws an IpamError with this code and field, whose message matches `message`. */
function assertIpamError(fn: () => unknown, code: string, field: string, message?: RegExp): IpamError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof IpamError, `expected an IpamError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.field, field);
  if (message) assert.match(caught.message, message);
  return caught;
}

const KEY = OVN_KEYS.ipAddress;
const bad = (value: string, message?: RegExp): void => {
  assertIpamError(() => parseIpAddressAnnotation(value), ErrorCode.InvalidAnnotation, KEY, message);
};

describe('STA-1 ovn.kubernetes.io/ip_address', () => {
  test('one IPv4 address', () => {
    const r = parseIpAddressAnnotation('10.16.0.15');
    assert.equal(r.v4 && formatAddress(r.v4), '10.16.0.15');
    assert.equal(r.v6, undefined);
  });

  test('dual stack "v4,v6" in either order', () => {
    for (const text of [
      '10.16.0.15,fd00:10:16::15',
      'fd00:10:16::15,10.16.0.15',
      ' 10.16.0.15 , FD00:10:16::0015 ',
    ]) {
      const r = parseIpAddressAnnotation(text);
      assert.equal(formatPair(r), '10.16.0.15,fd00:10:16::15', text);
    }
  });

  test('one IPv6 address, canonicalised', () => {
    const r = parseIpAddressAnnotation('FD00:10:16::000E');
    assert.equal(r.v4, undefined);
    assert.equal(r.v6 && formatAddress(r.v6), 'fd00:10:16::e');
  });

  test('two addresses of one family → InvalidIPFamily naming both', () => {
    assertIpamError(
      () => parseIpAddressAnnotation('10.16.0.15,10.16.0.16'),
      ErrorCode.InvalidIPFamily,
      KEY,
      /two IPv4 addresses \(10\.16\.0\.15, 10\.16\.0\.16\).*v4,v6/,
    );
    assertIpamError(
      () => parseIpAddressAnnotation('fd00::1,fd00::2'),
      ErrorCode.InvalidIPFamily,
      KEY,
      /two IPv6/,
    );
  });

  test('empty items, junk, too many items, ";" and /prefix are rejected with a hint', () => {
    bad('', /is empty/);
    bad('   ', /is empty/);
    bad('10.16.0.15,', /address 2 of 2 is empty/);
    bad(',10.16.0.15', /address 1 of 2 is empty/);
    bad('10.16.0.15,,fd00::1', /empty/);
    bad('10.16.0.256', /"256" is not a number from 0 to 255/);
    bad('pod-a', /invalid IP address "pod-a"/);
    bad('10.16.0.15,fd00::1,10.16.0.16', /has 3 addresses/);
    bad('10.16.0.15;10.16.0.16', /contains ";".*ip_pool/);
    bad('10.16.0.15/16', /carries a \/prefix; write the address alone \(10\.16\.0\.15\)/);
    bad('fd00::15/64', /\/prefix/);
    bad('fe80::1%eth0', /zone identifiers/);
  });

  test('the error keeps the whole value and names the key', () => {
    const e = assertIpamError(() => parseIpAddressAnnotation('10.0.0.1,x'), ErrorCode.InvalidAnnotation, KEY);
    assert.equal(e.value, '10.0.0.1,x');
    assert.ok(e.message.startsWith(`${KEY}: `));
  });

  test('attachment providers use their own key in errors', () => {
    const key = ovnKeys('net1.ns1.ovn').ipAddress;
    assert.equal(key, 'net1.ns1.ovn.kubernetes.io/ip_address');
    assertIpamError(() => parseIpAddressAnnotation('x', key), ErrorCode.InvalidAnnotation, key);
  });

  test('property: any v4, v6 or v4+v6 pair written in any order and case parses to itself', () => {
    const v4 = fc.option(managedValue(4), { nil: undefined });
    const v6 = fc.option(managedValue(6), { nil: undefined });
    fc.assert(
      fc.property(v4, v6, fc.boolean(), fc.boolean(), (a, b, swap, upper) => {
        fc.pre(a !== undefined || b !== undefined);
        const items = [
          a === undefined ? [] : [formatValue(4, a)],
          b === undefined ? [] : [formatValue(6, b)],
        ].flat();
        if (swap) items.reverse();
        const text = upper ? items.join(',').toUpperCase() : items.join(', ');
        const r = parseIpAddressAnnotation(text);
        assert.equal(r.v4?.value, a);
        assert.equal(r.v6?.value, b);
        assert.equal(r.v4?.family ?? 4, 4);
        assert.equal(r.v6?.family ?? 6, 6);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
