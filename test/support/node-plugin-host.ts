/**
 * The plugin's I/O (src/cni/plugin PluginHost) on Node, for tests and benchmarks that drive many CNI calls
 * through the plugin's own code in one process instead of a process per call. The shipped executable uses
 * the Bun host (src/cni/plugin/bun-host.ts); both speak the same wire to the daemon's socket.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TransportError, type HttpReply } from '../../src/cni/plugin/http-reply.js';
import type { ExecOutcome, PluginHost } from '../../src/cni/plugin/plugin.js';

function post(socketPath: string, path: string, json: string, timeoutMs: number): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path, method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', (e: NodeJS.ErrnoException) => reject(new TransportError(e.code ?? 'EIO', e.message)));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new TransportError('ETIMEDOUT', 'no reply in time')));
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(e instanceof TransportError ? e : new TransportError(e.code ?? 'EIO', e.message)),
    );
    req.end(json);
  });
}

function findPlugin(name: string, cniPath: string): string | undefined {
  for (const dir of cniPath.split(':').filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function exec(file: string, env: Record<string, string>, stdin: string): Promise<ExecOutcome> {
  const r = spawnSync(file, [], { env, input: stdin, encoding: 'utf8' });
  return Promise.resolve({ exitCode: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' });
}

/** A PluginHost on Node's own APIs. */
export const nodePluginHost: PluginHost = { post, findPlugin, exec };
