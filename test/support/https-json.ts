/**
 * One HTTPS request whose answer is read whole and parsed as JSON when it is JSON: the suites' raw clients
 * (the daemon's API with its token, the test cluster's API server with the admin's certificate) share it.
 */
import { type RequestOptions, request } from 'node:https';

export interface JsonReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

export interface JsonRequest {
  method: string;
  /** Extra headers (Accept is JSON; Content-Type and -Length are set for a body). */
  headers?: Record<string, string | number>;
  body?: string | Buffer | undefined;
  contentType?: string | undefined;
  timeoutMs: number;
  /** CA, client certificate and agent. */
  tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'agent'>;
}

/** Rejects only when the server cannot be reached or does not answer within `timeoutMs`. */
export function httpsJson(url: URL, r: JsonRequest): Promise<JsonReply> {
  const headers: Record<string, string | number> = { Accept: 'application/json', ...r.headers };
  if (r.body !== undefined) {
    headers['Content-Type'] = r.contentType ?? 'application/json';
    headers['Content-Length'] = Buffer.byteLength(r.body);
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method: r.method, headers, ...r.tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.setTimeout(r.timeoutMs, () =>
      req.destroy(new Error(`${r.method} ${url.pathname}${url.search} timed out`)),
    );
    req.on('error', reject);
    // A server that answers early (413) may close while we still write: the reply is what counts.
    req.end(r.body);
  });
}
