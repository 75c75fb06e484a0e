/**
 * The service layer's error catalog: generic object failures (engine failures stay `IpamError`). The API edge
 * maps each code once to a `metav1.Status`, the CNI edge to a CNI code.
 */
export type ServiceErrorCode =
  'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Forbidden' | 'Invalid' | 'Unavailable';

/** How a field of an Invalid request is wrong (each edge words it its own way). */
export type FieldProblem = 'invalid' | 'forbidden' | 'required';

export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  /** Kind and name of the object concerned, when there is one. */
  readonly kind: string | undefined;
  readonly objectName: string | undefined;
  /** Offending field (dotted path) for Invalid/Forbidden. */
  readonly field: string | undefined;
  /** The offending value, shown back to the user (a number is shown bare, as Kubernetes shows it). */
  readonly value: string | number | undefined;
  /**
   * What is wrong with `field` in an Invalid error: its value (default), it may not be set like this
   * (Kubernetes' `FieldValueForbidden` inside a 422, e.g. a finalizer added to a terminating object), or it
   * is missing.
   */
  readonly problem: FieldProblem;

  constructor(
    code: ServiceErrorCode,
    message: string,
    options: {
      kind?: string;
      name?: string;
      field?: string;
      value?: string | number;
      problem?: FieldProblem;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ServiceError';
    this.code = code;
    this.kind = options.kind;
    this.objectName = options.name;
    this.field = options.field;
    this.value = options.value;
    this.problem = options.problem ?? 'invalid';
  }
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}
