import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, IpamError } from '../errors.js';
import { SPIDER_KEYS } from './keys.js';
import { parseSpiderDefaultPoolsAnnotation, parseSpiderIPPoolAnnotation } from './spider-ippool.js';

function assertIpamError(fn: () => unknown, field: string, message?: RegExp): IpamError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof IpamError, `expected an IpamError, got ${String(caught)}`);
  assert.equal(caught.code, ErrorCode.InvalidAnnotation, caught.message);
  assert.equal(caught.field, field);
  if (message) assert.match(caught.message, message);
  return caught;
}

const KEY = SPIDER_KEYS.ipPool;
const bad = (value: string, message?: RegExp): void => {
  assertIpamError(() => parseSpiderIPPoolAnnotation(value), KEY, message);
};

describe('SPP-6 ipam.spidernet.io/ippool', () => {
  test('both families, in the order written', () => {
    assert.deepEqual(parseSpiderIPPoolAnnotation('{"ipv4":["p2","p1"],"ipv6":["q"]}'), {
      ipv4: ['p2', 'p1'],
      ipv6: ['q'],
    });
  });

  test('either family may be missing or null', () => {
    assert.deepEqual(parseSpiderIPPoolAnnotation('{"ipv4":["p"]}'), { ipv4: ['p'], ipv6: [] });
    assert.deepEqual(parseSpiderIPPoolAnnotation(' {"ipv6": ["q"], "ipv4": null} '), {
      ipv4: [],
      ipv6: ['q'],
    });
  });

  test('names may be glob patterns', () => {
    assert.deepEqual(parseSpiderIPPoolAnnotation('{"ipv4":["v4-*","pool-?","p[0-9]"]}').ipv4, [
      'v4-*',
      'pool-?',
      'p[0-9]',
    ]);
  });

  test('bad JSON says so and shows the expected shape', () => {
    bad('{ipv4:["p"]}', /is not valid JSON .*\{"ipv4":\["pool-v4"\],"ipv6":\["pool-v6"\]\}/);
    bad('', /is not valid JSON/);
  });

  test('wrong types are named precisely', () => {
    bad('"p"', /is a string; it must be a JSON object/);
    bad('null', /is null; it must be a JSON object/);
    bad(
      '[{"interface":"eth0","ipv4":["p"]}]',
      /is an array; .* multi-NIC form, which belongs in ipam\.spidernet\.io\/ippools/,
    );
    bad('{"ipv4":"p"}', /"ipv4" is a string; it must be an array of pool names/);
    bad('{"ipv4":{"a":1}}', /"ipv4" is an object; it must be an array/);
    bad('{"ipv6":["q",7]}', /"ipv6"\[1\] is a number; pool names are strings/);
    bad('{"ipv4":[null]}', /"ipv4"\[0\] is null/);
    bad('{"ipv4":[""]}', /"ipv4"\[0\] is an empty pool name/);
  });

  test('unknown keys are refused, naming the right annotation for the plural form', () => {
    bad(
      '{"interface":"eth0","ipv4":["p"]}',
      /"interface" belongs to the multi-NIC annotation ipam\.spidernet\.io\/ippools/,
    );
    bad('{"ipv4":["p"],"cleangateway":true}', /"cleangateway" belongs to the multi-NIC annotation/);
    bad('{"ipv4pools":["p"]}', /"ipv4pools" is the old spelling; write "ipv4"/);
    bad('{"ipv4":["p"],"ipv5":["q"]}', /unknown key "ipv5"; the keys are "ipv4" and "ipv6"/);
  });

  test('a pool must be named, names must be valid, patterns well formed, no name twice', () => {
    bad('{}', /names no pool/);
    bad('{"ipv4":[],"ipv6":[]}', /names no pool/);
    bad('{"ipv4":["Pool_A"]}', /"ipv4"\[0\] "Pool_A" is not a valid pool name/);
    bad('{"ipv4":["v4-["]}', /"ipv4"\[0\]: invalid name pattern "v4-\[": "\[" is never closed/);
    bad('{"ipv4":["p","q","p"]}', /"ipv4"\[2\]: pool "p" is listed twice/);
  });

  test('the error keeps the whole value', () => {
    const value = '{"ipv4":"p"}';
    assert.equal(assertIpamError(() => parseSpiderIPPoolAnnotation(value), KEY).value, value);
  });

  test('property: any JSON the annotation can hold round-trips', () => {
    const name = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
    const names = fc.uniqueArray(name, { maxLength: 5 });
    fc.assert(
      fc.property(names, names, (ipv4, ipv6) => {
        fc.pre(ipv4.length + ipv6.length > 0);
        assert.deepEqual(parseSpiderIPPoolAnnotation(JSON.stringify({ ipv4, ipv6 })), { ipv4, ipv6 });
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('SPP-6 namespace default pools', () => {
  const V4 = SPIDER_KEYS.defaultIPv4Pool;
  test('a JSON array of names or patterns; an empty array means none', () => {
    assert.equal(V4, 'ipam.spidernet.io/default-ipv4-ippool');
    assert.deepEqual(parseSpiderDefaultPoolsAnnotation('["ns-v4-ippool1","ns-v4-ippool2"]', V4), [
      'ns-v4-ippool1',
      'ns-v4-ippool2',
    ]);
    assert.deepEqual(parseSpiderDefaultPoolsAnnotation('["ns-*"]', V4), ['ns-*']);
    assert.deepEqual(parseSpiderDefaultPoolsAnnotation('[]', V4), []);
  });
  test('errors name the key', () => {
    assertIpamError(
      () => parseSpiderDefaultPoolsAnnotation('ns-v4-ippool1', V4),
      V4,
      /is not valid JSON .*\["pool-a","pool-b"\]/,
    );
    assertIpamError(
      () => parseSpiderDefaultPoolsAnnotation('{"ipv4":["p"]}', V4),
      V4,
      /the value is an object; it must be an array/,
    );
    assertIpamError(() => parseSpiderDefaultPoolsAnnotation('[1]', V4), V4, /the value\[0\] is a number/);
    const V6 = SPIDER_KEYS.defaultIPv6Pool;
    assertIpamError(() => parseSpiderDefaultPoolsAnnotation('["a","a"]', V6), V6, /listed twice/);
  });
});
