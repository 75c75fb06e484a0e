import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CniService } from './cni-service.js';
import { handleCniRequest, type CniHandlerOptions } from './handler.js';
import { MAX_STDIN_BYTES } from './netconf.js';
import { CNI_ENDPOINT_PATH, CNI_WIRE_ENV_KEYS, type CniWireEnv, type CniWireRequest } from './wire.js';

/** Largest accepted request body: the stdin cap plus room for the env and JSON escaping. */
const MAX_BODY_BYTES = MAX_STDIN_BYTES * 2 + 64 * 1024;

/**
 * A `node:http` request listener for the daemon's unix socket serving `POST /v1/cni`. The daemon mounts it
 * (alone, or before its other routes); the tests' memory daemon (test/support/cni-memory-daemon.ts) uses it as is. Answers 200 with
 * `{exitCode, stdout}` for every CNI call, including failed ones; 4xx only for requests that are not CNI
 * calls at all (wrong path, body not a wire request), which the plugin turns into "try again later".
 */
export function createCniListener(
  service: CniService,
  options: CniHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== CNI_ENDPOINT_PATH) {
      reply(res, 404, { error: `only POST ${CNI_ENDPOINT_PATH} is served here` });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reply(res, 413, { error: `request body larger than ${MAX_BODY_BYTES} bytes` });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      const wire = decodeWireRequest(Buffer.concat(chunks).toString('utf8'));
      if (!wire) {
        reply(res, 400, { error: 'body is not a CNI wire request {env, stdin}' });
        return;
      }
      void handleCniRequest(wire, service, options).then((answer) => reply(res, 200, answer));
    });
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const data = Buffer.from(JSON.stringify(body), 'utf8');
  // Explicit length (no chunking) keeps the plugin's reply parser on its simplest path.
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': data.length,
    connection: 'close',
  });
  res.end(data);
}

/** Validates the wire shape; unknown env keys are dropped, so only CNI variables reach the handler. */
export function decodeWireRequest(text: string): CniWireRequest | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { env, stdin } = parsed as { env?: unknown; stdin?: unknown };
  if (typeof env !== 'object' || env === null || typeof stdin !== 'string') return undefined;
  const out: CniWireEnv = {};
  for (const key of CNI_WIRE_ENV_KEYS) {
    const value = (env as Record<string, unknown>)[key];
    if (typeof value === 'string') out[key] = value;
    else if (value !== undefined) return undefined;
  }
  return { env: out, stdin };
}
