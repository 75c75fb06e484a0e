import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatValue } from '../ip/address.js';
import { formatRange } from '../ip/range.js';
import { ErrorCode } from '../errors.js';
import { buildSubnet } from './subnet.js';
import { throwsIpam } from '../harness.test.js';

/** buildSubnet: validation and normalisation of a Kube-OVN Subnet (SUB-1 … SUB-5). */

describe('SUB-1 defaults', () => {
  test('SUB-1 cidrBlock alone → gateway .1, excludeIps holds the gateway, protocol IPv4, provider ovn', () => {
    const s = buildSubnet({ name: 'ovn-default', cidrBlock: '10.16.0.0/24' });
    assert.equal(s.protocol, 'IPv4');
    assert.equal(s.gatewayText, '10.16.0.1');
    assert.deepEqual(s.excludeIps, ['10.16.0.1']);
    assert.equal(s.provider, 'ovn');
    assert.equal(s.isDefault, false);
    assert.deepEqual(s.namespaces, []);
    const [f] = s.families;
    assert.equal(f!.space, '10.16.0.0/24');
    assert.equal(formatRange(4, f!.usable), '10.16.0.1-10.16.0.254');
    assert.equal(f!.excluded.toString(), '10.16.0.1');
  });

  test('SUB-1 an IPv6 subnet alone → gateway ::1, protocol IPv6', () => {
    const s = buildSubnet({ name: 'v6', cidrBlock: 'fd00:10:16::/64' });
    assert.equal(s.protocol, 'IPv6');
    assert.equal(s.gatewayText, 'fd00:10:16::1');
    assert.equal(formatRange(6, s.families[0]!.usable), 'fd00:10:16::1-fd00:10:16:0:ffff:ffff:ffff:fffe');
  });

  test('SUB-1 provider, namespaces and default pass through', () => {
    const s = buildSubnet({
      name: 's',
      cidrBlock: '10.16.0.0/24',
      provider: 'macvlan.default',
      namespaces: ['a', 'b'],
      default: true,
    });
    assert.equal(s.provider, 'macvlan.default');
    assert.deepEqual(s.namespaces, ['a', 'b']);
    assert.equal(s.isDefault, true);
  });
});

describe('SUB-2 dual stack', () => {
  test('SUB-2 "10.16.0.0/24,fd00::/120" → Dual, both gateways defaulted, v4 first', () => {
    const s = buildSubnet({ name: 'd', cidrBlock: '10.16.0.0/24,fd00::/120' });
    assert.equal(s.protocol, 'Dual');
    assert.equal(s.cidrBlock, '10.16.0.0/24,fd00::/120');
    assert.equal(s.gatewayText, '10.16.0.1,fd00::1');
    assert.deepEqual(s.excludeIps, ['10.16.0.1', 'fd00::1']);
  });

  test("SUB-2 a one-family gateway is completed with the other family's first address; v6 written first is reordered", () => {
    const s = buildSubnet({ name: 'd', cidrBlock: 'fd00::/120, 10.16.0.0/24', gateway: '10.16.0.254' });
    assert.equal(s.cidrBlock, '10.16.0.0/24,fd00::/120');
    assert.equal(s.gatewayText, '10.16.0.254,fd00::1');
    const t = buildSubnet({ name: 'd', cidrBlock: '10.16.0.0/24,fd00::/120', gateway: 'fd00::fe' });
    assert.equal(t.gatewayText, '10.16.0.1,fd00::fe');
  });

  test('SUB-2 two CIDRs of one family, three CIDRs, or two gateways of one family are rejected', () => {
    throwsIpam(() => buildSubnet({ name: 'x', cidrBlock: '10.16.0.0/24,10.17.0.0/24' }), {
      code: ErrorCode.InvalidIPFamily,
      field: 'spec.cidrBlock',
    });
    throwsIpam(() => buildSubnet({ name: 'x', cidrBlock: '10.16.0.0/24,fd00::/120,10.17.0.0/24' }), {
      code: ErrorCode.InvalidCIDR,
      field: 'spec.cidrBlock',
    });
    throwsIpam(
      () => buildSubnet({ name: 'x', cidrBlock: '10.16.0.0/24,fd00::/120', gateway: '10.16.0.1,10.16.0.2' }),
      { code: ErrorCode.InvalidIPFamily, field: 'spec.gateway' },
    );
    throwsIpam(() => buildSubnet({ name: 'x', cidrBlock: '10.16.0.0/24', gateway: '10.16.0.1,fd00::1' }), {
      code: ErrorCode.InvalidSubnet,
      field: 'spec.gateway',
    });
  });
});

describe('SUB-3 CIDR normalisation', () => {
  test('SUB-3 host bits are normalised to the network address', () => {
    assert.equal(buildSubnet({ name: 's', cidrBlock: '10.16.3.7/16' }).cidrBlock, '10.16.0.0/16');
    assert.equal(buildSubnet({ name: 's', cidrBlock: 'fd00::abcd/112' }).cidrBlock, 'fd00::/112');
  });

  test('SUB-3 /32 and /128 are rejected; /31 and /127 are accepted', () => {
    throwsIpam(() => buildSubnet({ name: 's', cidrBlock: '10.16.0.1/32' }), {
      code: ErrorCode.InvalidCIDR,
      field: 'spec.cidrBlock',
    });
    throwsIpam(() => buildSubnet({ name: 's', cidrBlock: 'fd00::1/128' }), {
      code: ErrorCode.InvalidCIDR,
      field: 'spec.cidrBlock',
    });
    assert.equal(
      buildSubnet({ name: 's', cidrBlock: '10.16.0.0/31', gateway: '10.16.0.0' }).gatewayText,
      '10.16.0.0',
    );
    assert.equal(buildSubnet({ name: 's', cidrBlock: 'fd00::/127' }).gatewayText, 'fd00::');
  });

  test('SUB-3 a missing, empty or unparsable cidrBlock → InvalidCIDR on spec.cidrBlock', () => {
    for (const cidrBlock of [
      '',
      '   ',
      '10.16.0.0',
      '10.16.0.0/33',
      '10.16.0.256/24',
      'fd00::/129',
      'nonsense/8',
      undefined as unknown as string,
    ]) {
      throwsIpam(() => buildSubnet({ name: 's', cidrBlock }), {
        code: ErrorCode.InvalidCIDR,
        field: 'spec.cidrBlock',
      });
    }
  });
});

describe('SUB-4 excludeIps', () => {
  test('SUB-4 `ip` and `a..b` entries; overlaps and neighbours merged; the gateway always included', () => {
    const s = buildSubnet({
      name: 's',
      cidrBlock: '10.16.0.0/24',
      excludeIps: ['10.16.0.10..10.16.0.20', '10.16.0.15..10.16.0.25', '10.16.0.30', '10.16.0.26'],
    });
    assert.deepEqual(s.excludeIps, ['10.16.0.1', '10.16.0.10..10.16.0.26', '10.16.0.30']);
  });

  test('SUB-4 dual excludeIps are split per family, v4 first', () => {
    const s = buildSubnet({
      name: 'd',
      cidrBlock: '10.16.0.0/24,fd00::/120',
      excludeIps: ['fd00::10..fd00::20', '10.16.0.5'],
    });
    assert.deepEqual(s.excludeIps, ['10.16.0.1', '10.16.0.5', 'fd00::1', 'fd00::10..fd00::20']);
    assert.equal(s.families[1]!.excluded.toString(), 'fd00::1,fd00::10-fd00::20');
  });

  test('SUB-4 a reversed range is rejected naming its index', () => {
    throwsIpam(
      () =>
        buildSubnet({
          name: 's',
          cidrBlock: '10.16.0.0/24',
          excludeIps: ['10.16.0.5', '10.16.0.6', '10.16.0.20..10.16.0.10'],
        }),
      {
        code: ErrorCode.InvalidRange,
        field: 'spec.excludeIps[2]',
      },
    );
  });

  test('SUB-4 unparsable entries are rejected with a field error', () => {
    for (const [item, code] of [
      ['10.16.0.300', ErrorCode.InvalidRange],
      ['10.16.0.1-10.16.0.5', ErrorCode.InvalidRange],
      ['10.16.0.1..fd00::1', ErrorCode.InvalidRange],
      ['10.16.0.1 ..10.16.0.5', ErrorCode.InvalidRange],
      ['', ErrorCode.InvalidRange],
      ['10.16.0.1..10.16.0.2..10.16.0.3', ErrorCode.InvalidRange],
    ] as const) {
      throwsIpam(
        () => buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24', excludeIps: ['10.16.0.9', item] }),
        { code, field: 'spec.excludeIps[1]' },
      );
    }
    throwsIpam(
      () => buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24', excludeIps: [7 as unknown as string] }),
      { code: ErrorCode.InvalidRange, field: 'spec.excludeIps[0]' },
    );
  });

  test('SUB-4 entries wholly outside the CIDR are rejected; partly outside are clipped', () => {
    throwsIpam(() => buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24', excludeIps: ['10.17.0.1'] }), {
      code: ErrorCode.AddressOutOfRange,
      field: 'spec.excludeIps[0]',
    });
    throwsIpam(() => buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24', excludeIps: ['fd00::1'] }), {
      code: ErrorCode.AddressOutOfRange,
      field: 'spec.excludeIps[0]',
    });
    const s = buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24', excludeIps: ['10.16.0.250..10.16.1.5'] });
    assert.deepEqual(s.excludeIps, ['10.16.0.1', '10.16.0.250..10.16.0.255']);
  });
});

describe('SUB-5 gateway', () => {
  test('SUB-5 a gateway outside the CIDR is rejected', () => {
    throwsIpam(() => buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24', gateway: '10.17.0.1' }), {
      code: ErrorCode.InvalidSubnet,
      field: 'spec.gateway',
    });
    throwsIpam(() => buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24', gateway: 'fd00::1' }), {
      code: ErrorCode.InvalidSubnet,
      field: 'spec.gateway',
    });
  });

  test('SUB-5 a gateway equal to the network or broadcast address is rejected', () => {
    throwsIpam(() => buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24', gateway: '10.16.0.0' }), {
      code: ErrorCode.InvalidSubnet,
      field: 'spec.gateway',
    });
    throwsIpam(() => buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24', gateway: '10.16.0.255' }), {
      code: ErrorCode.InvalidSubnet,
      field: 'spec.gateway',
    });
    throwsIpam(() => buildSubnet({ name: 's', cidrBlock: 'fd00::/120', gateway: 'fd00::ff' }), {
      code: ErrorCode.InvalidSubnet,
      field: 'spec.gateway',
    });
  });

  test('SUB-5 an unparsable gateway → field error on spec.gateway', () => {
    const e = throwsIpam(() => buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24', gateway: '10.16.0.x' }), {
      code: ErrorCode.InvalidAddress,
    });
    assert.ok(e.field?.startsWith('spec.gateway'), e.field);
  });

  test('SUB-5 a non-default gateway is excluded and stored canonically', () => {
    const s = buildSubnet({ name: 's', cidrBlock: '2001:db8::/64', gateway: '2001:0db8:0000::00fe' });
    assert.equal(s.gatewayText, '2001:db8::fe');
    assert.equal(formatValue(6, s.families[0]!.gateway), '2001:db8::fe');
    assert.deepEqual(s.excludeIps, ['2001:db8::fe']);
  });
});
