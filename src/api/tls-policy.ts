/**
 * SEC-1: the API may listen without TLS only on loopback. The daemon calls {@link checkListenPolicy}
 * before listening.
 */
import { isIP } from 'node:net';

/** Whether `host` is a loopback name or address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === 'ip6-localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** A refusal to start, with the fix in the message. */
export class ListenPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenPolicyError';
  }
}

/** Throws unless the listen address is loopback or TLS is configured. */
export function checkListenPolicy(host: string, tls: object | undefined): void {
  if (tls || isLoopbackHost(host)) return;
  throw new ListenPolicyError(
    `refusing to serve the API on ${host} without TLS: listening beyond loopback requires a certificate and key; give them, or listen on 127.0.0.1`,
  );
}
