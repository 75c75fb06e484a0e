import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, IpamError } from '../errors.js';
import { formatMac } from '../mac.js';
import { OVN_KEYS } from './keys.js';
import { parseMacAddressAnnotation } from './mac-address.js';

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

const KEY = OVN_KEYS.macAddress;

describe('STA-2 ovn.kubernetes.io/mac_address', () => {
  test('the seed MAC (upper case) becomes canonical lower-case colon text', () => {
    assert.equal(formatMac(parseMacAddressAnnotation('00:00:00:53:6B:B6')), '00:00:00:53:6b:b6');
    assert.equal(parseMacAddressAnnotation('00:00:00:53:6B:B6'), 0x0000_0053_6bb6);
  });

  test('"-" separators, any case and surrounding whitespace are accepted', () => {
    assert.equal(formatMac(parseMacAddressAnnotation(' 02-42-AC-11-00-02 ')), '02:42:ac:11:00:02');
    assert.equal(formatMac(parseMacAddressAnnotation('fe:ff:ff:ff:ff:ff')), 'fe:ff:ff:ff:ff:ff');
  });

  test('multicast MACs are rejected: an interface needs a unicast MAC', () => {
    assertIpamError(
      () => parseMacAddressAnnotation('01:00:5e:00:00:01'),
      ErrorCode.InvalidAnnotation,
      KEY,
      /multicast/,
    );
    assertIpamError(
      () => parseMacAddressAnnotation('ff:ff:ff:ff:ff:ff'),
      ErrorCode.InvalidAnnotation,
      KEY,
      /multicast/,
    );
  });

  for (const text of [
    '',
    '00:00:00:53:6b',
    '00:00:00:53:6b:b6:00',
    '00:00:00-53:6b:b6',
    '0:0:0:53:6b:b6',
    'gg:00:00:53:6b:b6',
    '0000.0053.6bb6',
    '00 00 00 53 6b b6',
  ]) {
    test(`rejects ${JSON.stringify(text)} naming the key and the expected form`, () => {
      const e = assertIpamError(
        () => parseMacAddressAnnotation(text),
        ErrorCode.InvalidAnnotation,
        KEY,
        /six hex pairs/,
      );
      assert.equal(e.value, text);
    });
  }

  test('property: every unicast MAC round-trips in either separator and case', () => {
    const unicast = fc.integer({ min: 0, max: 2 ** 47 - 1 }).map((n) => {
      const hi = Math.floor(n / 2 ** 40) * 2; // first octet even
      return hi * 2 ** 40 + (n % 2 ** 40);
    });
    fc.assert(
      fc.property(unicast, fc.constantFrom(':', '-'), fc.boolean(), (mac, sep, upper) => {
        let text = formatMac(mac).replaceAll(':', sep);
        if (upper) text = text.toUpperCase();
        assert.equal(parseMacAddressAnnotation(text), mac);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
