import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions, request as httpsRequest } from 'node:https';
import { type KubeConfig } from '@kubernetes/client-node';
import { ClusterError, toClusterError } from './errors.js';

export interface KubeResponse<T> {
  status: number;
  body: T;
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** Content type of a PATCH body (default merge patch). */
  contentType?: string;
  timeoutMs?: number;
}

/** A Kubernetes `Status` error body (what the API server answers with on failure). */
export interface KubeStatus {
  kind?: string;
  reason?: string;
  message?: string;
  code?: number;
}

/**
 * Plain JSON requests to the API server, authenticated as the kubeconfig says (client-node's KubeConfig
 * applies certificates, tokens, token files and exec plugins). Unlike the generated clients it keeps one
 * keep-alive connection pool (they open a new TLS connection per call) and leaves objects as the server
 * sent them, the same shape the watch delivers. Every call has a deadline; a refused connection or a
 * missed deadline is a ClusterError (code 11 at the CNI edge).
 */
export class KubeHttp {
  private agent: HttpAgent | HttpsAgent | undefined;

  constructor(
    readonly kc: KubeConfig,
    private readonly timeoutMs: number,
  ) {}

  /** The API server's base URL. */
  get server(): string {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new ClusterError('ApiUnreachable', 'the kubeconfig names no current cluster');
    return cluster.server.replace(/\/+$/, '');
  }

  /** Sends one request; answers with the status and the parsed body. Only transport failures throw. */
  async request<T>(req: KubeRequest): Promise<KubeResponse<T>> {
    const url = new URL(this.server + req.path);
    const opts: RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    const secure = url.protocol === 'https:';
    this.agent ??= secure
      ? new HttpsAgent({
          keepAlive: true,
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
          ...(opts.servername ? { servername: opts.servername } : {}),
        })
      : new HttpAgent({ keepAlive: true });
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string | number> = {
      ...(opts.headers as Record<string, string>),
      Accept: 'application/json',
      'User-Agent': 'ipkeeperd',
    };
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    if (payload) {
      headers['Content-Type'] =
        req.method === 'PATCH' ? (req.contentType ?? 'application/merge-patch+json') : 'application/json';
      headers['Content-Length'] = payload.length;
    }
    const doing = `${req.method} ${req.path}`;
    try {
      return await new Promise<KubeResponse<T>>((resolve, reject) => {
        const send = secure ? httpsRequest : httpRequest;
        const r = send(
          url,
          {
            method: req.method,
            headers,
            agent: this.agent,
            signal: AbortSignal.timeout(req.timeoutMs ?? this.timeoutMs),
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let body: unknown = text;
              try {
                body = text ? JSON.parse(text) : undefined;
              } catch {
                /* a non-JSON body (a proxy's error page) stays text */
              }
              resolve({ status: res.statusCode ?? 0, body: body as T });
            });
          },
        );
        r.on('error', reject);
        r.end(payload);
      });
    } catch (e) {
      throw toClusterError(e, doing);
    }
  }

  /** Like request(), but a status outside 2xx is a ClusterError naming the server's reason. */
  async ok<T>(req: KubeRequest): Promise<T> {
    const res = await this.request<T>(req);
    if (res.status >= 200 && res.status < 300) return res.body;
    throw statusError(req, res);
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}

/** A ClusterError for an API server's error answer. */
export function statusError(req: KubeRequest, res: KubeResponse<unknown>): ClusterError {
  const s = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as KubeStatus;
  const why = s.message ?? (typeof res.body === 'string' ? res.body.slice(0, 200) : '');
  return new ClusterError(
    'ApiError',
    `${req.method} ${req.path}: the Kubernetes API server answered ${res.status}${s.reason ? ` ${s.reason}` : ''}${why ? `: ${why}` : ''}`,
    { status: res.status },
  );
}
