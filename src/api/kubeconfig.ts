/**
 * Writes the kubeconfig that makes `kubectl --kubeconfig FILE get subnets` work at once (SEC-1: mode
 * 0600, it holds the token). Synchronous on purpose: the daemon writes it once, before it prints its
 * ready line, and the file must exist when that line appears.
 */
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** `http(s)://host:port` of the API. */
  server: string;
  /** Bearer token; omitted from the file when the server runs without authentication. */
  token?: string;
  /** PEM of the CA that signed the server certificate, for https servers. */
  caData?: string | Buffer;
  /** Context, cluster and user name (default `ipkeeper`). */
  name?: string;
}

/** The kubeconfig document as YAML text. */
export function renderKubeconfig(opts: KubeconfigOptions): string {
  const name = opts.name ?? 'ipkeeper';
  const cluster: Record<string, string> = { server: opts.server };
  if (opts.caData) cluster['certificate-authority-data'] = Buffer.from(opts.caData).toString('base64');
  const user: Record<string, string> = opts.token ? { token: opts.token } : {};
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
    preferences: {},
  });
}

/**
 * Write the kubeconfig atomically with mode 0600: to a temporary file created 0600 (never readable by
 * others, not even briefly), then renamed over `path`.
 */
export function writeKubeconfig(path: string, opts: KubeconfigOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, renderKubeconfig(opts), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
