import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALL_ERROR_CODES, ErrorCode, IpamError } from '../../src/core/errors.js';
import { ApiError } from '../../src/api/errors.js';
import { ipKind } from '../../src/api/kinds/ip.js';
import { subjectOf } from '../../src/api/kinds/index.js';
import { IPAM_ERROR_MAP, SERVICE_ERROR_MAP, statusOf, toApiError } from '../../src/api/status.js';
import { ServiceError } from '../../src/service/errors.js';

const subject = subjectOf(ipKind, 'pod-static-01.default');

describe('API-status mapping (ENG-8)', () => {
  test('the engine code table is pinned', () => {
    const table = Object.fromEntries(
      ALL_ERROR_CODES.map((c) => [c, `${IPAM_ERROR_MAP[c].code} ${IPAM_ERROR_MAP[c].reason}`]),
    );
    assert.deepEqual(table, {
      NoAvailableAddress: '403 Forbidden',
      AddressConflict: '422 Invalid',
      AddressOutOfRange: '422 Invalid',
      NoSubnet: '422 Invalid',
      InvalidCIDR: '422 Invalid',
      InvalidIPFamily: '422 Invalid',
      PoolNotFound: '422 Invalid',
      InvalidAddress: '422 Invalid',
      InvalidRange: '422 Invalid',
      InvalidMAC: '422 Invalid',
      InvalidAnnotation: '422 Invalid',
      InvalidSubnet: '422 Invalid',
      InvalidPool: '422 Invalid',
      InvalidReservation: '422 Invalid',
      InvalidInput: '422 Invalid',
      InUse: '403 Forbidden',
      AlreadyExists: '409 AlreadyExists',
      Immutable: '422 Invalid',
    });
  });

  test('the service code table is pinned', () => {
    const table = Object.fromEntries(
      Object.entries(SERVICE_ERROR_MAP).map(([k, v]) => [k, `${v.code} ${v.reason}`]),
    );
    assert.deepEqual(table, {
      NotFound: '404 NotFound',
      AlreadyExists: '409 AlreadyExists',
      Conflict: '409 Conflict',
      Gone: '410 Expired',
      Forbidden: '403 Forbidden',
      Invalid: '422 Invalid',
      Unavailable: '503 ServiceUnavailable',
    });
  });

  test('every engine and service code produces the mapped HTTP code', () => {
    for (const code of ALL_ERROR_CODES) {
      assert.equal(
        toApiError(new IpamError(code, 'x', { field: 'spec.f' }), subject).code,
        IPAM_ERROR_MAP[code].code,
        code,
      );
    }
    for (const [code, want] of Object.entries(SERVICE_ERROR_MAP)) {
      assert.equal(
        toApiError(new ServiceError(code as ServiceError['code'], 'x'), subject).code,
        want.code,
        code,
      );
    }
  });

  test('a field error becomes 422 Invalid naming the field, the value and the fix', () => {
    const err = new IpamError(
      ErrorCode.AddressOutOfRange,
      'not inside ovn-default (10.16.0.0/16); pick an address inside it',
      {
        field: 'spec.v4IpAddress',
        value: '10.17.0.3',
      },
    );
    const s = statusOf(toApiError(err, subject));
    assert.equal(s.code, 422);
    assert.equal(s.reason, 'Invalid');
    assert.equal(
      s.message,
      'IP.kubeovn.io "pod-static-01.default" is invalid: spec.v4IpAddress: Invalid value: "10.17.0.3": not inside ovn-default (10.16.0.0/16); pick an address inside it',
    );
    assert.deepEqual(s.details, {
      name: 'pod-static-01.default',
      group: 'kubeovn.io',
      kind: 'IP',
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.v4IpAddress',
          message:
            'Invalid value: "10.17.0.3": not inside ovn-default (10.16.0.0/16); pick an address inside it',
        },
      ],
    });
  });

  test('AddressConflict names the holder in a FieldValueDuplicate cause', () => {
    const s = statusOf(
      toApiError(
        new IpamError(ErrorCode.AddressConflict, '10.16.0.3 is taken', {
          field: 'spec.v4IpAddress',
          holder: 'default/other',
        }),
        subject,
      ),
    );
    assert.equal(s.details?.causes?.[0]?.reason, 'FieldValueDuplicate');
    assert.match(s.message, /held by default\/other/);
  });

  test('Immutable says "field is immutable"', () => {
    const s = statusOf(
      toApiError(
        new IpamError(ErrorCode.Immutable, 'subnet cannot change', { field: 'spec.subnet' }),
        subject,
      ),
    );
    assert.match(s.message, /spec\.subnet: Invalid value.*field is immutable/);
  });

  test('a service Conflict has the kubectl message shape', () => {
    const s = statusOf(
      toApiError(
        new ServiceError(
          'Conflict',
          'the object has been modified; please apply your changes to the latest version and try again',
          { name: 'x' },
        ),
        subject,
      ),
    );
    assert.equal(
      s.message,
      'Operation cannot be fulfilled on ips.kubeovn.io "x": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.equal(s.details?.kind, 'ips');
  });

  test('unknown errors become a 500 without their text', () => {
    const e = toApiError(new Error('secret internals'), subject);
    assert.equal(e.code, 500);
    assert.doesNotMatch(e.message, /secret/);
    assert.ok(toApiError(ApiError.badRequest('x')) instanceof ApiError);
  });
});
