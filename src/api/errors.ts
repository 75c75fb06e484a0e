/**
 * The API layer's error catalog: an {@link ApiError} carries everything a `metav1.Status` needs.
 * The service throws these for generic API failures (not found, conflict, invalid metadata); engine
 * failures arrive as `IpamError` and are mapped in status.ts. This file imports nothing, so the
 * service can share it without pulling in HTTP code.
 */

/** `metav1.StatusReason` values this server produces. */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

/** `metav1.CauseType` values used in field causes. */
export type CauseType =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueForbidden'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueNotFound'
  | 'FieldValueTooLong'
  | 'FieldValueTypeInvalid'
  | 'FieldValueUnknown'
  | 'UnexpectedServerResponse';

/** One `metav1.StatusCause`: what is wrong with which field. */
export interface StatusCause {
  reason: CauseType;
  /** Dotted path, e.g. `spec.v4IpAddress` or `metadata.name`. */
  field: string;
  /** The full field error text, e.g. `Invalid value: "10.17.0.3": not inside ovn-default (10.16.0.0/16)`. */
  message: string;
}

/** Which object an error is about (the `details` of a Status). */
export interface ErrorSubject {
  /** Resource plural with group, as Kubernetes words messages: `ips.kubeovn.io`. */
  resource: string;
  /** Kind with group, as in Invalid messages: `IP.kubeovn.io`. */
  qualifiedKind: string;
  group: string;
  kind: string;
  name: string;
}

/** How the textual field error of a cause begins, keyed by cause type (Kubernetes' `field.ErrorType`). */
const causeLabel: Record<CauseType, string> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueRequired: 'Required value',
  FieldValueForbidden: 'Forbidden',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotFound: 'Not found',
  FieldValueTooLong: 'Too long',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueUnknown: 'Unknown field',
  UnexpectedServerResponse: 'Internal error',
};

/**
 * Build a cause the way Kubernetes words field errors: `Invalid value: "x": why`, `Required value: why`.
 * `value` is shown only for types that carry one.
 */
export function fieldCause(reason: CauseType, field: string, detail: string, value?: unknown): StatusCause {
  const label = causeLabel[reason];
  const showsValue =
    value !== undefined && reason !== 'FieldValueRequired' && reason !== 'FieldValueForbidden';
  const valueText = showsValue
    ? `: ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`
    : '';
  return { reason, field, message: `${label}${valueText}${detail ? `: ${detail}` : ''}` };
}

/** An HTTP-visible failure with a stable `reason` and `code`. */
export class ApiError extends Error {
  readonly reason: StatusReason;
  readonly code: number;
  readonly causes: readonly StatusCause[];
  /** Set when the error is about one object; fills `details` of the Status. */
  readonly subject: ErrorSubject | undefined;
  /** Seconds a client should wait before retrying (429/503/`Timeout`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    reason: StatusReason,
    code: number,
    message: string,
    options: { causes?: readonly StatusCause[]; subject?: ErrorSubject; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.reason = reason;
    this.code = code;
    this.causes = options.causes ?? [];
    this.subject = options.subject;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  static notFound(s: ErrorSubject): ApiError {
    return new ApiError('NotFound', 404, `${s.resource} "${s.name}" not found`, { subject: s });
  }

  static alreadyExists(s: ErrorSubject): ApiError {
    return new ApiError('AlreadyExists', 409, `${s.resource} "${s.name}" already exists`, { subject: s });
  }

  /** The resourceVersion (or a precondition) did not match: re-read and retry. */
  static conflict(
    s: ErrorSubject,
    why = 'the object has been modified; please apply your changes to the latest version and try again',
  ): ApiError {
    return new ApiError(
      'Conflict',
      409,
      `Operation cannot be fulfilled on ${s.resource} "${s.name}": ${why}`,
      {
        subject: s,
      },
    );
  }

  /** One or more field errors; the message lists them the way `kubectl` users know. */
  static invalid(s: ErrorSubject, causes: readonly StatusCause[]): ApiError {
    const parts = causes.map((c) => `${c.field}: ${c.message}`);
    const list = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
    return new ApiError('Invalid', 422, `${s.qualifiedKind} "${s.name}" is invalid: ${list}`, {
      causes,
      subject: s,
    });
  }

  static forbidden(s: ErrorSubject, why: string, causes: readonly StatusCause[] = []): ApiError {
    return new ApiError('Forbidden', 403, `${s.resource} "${s.name}" is forbidden: ${why}`, {
      subject: s,
      causes,
    });
  }

  static badRequest(message: string, causes: readonly StatusCause[] = []): ApiError {
    return new ApiError('BadRequest', 400, message, { causes });
  }

  /** A watch or continue token older than the server remembers. */
  static gone(message: string): ApiError {
    return new ApiError('Expired', 410, message);
  }

  static internal(message: string): ApiError {
    return new ApiError('InternalError', 500, `Internal error occurred: ${message}`);
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
