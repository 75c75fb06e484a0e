import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../errors.js';
import { buildSpiderPool, spiderTotalCount } from './spider-pool.js';
import { throwsIpam } from '../harness.test.js';

/** buildSpiderPool: a SpiderIPPool validated and normalised (SPP-1, SPP-2, SPP-4, SPP-7). */

describe('SPP-1 subnet', () => {
  test('SPP-1 a non-canonical subnet is rejected with the hint', () => {
    throwsIpam(() => buildSpiderPool({ name: 'p', subnet: '10.6.0.1/16' }), {
      code: ErrorCode.InvalidCIDR,
      field: 'spec.subnet',
      includes: '10.6.0.0/16',
    });
  });

  test('SPP-1 ipVersion is derived from the subnet; a contradicting one is rejected', () => {
    assert.equal(buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16' }).family, 4);
    assert.equal(buildSpiderPool({ name: 'p', subnet: 'fd00:6::/64', ipVersion: 6 }).family, 6);
    throwsIpam(() => buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16', ipVersion: 6 }), {
      code: ErrorCode.InvalidIPFamily,
      field: 'spec.ipVersion',
    });
  });

  test('SPP-1 a missing or unparsable subnet → InvalidCIDR on spec.subnet', () => {
    throwsIpam(() => buildSpiderPool({ name: 'p', subnet: '' }), {
      code: ErrorCode.InvalidCIDR,
      field: 'spec.subnet',
    });
    throwsIpam(() => buildSpiderPool({ name: 'p', subnet: '10.6.0.0' }), {
      code: ErrorCode.InvalidCIDR,
      field: 'spec.subnet',
    });
  });

  test('SPP-1 an empty pool (no ips) is valid', () => {
    const p = buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16' });
    assert.equal(p.effective.isEmpty(), true);
    assert.deepEqual(p.ipsText, []);
    assert.equal(p.space, '10.6.0.0/16');
  });
});

describe('SPP-2 ips and excludeIPs', () => {
  test('SPP-2 merged and sorted: ["10.6.0.1-10.6.0.3","10.6.0.2-10.6.0.5","10.6.0.7"] → ["10.6.0.1-10.6.0.5","10.6.0.7"]', () => {
    const p = buildSpiderPool({
      name: 'p',
      subnet: '10.6.0.0/16',
      ips: ['10.6.0.1-10.6.0.3', '10.6.0.2-10.6.0.5', '10.6.0.7'],
    });
    assert.deepEqual(p.ipsText, ['10.6.0.1-10.6.0.5', '10.6.0.7']);
    const q = buildSpiderPool({
      name: 'q',
      subnet: '10.6.0.0/16',
      ips: ['10.6.0.7', '10.6.0.1-10.6.0.3'],
      excludeIPs: ['10.6.0.3', '10.6.0.2'],
    });
    assert.deepEqual(q.ipsText, ['10.6.0.1-10.6.0.3', '10.6.0.7']);
    assert.deepEqual(q.excludeText, ['10.6.0.2-10.6.0.3']);
    assert.equal(q.effective.toString(), '10.6.0.1,10.6.0.7');
  });

  test('SPP-2 CIDR items, spaces, reversed ranges and `..` are rejected naming the item', () => {
    for (const item of [
      '10.6.0.0/24',
      '10.6.0.1 - 10.6.0.3',
      '10.6.0.5-10.6.0.1',
      '10.6.0.1..10.6.0.3',
      'x',
    ]) {
      throwsIpam(() => buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16', ips: ['10.6.0.9', item] }), {
        code: ErrorCode.InvalidRange,
        field: 'spec.ips[1]',
      });
    }
    throwsIpam(
      () => buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16', excludeIPs: ['10.6.0.5-10.6.0.1'] }),
      { code: ErrorCode.InvalidRange, field: 'spec.excludeIPs[0]' },
    );
  });

  test('SPP-2 items must lie inside the subnet and be of its family', () => {
    throwsIpam(() => buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16', ips: ['10.7.0.1'] }), {
      code: ErrorCode.AddressOutOfRange,
      field: 'spec.ips[0]',
    });
    throwsIpam(() => buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16', ips: ['10.6.255.250-10.7.0.1'] }), {
      code: ErrorCode.AddressOutOfRange,
      field: 'spec.ips[0]',
    });
    throwsIpam(() => buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16', ips: ['fd00::1'] }), {
      code: ErrorCode.InvalidIPFamily,
      field: 'spec.ips[0]',
    });
  });
});

describe('SPP-4 gateway', () => {
  test('SPP-4 a gateway inside ips and not excluded is rejected, naming the ips item', () => {
    throwsIpam(
      () =>
        buildSpiderPool({
          name: 'p',
          subnet: '10.6.0.0/16',
          gateway: '10.6.0.1',
          ips: ['10.6.0.100', '10.6.0.1-10.6.0.10'],
        }),
      {
        code: ErrorCode.InvalidPool,
        field: 'spec.ips[1]',
      },
    );
  });

  test('SPP-4 an excluded gateway, or one outside ips, is accepted', () => {
    const p = buildSpiderPool({
      name: 'p',
      subnet: '10.6.0.0/16',
      gateway: '10.6.0.1',
      ips: ['10.6.0.1-10.6.0.10'],
      excludeIPs: ['10.6.0.1'],
    });
    assert.equal(p.effective.toString(), '10.6.0.2-10.6.0.10');
    buildSpiderPool({ name: 'q', subnet: '10.6.0.0/16', gateway: '10.6.0.1', ips: ['10.6.0.2-10.6.0.10'] });
  });

  test('SPP-4 a gateway outside the subnet or unparsable is rejected on spec.gateway', () => {
    throwsIpam(() => buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16', gateway: '10.7.0.1' }), {
      code: ErrorCode.InvalidPool,
      field: 'spec.gateway',
    });
    const e = throwsIpam(() => buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16', gateway: 'nope' }), {
      code: ErrorCode.InvalidAddress,
    });
    assert.ok(e.field?.startsWith('spec.gateway'));
  });
});

describe('SPP-7 totalIPCount', () => {
  test('SPP-7 ips − excludeIPs, capped at 2^63−1', () => {
    assert.equal(
      spiderTotalCount(
        buildSpiderPool({
          name: 'p',
          subnet: '10.6.0.0/16',
          ips: ['10.6.0.1-10.6.0.10'],
          excludeIPs: ['10.6.0.5'],
        }),
      ),
      9n,
    );
    assert.equal(
      spiderTotalCount(
        buildSpiderPool({
          name: 'p',
          subnet: 'fd00::/48',
          ips: ['fd00::-fd00:0:0:ffff:ffff:ffff:ffff:ffff'],
        }),
      ),
      2n ** 63n - 1n,
    );
  });
});

describe('SPP-6 flags', () => {
  test('SPP-6 default and disable pass through', () => {
    const p = buildSpiderPool({ name: 'p', subnet: '10.6.0.0/16', default: true, disable: true });
    assert.equal(p.isDefault, true);
    assert.equal(p.disabled, true);
  });
});
