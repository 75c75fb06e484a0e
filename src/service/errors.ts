/**
 * The service layer's error catalog: generic object failures (engine failures stay `IpamError`). The API edge
 * maps each code once to a `metav1.Status`, the CNI edge to a CNI code.
 */
export type ServiceErrorCode =
  'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Forbidden' | 'Invalid' | 'Unavailable';

export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  /** Kind and name of the object concerned, when there is one. */
  readonly kind: string | undefined;
  readonly objectName: string | undefined;
  /** Offending field (dotted path) for Invalid/Forbidden. */
  readonly field: string | undefined;

  constructor(
    code: ServiceErrorCode,
    message: string,
    options: { kind?: string; name?: string; field?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ServiceError';
    this.code = code;
    this.kind = options.kind;
    this.objectName = options.name;
    this.field = options.field;
  }
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}
