/**
 * The one place where failures become `metav1.Status` (lesson 5: one error catalog per layer, mapped
 * once at the edge). {@link IPAM_ERROR_MAP} is the table docs/api.md shows and a test pins.
 */
import { ErrorCode, IpamError } from '../core/errors.js';
import { type FieldProblem, ServiceError, type ServiceErrorCode } from '../service/errors.js';
import { ApiError, fieldCause, type CauseType, type ErrorSubject, type StatusReason } from './errors.js';

/** `metav1.Status` as served. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason | '';
  code: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason: CauseType; field: string; message: string }[];
    retryAfterSeconds?: number;
  };
}

/** How one engine error code surfaces over HTTP. */
export interface IpamMapping {
  code: number;
  reason: StatusReason;
  /** Cause type of the field cause, when the error names a field. */
  cause: CauseType;
}

const invalid = (cause: CauseType = 'FieldValueInvalid'): IpamMapping => ({
  code: 422,
  reason: 'Invalid',
  cause,
});

/**
 * Engine code → HTTP. Rules:
 * - Input that is wrong in itself → 422 Invalid with a field cause (the user must change that field).
 * - AddressConflict → 422 Invalid, cause FieldValueDuplicate naming the holder: retrying with a fresher
 *   object cannot help, so it is not a 409 (409 Conflict means "re-read and retry" to every client,
 *   and `kubectl apply` would retry it).
 * - NoAvailableAddress and InUse → 403 Forbidden (like an exhausted quota: the request is well formed,
 *   the current state refuses it; free addresses and try again).
 * - AlreadyExists → 409 AlreadyExists.
 */
export const IPAM_ERROR_MAP: Readonly<Record<ErrorCode, IpamMapping>> = {
  [ErrorCode.NoAvailableAddress]: { code: 403, reason: 'Forbidden', cause: 'FieldValueForbidden' },
  [ErrorCode.AddressConflict]: invalid('FieldValueDuplicate'),
  [ErrorCode.AddressOutOfRange]: invalid(),
  [ErrorCode.NoSubnet]: invalid('FieldValueNotFound'),
  [ErrorCode.InvalidCIDR]: invalid(),
  [ErrorCode.InvalidIPFamily]: invalid(),
  [ErrorCode.PoolNotFound]: invalid('FieldValueNotFound'),
  [ErrorCode.InvalidAddress]: invalid(),
  [ErrorCode.InvalidRange]: invalid(),
  [ErrorCode.InvalidMAC]: invalid(),
  [ErrorCode.InvalidAnnotation]: invalid(),
  [ErrorCode.InvalidSubnet]: invalid(),
  [ErrorCode.InvalidPool]: invalid(),
  [ErrorCode.InvalidReservation]: invalid(),
  [ErrorCode.InvalidInput]: invalid(),
  [ErrorCode.InUse]: { code: 403, reason: 'Forbidden', cause: 'FieldValueForbidden' },
  [ErrorCode.AlreadyExists]: { code: 409, reason: 'AlreadyExists', cause: 'FieldValueDuplicate' },
  [ErrorCode.Immutable]: invalid(),
};

const noSubject = (name = ''): ErrorSubject => ({
  resource: 'object',
  qualifiedKind: 'object',
  group: '',
  kind: '',
  name,
});

/** Turn an engine error into an ApiError about `subject`. */
function fromIpamError(e: IpamError, subject: ErrorSubject | undefined): ApiError {
  const map = IPAM_ERROR_MAP[e.code];
  const s = subject ?? noSubject();
  let detail = e.message;
  if (e.holder && !detail.includes(e.holder)) detail = `${detail} (held by ${e.holder})`;
  if (e.code === ErrorCode.Immutable && !/immutable/i.test(detail)) detail = `field is immutable; ${detail}`;
  const field = e.field ?? 'spec';
  const cause = fieldCause(map.cause, field, detail, e.value);
  if (map.reason === 'Invalid') return ApiError.invalid(s, [cause]);
  if (map.reason === 'AlreadyExists') return ApiError.alreadyExists(s);
  return ApiError.forbidden(s, detail, e.field ? [cause] : []);
}

/** How each service error code surfaces over HTTP (pinned by a test with the engine table). */
export const SERVICE_ERROR_MAP: Readonly<Record<ServiceErrorCode, { code: number; reason: StatusReason }>> = {
  NotFound: { code: 404, reason: 'NotFound' },
  AlreadyExists: { code: 409, reason: 'AlreadyExists' },
  Conflict: { code: 409, reason: 'Conflict' },
  Gone: { code: 410, reason: 'Expired' },
  Forbidden: { code: 403, reason: 'Forbidden' },
  Invalid: { code: 422, reason: 'Invalid' },
  Unavailable: { code: 503, reason: 'ServiceUnavailable' },
};

const PROBLEM_CAUSE: Readonly<Record<FieldProblem, CauseType>> = {
  invalid: 'FieldValueInvalid',
  forbidden: 'FieldValueForbidden',
  required: 'FieldValueRequired',
};

const STANDARD_CONFLICT =
  'the object has been modified; please apply your changes to the latest version and try again';

/** Turn a service error into an ApiError; the subject's name comes from the error when it has one. */
function fromServiceError(e: ServiceError, subject: ErrorSubject | undefined): ApiError {
  const s: ErrorSubject = { ...(subject ?? noSubject()), ...(e.objectName ? { name: e.objectName } : {}) };
  const field = e.field ?? 'metadata';
  switch (e.code) {
    case 'NotFound':
      return ApiError.notFound(s);
    case 'AlreadyExists':
      return ApiError.alreadyExists(s);
    case 'Conflict':
      return ApiError.conflict(s, e.message.includes(STANDARD_CONFLICT) ? STANDARD_CONFLICT : e.message);
    case 'Gone':
      return ApiError.gone(e.message);
    case 'Forbidden':
      return ApiError.forbidden(
        s,
        e.message,
        e.field ? [fieldCause('FieldValueForbidden', field, e.message)] : [],
      );
    case 'Invalid':
      return ApiError.invalid(s, [fieldCause(PROBLEM_CAUSE[e.problem], field, e.message, e.value)]);
    case 'Unavailable':
      return new ApiError('ServiceUnavailable', 503, e.message, { retryAfterSeconds: 1 });
  }
}

/**
 * Any thrown value → ApiError. Unknown errors become 500 with a generic message (their text may
 * leak internals; the caller logs the original).
 */
export function toApiError(err: unknown, subject?: ErrorSubject): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof IpamError) return fromIpamError(err, subject);
  if (err instanceof ServiceError) return fromServiceError(err, subject);
  return ApiError.internal('the server could not complete the request; see the server log');
}

/** The `metav1.Status` body of an ApiError. */
export function statusOf(e: ApiError): Status {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: e.message,
    reason: e.reason,
    code: e.code,
  };
  const details: NonNullable<Status['details']> = {};
  if (e.subject) {
    if (e.subject.name) details.name = e.subject.name;
    if (e.subject.group) details.group = e.subject.group;
    // Kubernetes puts the Kind in details.kind for Invalid and the resource plural otherwise.
    details.kind =
      e.reason === 'Invalid' ? e.subject.kind : (e.subject.resource.split('.')[0] ?? e.subject.kind);
  }
  if (e.causes.length > 0) details.causes = e.causes.map((c) => ({ ...c }));
  if (e.retryAfterSeconds !== undefined) details.retryAfterSeconds = e.retryAfterSeconds;
  if (Object.keys(details).length > 0) status.details = details;
  return status;
}
