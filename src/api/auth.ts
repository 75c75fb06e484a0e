/**
 * Bearer-token authentication (SEC-1). The comparison hashes both sides first, so it takes the same
 * time whatever the lengths and contents (timingSafeEqual needs equal lengths).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.js';

/**
 * Paths served without a token: the probes, and `/version` (public in Kubernetes too; the gcloud
 * kubectl dispatcher reads it without credentials to pick a kubectl version).
 */
export const UNAUTHENTICATED_PATHS: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/livez',
  '/version',
]);

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of two secrets. */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Throws 401 unless the request carries `Authorization: Bearer <expected>`. */
export function authenticate(req: IncomingMessage, expected: string): void {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m || !tokensEqual(m[1] ?? '', expected)) {
    throw new ApiError(
      'Unauthorized',
      401,
      'Unauthorized: a valid bearer token is required (see the kubeconfig the daemon wrote)',
    );
  }
}
