import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../errors.js';
import { buildIPPool } from './ippool.js';
import { buildSubnet } from './subnet.js';
import { throwsIpam } from '../harness.test.js';

/** buildIPPool: a Kube-OVN IPPool validated against its subnet (POOL-1). Cross-pool overlap is engine.test.ts. */

const dual = buildSubnet({ name: 'd', cidrBlock: '10.16.0.0/24,fd00::/120' });
const v4 = buildSubnet({ name: 's', cidrBlock: '10.16.0.0/24' });

describe('POOL-1 IPPool spec', () => {
  test('POOL-1 `ip`, `cidr` and `a..b` of both families, merged per family', () => {
    const p = buildIPPool(
      {
        name: 'p',
        subnet: 'd',
        ips: ['10.16.0.10', '10.16.0.11..10.16.0.20', '10.16.0.64/30', 'fd00::10..fd00::1f', 'fd00::20/124'],
        namespaces: ['ns1'],
      },
      dual,
    );
    assert.equal(p.sets.get(4)?.toString(), '10.16.0.10-10.16.0.20,10.16.0.64-10.16.0.67');
    assert.equal(p.sets.get(6)?.toString(), 'fd00::10-fd00::2f');
    assert.deepEqual(p.namespaces, ['ns1']);
    assert.equal(p.subnet, 'd');
  });

  test("POOL-1 entries are clipped to the subnet's usable range (a whole-CIDR pool loses network and broadcast)", () => {
    const p = buildIPPool({ name: 'p', subnet: 's', ips: ['10.16.0.0/24'] }, v4);
    assert.equal(p.sets.get(4)?.toString(), '10.16.0.1-10.16.0.254');
    const q = buildIPPool({ name: 'q', subnet: 's', ips: ['10.16.0.250..10.16.1.10'] }, v4);
    assert.equal(q.sets.get(4)?.toString(), '10.16.0.250-10.16.0.254');
  });

  test('POOL-1 an empty or missing ips list is rejected', () => {
    throwsIpam(() => buildIPPool({ name: 'p', subnet: 's', ips: [] }, v4), {
      code: ErrorCode.InvalidPool,
      field: 'spec.ips',
    });
    throwsIpam(() => buildIPPool({ name: 'p', subnet: 's', ips: undefined as unknown as string[] }, v4), {
      code: ErrorCode.InvalidPool,
      field: 'spec.ips',
    });
  });

  test('POOL-1 a bad entry names its index', () => {
    throwsIpam(
      () => buildIPPool({ name: 'p', subnet: 's', ips: ['10.16.0.5', '10.16.0.9..10.16.0.7'] }, v4),
      { code: ErrorCode.InvalidRange, field: 'spec.ips[1]' },
    );
    throwsIpam(() => buildIPPool({ name: 'p', subnet: 's', ips: ['10.16.0.5', 'x'] }, v4), {
      code: ErrorCode.InvalidRange,
      field: 'spec.ips[1]',
    });
    throwsIpam(() => buildIPPool({ name: 'p', subnet: 's', ips: ['10.16.0.0/33'] }, v4), {
      code: ErrorCode.InvalidCIDR,
      field: 'spec.ips[0]',
    });
    throwsIpam(() => buildIPPool({ name: 'p', subnet: 's', ips: [5 as unknown as string] }, v4), {
      code: ErrorCode.InvalidRange,
      field: 'spec.ips[0]',
    });
  });

  test('POOL-1 a family the subnet lacks → InvalidIPFamily; outside the subnet → AddressOutOfRange', () => {
    throwsIpam(() => buildIPPool({ name: 'p', subnet: 's', ips: ['fd00::5'] }, v4), {
      code: ErrorCode.InvalidIPFamily,
      field: 'spec.ips[0]',
    });
    throwsIpam(() => buildIPPool({ name: 'p', subnet: 's', ips: ['10.16.0.5', '10.17.0.5'] }, v4), {
      code: ErrorCode.AddressOutOfRange,
      field: 'spec.ips[1]',
    });
    throwsIpam(() => buildIPPool({ name: 'p', subnet: 's', ips: ['10.16.0.255'] }, v4), {
      code: ErrorCode.AddressOutOfRange,
      field: 'spec.ips[0]',
    });
  });
});
