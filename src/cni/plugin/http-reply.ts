/**
 * The HTTP/1.1 the plugin speaks to the daemon, as plain functions over bytes: one request built as a
 * string, one reply parsed from the bytes read until the daemon closed the connection. No `node:http`:
 * the plugin is a fresh process per CNI call and loading an HTTP stack costs more than the call
 * (docs/cni.md, "Start-up").
 */

/** What one request to the daemon answered: the HTTP status and the raw body text. */
export interface HttpReply {
  status: number;
  body: string;
}

/**
 * Why a request to the daemon produced no HTTP reply. `code` is the socket error code (`ENOENT`,
 * `ECONNREFUSED`, `EACCES`…), `ETIMEDOUT` for the plugin's own deadline, `EPROTO` for a garbled reply.
 */
export class TransportError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}

/**
 * One `POST` with a JSON body. `Connection: close` makes the daemon end the exchange after its reply, so the
 * reply is complete when the connection closes; the plugin never half-closes (node's http server aborts a
 * request on the client's FIN, which lost every reply slower than a tick).
 */
export function httpPost(path: string, json: string): Uint8Array {
  const body = new TextEncoder().encode(json);
  const head =
    `POST ${path} HTTP/1.1\r\nHost: ipkeeper\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  const headBytes = new TextEncoder().encode(head);
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes, 0);
  out.set(body, headBytes.length);
  return out;
}

/** Parses a complete HTTP/1.1 reply (status line, headers, `Content-Length` or chunked body). */
export function parseHttpReply(raw: Uint8Array): HttpReply {
  const headEnd = indexOf(raw, CRLFCRLF, 0);
  if (headEnd < 0)
    throw new TransportError('EPROTO', 'the daemon closed the connection without a complete reply');
  const lines = latin1(raw.subarray(0, headEnd)).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status) throw new TransportError('EPROTO', `unexpected reply status line ${JSON.stringify(lines[0])}`);
  let chunked = false;
  let length = -1;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
    if (name === 'content-length') length = Number(value);
  }
  let body = raw.subarray(headEnd + 4);
  if (chunked) body = dechunk(body);
  else if (length >= 0) {
    if (body.length < length)
      throw new TransportError('EPROTO', 'the daemon closed the connection mid-reply');
    body = body.subarray(0, length);
  }
  return { status: Number(status[1]), body: new TextDecoder().decode(body) };
}

const CRLF = [13, 10];
const CRLFCRLF = [13, 10, 13, 10];

function indexOf(data: Uint8Array, needle: number[], from: number): number {
  outer: for (let i = from; i <= data.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (data[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

function dechunk(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = 0;
  for (;;) {
    const lineEnd = indexOf(data, CRLF, at);
    if (lineEnd < 0) throw new TransportError('EPROTO', 'truncated chunked reply');
    const size = parseInt(latin1(data.subarray(at, lineEnd)), 16);
    if (!Number.isFinite(size)) throw new TransportError('EPROTO', 'bad chunk size in reply');
    if (size === 0) break;
    const start = lineEnd + 2;
    if (start + size > data.length) throw new TransportError('EPROTO', 'truncated chunked reply');
    parts.push(data.subarray(start, start + size));
    total += size;
    at = start + size + 2;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
