/**
 * The Kubernetes layer's error catalog. Every failure to read or write the cluster is a ClusterError with
 * `code: 'Unavailable'`, which the CNI edge maps once to code 11 (try again later, CNI-5): the cluster is
 * the source of the pod's facts, and a pod that cannot be confirmed gets no address (K8S-2). `reason`
 * says why, for logs, tests and docs/errors.md.
 */
export type ClusterErrorReason =
  /** The API server refused the connection or could not be reached. */
  | 'ApiUnreachable'
  /** The API server did not answer in time. */
  | 'ApiTimeout'
  /** The API server answered with an error status. */
  | 'ApiError'
  /** The pod the runtime named does not exist (any more). */
  | 'PodNotFound'
  /** The runtime's K8S_POD_UID is not the live pod's: the pod was deleted and re-created. */
  | 'PodUidMismatch';

export class ClusterError extends Error {
  /** Recognised structurally by the CNI edge (CNI_SERVICE_UNAVAILABLE → code 11). */
  readonly code = 'Unavailable';
  readonly reason: ClusterErrorReason;
  /** The HTTP status, for ApiError. */
  readonly status: number | undefined;

  constructor(
    reason: ClusterErrorReason,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ClusterError';
    this.reason = reason;
    this.status = options.status;
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
]);

/** Turns whatever a request threw into a ClusterError saying what was being done. */
export function toClusterError(err: unknown, doing: string): ClusterError {
  if (err instanceof ClusterError) return err;
  const e = err as {
    name?: string;
    code?: string;
    type?: string;
    message?: string;
    cause?: { code?: string };
  };
  const message = e?.message ?? String(err);
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.type === 'aborted')
    return new ClusterError('ApiTimeout', `${doing}: the Kubernetes API server did not answer in time`, {
      cause: err,
    });
  const code = e?.code ?? e?.cause?.code;
  if (code && UNREACHABLE.has(code))
    return new ClusterError(
      'ApiUnreachable',
      `${doing}: the Kubernetes API server is unreachable (${code})`,
      {
        cause: err,
      },
    );
  return new ClusterError('ApiUnreachable', `${doing}: ${message}`, { cause: err });
}
