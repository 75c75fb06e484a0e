import { readFileSync } from 'node:fs';
import { ConsecutiveBreaker, circuitBreaker, handleWhen, retry } from 'cockatiel';
import {
  Etcd3,
  EtcdPermissionDeniedError,
  GRPCInvalidArgumentError,
  GRPCResourceExhastedError,
  isRecoverableError,
} from 'etcd3';
import { StoreError } from '../store.js';

/** How to reach the cluster (the daemon's `--etcd-*` options). */
export interface EtcdConnection {
  /** Client URLs, `http://host:port` or `https://host:port`. */
  endpoints: readonly string[];
  /** PEM files for client TLS: the CA that signed the members' certificates, and our certificate and key. */
  tls?: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined };
  /** Deadline of one call, in ms (default 5 s): a member that does not answer is given up on, not waited for. */
  callTimeoutMs?: number;
}

/**
 * Checks the endpoint list and TLS files before anything connects. Returns a message naming the option and
 * the fix, or undefined.
 */
export function connectionProblem(c: EtcdConnection): string | undefined {
  if (c.endpoints.length === 0)
    return '--etcd-endpoints is empty; give one or more client URLs, e.g. http://127.0.0.1:2379';
  for (const e of c.endpoints) {
    let url: URL;
    try {
      url = new URL(e);
    } catch {
      return `--etcd-endpoints: "${e}" is not a URL; write http://HOST:PORT or https://HOST:PORT`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return `--etcd-endpoints: "${e}" must start with http:// or https://`;
    if (!url.port) return `--etcd-endpoints: "${e}" has no port (etcd's client port is usually 2379)`;
    if (url.pathname !== '/' || url.search)
      return `--etcd-endpoints: "${e}" must be only scheme, host and port`;
  }
  const secure = c.endpoints.filter((e) => e.startsWith('https:')).length;
  if (secure !== 0 && secure !== c.endpoints.length)
    return '--etcd-endpoints mixes http:// and https:// URLs; use one scheme for every member';
  const tls = c.tls ?? {};
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    return 'give both --etcd-cert and --etcd-key (client certificate and its key), or neither';
  if ((tls.caFile || tls.certFile) && secure === 0)
    return '--etcd-cacert/--etcd-cert are given but every endpoint is http://; use https:// URLs for TLS';
  for (const [flag, file] of [
    ['--etcd-cacert', tls.caFile],
    ['--etcd-cert', tls.certFile],
    ['--etcd-key', tls.keyFile],
  ] as const) {
    if (file === undefined) continue;
    try {
      readFileSync(file);
    } catch (e) {
      return `${flag} ${file}: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** A client of the etcd3 package for these endpoints, with call deadlines and fault handling set. */
export function createClient(c: EtcdConnection): Etcd3 {
  const timeout = c.callTimeoutMs ?? 5000;
  const tls = c.tls ?? {};
  const secure = c.endpoints.some((e) => e.startsWith('https:'));
  return new Etcd3({
    hosts: [...c.endpoints],
    ...(secure
      ? {
          credentials: {
            rootCertificate: tls.caFile ? readFileSync(tls.caFile) : (undefined as unknown as Buffer),
            ...(tls.keyFile ? { privateKey: readFileSync(tls.keyFile) } : {}),
            ...(tls.certFile ? { certChain: readFileSync(tls.certFile) } : {}),
          },
        }
      : {}),
    // Unary calls get a deadline; streams (watch, lease keep-alive) live as long as the connection.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    grpcOptions: {
      'grpc.keepalive_time_ms': 5000,
      'grpc.keepalive_timeout_ms': 3000,
      'grpc.keepalive_permit_without_calls': 1,
      // Reconnect soon after a member comes back rather than after grpc's default backoff of up to 2 min.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2000,
    },
    faultHandling: {
      // A member that failed three calls in a row is skipped for 1 s; the others take its calls meanwhile.
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), {
          halfOpenAfter: 1000,
          breaker: new ConsecutiveBreaker(3),
        }),
      // Calls are retried on another member. Safe for commits: each carries a marker that makes a replay fail
      // its compare, and the store reads the marker back (DUR-4).
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 3 }),
    },
  });
}

/**
 * Maps anything the etcd client throws to a StoreError (STYLE lesson 4): an unreachable or overloaded
 * cluster is UNAVAILABLE (try again), a refused request IO, with the driver's error as the cause.
 */
export function storeError(e: unknown, what: string): StoreError {
  if (e instanceof StoreError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof EtcdPermissionDeniedError)
    return new StoreError(
      'IO',
      `${what}: etcd refused the request (${message}); check the client certificate or etcd's auth`,
      { cause: e },
    );
  if (e instanceof GRPCResourceExhastedError && /space exceeded|quota/i.test(message))
    return new StoreError(
      'UNAVAILABLE',
      `${what}: etcd's database is full (${message}); raise --quota-backend-bytes or compact and defragment, then disarm the NOSPACE alarm`,
      { cause: e },
    );
  if (e instanceof GRPCInvalidArgumentError)
    return new StoreError('IO', `${what}: etcd refused the request as invalid (${message})`, { cause: e });
  return new StoreError('UNAVAILABLE', `${what}: etcd is unreachable (${message})`, { cause: e });
}
