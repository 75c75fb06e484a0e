import { connect } from 'node:net';

/** What {@link postJson} reports back: the HTTP status and the raw body text. */
export interface HttpReply {
  status: number;
  body: string;
}

/** Why a request to the daemon did not produce an HTTP reply. `code` is the socket error code when known. */
export class TransportError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}

/**
 * Sends one HTTP/1.1 `POST` with a JSON body over a unix socket and resolves with the reply.
 *
 * Why raw `node:net` instead of `node:http`: the plugin is a fresh process per CNI call, so module loading
 * is most of its cost; `node:http` adds its parser, agent and stream layers for one request/one reply
 * (docs/cni.md has the measurement). The request is built as one string with `Connection: close`, so the
 * reply ends when the daemon closes the connection (the plugin never half-closes: see `connect`);
 * `Content-Length` and chunked replies are both decoded.
 */
export function postJson(
  socketPath: string,
  path: string,
  json: string,
  timeoutMs: number,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(json, 'utf8');
    const head =
      `POST ${path} HTTP/1.1\r\nHost: ipkeeper\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const chunks: Buffer[] = [];
    const socket = connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy(new TransportError('ETIMEDOUT', `no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => {
      // No half-close (`end(body)`): node's http server, on the client's FIN, aborts the request and closes
      // the socket, so a reply that takes longer than a tick (GC, a queued commit) was lost. The reply's
      // `Connection: close` ends the exchange instead.
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err instanceof TransportError ? err : new TransportError(err.code ?? 'EIO', err.message));
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(parseHttpReply(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** Parses a complete HTTP/1.1 reply (status line, headers, body). Exported for tests. */
export function parseHttpReply(raw: Buffer): HttpReply {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0)
    throw new TransportError('EPROTO', 'the daemon closed the connection without a complete reply');
  const lines = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
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
  return { status: Number(status[1]), body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) throw new TransportError('EPROTO', 'truncated chunked reply');
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) throw new TransportError('EPROTO', 'bad chunk size in reply');
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (start + size > data.length) throw new TransportError('EPROTO', 'truncated chunked reply');
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}
