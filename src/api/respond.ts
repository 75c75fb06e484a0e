/** Writing responses: JSON (bigint-exact), YAML, Status bodies, warning headers. */
import type { ServerResponse } from 'node:http';
import { stringify } from 'yaml';
import type { ApiError } from './errors.js';
import { toJson } from './json.js';
import type { Rendering } from './negotiate.js';
import { statusOf } from './status.js';

/** `Warning` header values (RFC 7234 form, code 299), as the API server sends them. */
export function warningHeader(messages: readonly string[]): string[] {
  return messages.map((m) => `299 - ${JSON.stringify(m)}`);
}

/** Send `body` with `code`, rendered as JSON (default) or YAML. */
export function sendObject(
  res: ServerResponse,
  code: number,
  body: unknown,
  rendering: Rendering = { as: 'json' },
  warnings: readonly string[] = [],
): void {
  if (warnings.length > 0) res.setHeader('Warning', warningHeader(warnings));
  if (rendering.as === 'yaml') {
    // The yaml writer prints bigint as plain digits and skips undefined members, like toJson.
    const text = stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/yaml', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  const text = toJson(body);
  const type =
    rendering.as === 'table'
      ? `application/json;as=Table;v=${rendering.version};g=meta.k8s.io`
      : 'application/json';
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Send a failure as `metav1.Status`. */
export function sendError(
  res: ServerResponse,
  err: ApiError,
  extraHeaders: Record<string, string> = {},
): void {
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  if (err.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(err.retryAfterSeconds));
  sendObject(res, err.code, statusOf(err));
}
