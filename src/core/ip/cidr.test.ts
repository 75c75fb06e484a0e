import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Family, familyBits, familyMax, formatValue, parseAddress } from './address.js';
import {
  cidrContains,
  cidrRange,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  hostMask,
  parseCidr,
  usableRange,
} from './cidr.js';
import { ErrorCode, IpamError } from '../errors.js';

function throwsCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IpamError, `expected IpamError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const family = fc.constantFrom<Family>(4, 6);
/** A family, an address value of it and a prefix length. */
const addrPrefix = family.chain((f) =>
  fc.tuple(
    fc.constant(f),
    fc.bigInt({ min: 0n, max: familyMax(f) }),
    fc.integer({ min: 0, max: familyBits(f) }),
  ),
);

describe('SUB-3 CIDR normalisation', () => {
  test('host bits are cleared: 10.16.0.15/16 → 10.16.0.0/16, fd00::15/64 → fd00::/64', () => {
    assert.equal(formatCidr(parseCidr('10.16.0.15/16')), '10.16.0.0/16');
    assert.equal(formatCidr(parseCidr('10.16.0.15/16', { hostBits: 'normalise' })), '10.16.0.0/16');
    assert.equal(formatCidr(parseCidr('FD00::15/64')), 'fd00::/64');
    assert.equal(formatCidr(parseCidr('fd00:10:16::15/120')), 'fd00:10:16::/120');
  });

  test('ENG-7 property, both families: the base has no host bits and the block contains the written address', () => {
    fc.assert(
      fc.property(addrPrefix, ([f, v, p]) => {
        const text = `${formatValue(f, v)}/${p}`;
        const c = parseCidr(text);
        assert.equal(c.family, f);
        assert.equal(c.prefix, p);
        assert.equal(c.base & hostMask(f, p), 0n);
        assert.ok(cidrContains(c, { family: f, value: v }));
        const r = cidrRange(c);
        assert.equal(r.end - r.start + 1n, cidrSize(c));
        assert.equal(cidrSize(c), 1n << BigInt(familyBits(f) - p));
        // Normalisation is idempotent.
        assert.deepEqual(parseCidr(formatCidr(c)), c);
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  test('/32 and /128 are rejected when single-address blocks are refused', () => {
    throwsCode(
      () => parseCidr('10.16.0.1/32', { rejectSingleAddress: true }),
      ErrorCode.InvalidCIDR,
      /single address/,
    );
    throwsCode(
      () => parseCidr('fd00::1/128', { rejectSingleAddress: true }),
      ErrorCode.InvalidCIDR,
      /single address/,
    );
    assert.equal(parseCidr('10.16.0.0/31', { rejectSingleAddress: true }).prefix, 31);
    assert.equal(parseCidr('10.16.0.1/32').prefix, 32);
  });

  const rejects = [
    '10.16.0.0',
    '10.16.0.0/',
    '10.16.0.0/33',
    '10.16.0.0/016',
    '10.16.0.0/-1',
    '10.16.0.0/1a',
    '10.16.0.0/16/8',
    'fd00::/129',
    '/16',
    '256.0.0.0/8',
    '10.16.0.0 /16',
    '',
  ];
  for (const text of rejects) {
    test(`rejects ${JSON.stringify(text)} with InvalidCIDR`, () => {
      throwsCode(() => parseCidr(text), ErrorCode.InvalidCIDR);
    });
  }
});

describe('SPP-1 canonical CIDR required', () => {
  test('host bits are an error with the hint to the canonical form', () => {
    throwsCode(
      () => parseCidr('10.6.0.1/16', { hostBits: 'canonical' }),
      ErrorCode.InvalidCIDR,
      /^unformatted subnet 10\.6\.0\.1\/16, please change it to 10\.6\.0\.0\/16$/,
    );
    throwsCode(
      () => parseCidr('fd00::1/64', { hostBits: 'canonical' }),
      ErrorCode.InvalidCIDR,
      /please change it to fd00::\/64$/,
    );
  });
  test('a canonical CIDR is accepted', () => {
    assert.equal(formatCidr(parseCidr('10.6.0.0/16', { hostBits: 'canonical' })), '10.6.0.0/16');
    assert.equal(formatCidr(parseCidr('fd00::/64', { hostBits: 'canonical' })), 'fd00::/64');
  });
});

describe('usable range (ENG-2)', () => {
  const usable = (text: string): [string, string] => {
    const c = parseCidr(text);
    const r = usableRange(c);
    return [formatValue(c.family, r.start), formatValue(c.family, r.end)];
  };
  test('IPv4 below /31 loses network and broadcast', () => {
    assert.deepEqual(usable('10.16.0.0/24'), ['10.16.0.1', '10.16.0.254']);
    assert.deepEqual(usable('10.16.0.0/30'), ['10.16.0.1', '10.16.0.2']);
    assert.deepEqual(usable('10.0.0.0/8'), ['10.0.0.1', '10.255.255.254']);
  });
  test('/31 and /127 use both addresses', () => {
    assert.deepEqual(usable('10.16.0.0/31'), ['10.16.0.0', '10.16.0.1']);
    assert.deepEqual(usable('fd00::/127'), ['fd00::', 'fd00::1']);
  });
  test('/32 and /128 use their only address', () => {
    assert.deepEqual(usable('10.16.0.7/32'), ['10.16.0.7', '10.16.0.7']);
    assert.deepEqual(usable('fd00::7/128'), ['fd00::7', 'fd00::7']);
  });
  test('IPv6 excludes the network and the all-ones address', () => {
    assert.deepEqual(usable('2001:db8::/64'), ['2001:db8::1', '2001:db8::ffff:ffff:ffff:fffe']);
    assert.deepEqual(usable('fd00::/120'), ['fd00::1', 'fd00::fe']);
    assert.deepEqual(usable('fd00::/126'), ['fd00::1', 'fd00::2']);
  });
  test('ENG-7 property: usable range is inside the block and is the block minus its two ends for ≥ 2 host bits', () => {
    fc.assert(
      fc.property(addrPrefix, ([f, v, p]) => {
        const c = parseCidr(`${formatValue(f, v)}/${p}`);
        const full = cidrRange(c);
        const u = usableRange(c);
        assert.ok(full.start <= u.start && u.end <= full.end && u.start <= u.end);
        if (familyBits(f) - p >= 2) assert.deepEqual(u, { start: full.start + 1n, end: full.end - 1n });
        else assert.deepEqual(u, full);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});

describe('containment and overlap', () => {
  test('cidrContains is false across families and at the edges', () => {
    const c = parseCidr('10.16.0.0/24');
    assert.ok(cidrContains(c, parseAddress('10.16.0.0')));
    assert.ok(cidrContains(c, parseAddress('10.16.0.255')));
    assert.ok(!cidrContains(c, parseAddress('10.16.1.0')));
    assert.ok(!cidrContains(c, parseAddress('10.15.255.255')));
    assert.ok(!cidrContains(c, { family: 6, value: c.base + 1n }));
  });
  test('ENG-7 property: overlap is symmetric and means the blocks share an address', () => {
    fc.assert(
      fc.property(
        family,
        fc.bigInt({ min: 0n, max: 255n }),
        fc.bigInt({ min: 0n, max: 255n }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        (f, va, vb, ha, hb) => {
          // Small blocks near the top of the family's space, so both families run the same scenario.
          const top = familyMax(f) - 255n;
          const a = parseCidr(`${formatValue(f, top + va)}/${familyBits(f) - ha}`);
          const b = parseCidr(`${formatValue(f, top + vb)}/${familyBits(f) - hb}`);
          const ra = cidrRange(a);
          const rb = cidrRange(b);
          const share = ra.start <= rb.end && rb.start <= ra.end;
          assert.equal(cidrsOverlap(a, b), share);
          assert.equal(cidrsOverlap(b, a), share);
        },
      ),
      { seed: 42, numRuns: 1000 },
    );
  });
  test('blocks of different families never overlap', () => {
    assert.ok(!cidrsOverlap(parseCidr('0.0.0.0/0'), parseCidr('::/0')));
  });
});
