import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../errors.js';
import { buildReservation } from './reservation.js';
import { throwsIpam } from '../harness.test.js';

/** buildReservation: a SpiderReservedIP (SPR-3). */

describe('SPR-3 SpiderReservedIP spec', () => {
  test('SPR-3 ipVersion is derived from the first address; ips are merged and sorted', () => {
    const r = buildReservation({
      name: 'r',
      ips: ['172.18.42.45-172.18.42.49', '172.18.42.41-172.18.42.46'],
    });
    assert.equal(r.family, 4);
    assert.deepEqual(r.ipsText, ['172.18.42.41-172.18.42.49']);
    assert.equal(buildReservation({ name: 'r6', ips: ['fd00::1'] }).family, 6);
  });

  test('SPR-3 empty or missing ips → InvalidReservation on spec.ips', () => {
    throwsIpam(() => buildReservation({ name: 'r', ips: [] }), {
      code: ErrorCode.InvalidReservation,
      field: 'spec.ips',
    });
    throwsIpam(() => buildReservation({ name: 'r' }), {
      code: ErrorCode.InvalidReservation,
      field: 'spec.ips',
    });
    throwsIpam(() => buildReservation({ name: 'r', ips: null }), {
      code: ErrorCode.InvalidReservation,
      field: 'spec.ips',
    });
  });

  test('SPR-3 a reversed range is rejected naming the item', () => {
    throwsIpam(() => buildReservation({ name: 'r', ips: ['172.18.42.41', '172.18.42.49-172.18.42.41'] }), {
      code: ErrorCode.InvalidRange,
      field: 'spec.ips[1]',
    });
  });

  test('SPR-3 a second family, a CIDR or an unparsable first item is rejected', () => {
    throwsIpam(() => buildReservation({ name: 'r', ips: ['172.18.42.41', 'fd00::1'] }), {
      code: ErrorCode.InvalidIPFamily,
      field: 'spec.ips[1]',
    });
    throwsIpam(() => buildReservation({ name: 'r', ips: ['172.18.42.41', '172.18.42.0/24'] }), {
      code: ErrorCode.InvalidRange,
      field: 'spec.ips[1]',
    });
    throwsIpam(() => buildReservation({ name: 'r', ips: ['172.18.42.0/24'] }), {
      code: ErrorCode.InvalidAddress,
      field: 'spec.ips[0]',
    });
    const e = throwsIpam(() => buildReservation({ name: 'r', ips: ['bogus'] }), {
      code: ErrorCode.InvalidAddress,
    });
    assert.equal(e.field, 'spec.ips[0]');
  });

  test('SPR-3 a contradicting ipVersion is rejected', () => {
    throwsIpam(() => buildReservation({ name: 'r', ipVersion: 6, ips: ['172.18.42.41'] }), {
      code: ErrorCode.InvalidIPFamily,
      field: 'spec.ipVersion',
    });
    assert.equal(buildReservation({ name: 'r', ipVersion: 4, ips: ['172.18.42.41'] }).family, 4);
  });
});
