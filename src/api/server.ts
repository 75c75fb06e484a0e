/**
 * The API server factory. `createApiServer` wires the pieces and returns a request handler (usable
 * in-process) plus `listen`/`close`; no port is opened until `listen` is called (lesson 12).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { authenticate, UNAUTHENTICATED_PATHS } from './auth.js';
import { DEFAULT_BODY_LIMIT } from './body.js';
import {
  aggregatedDiscoveryList,
  apiGroup,
  apiGroupList,
  apiResourceList,
  coreApiVersions,
  versionInfo,
} from './discovery.js';
import { dispatchResource, MethodNotAllowed } from './dispatch.js';
import { ApiError } from './errors.js';
import { subjectOf } from './kinds/index.js';
import { silentLogger, type Logger } from './logger.js';
import { aggregatedDiscovery } from './negotiate.js';
import { toJson } from './json.js';
import {
  OPENAPI_V2_PROTOBUF,
  openApiV2Document,
  openApiV2Protobuf,
  openApiV3Document,
  openApiV3Index,
} from './openapi.js';
import type { ResourceRequest } from './request-context.js';
import type { ResourceService } from './resource-service.js';
import { sendError, sendObject } from './respond.js';
import { route, type Route } from './router.js';
import { toApiError } from './status.js';

/** PEM contents, or paths of PEM files (read when `listen` is called). */
export type TlsOptions =
  { cert: string | Buffer; key: string | Buffer } | { certFile: string; keyFile: string };

function loadTls(tls: TlsOptions): { cert: string | Buffer; key: string | Buffer } {
  return 'certFile' in tls ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } : tls;
}

export interface ApiServerOptions {
  service: ResourceService;
  /** Bearer token every request (except probes) must carry. Required unless `auth` is false. */
  token?: string;
  /** Set false to serve without authentication (tests, loopback development). Default true. */
  auth?: boolean;
  logger?: Logger;
  /** Largest accepted request body in bytes (default 3 MiB). */
  bodyLimit?: number;
  /** Serve HTTPS with this certificate. */
  tls?: TlsOptions;
  /** Shown in `/version`. */
  serverVersion?: string;
  /** Interval of watch bookmarks when a client allows them (default 60 s). */
  bookmarkIntervalMs?: number;
  /** `/readyz` answers 200 only while this returns true (default: always). */
  ready?: () => boolean;
  /**
   * Problems that do not stop the server from serving (e.g. stored objects not in effect): the probes still
   * answer 200, so clients can reach the API to fix them, but their body lists each one.
   */
  healthWarnings?: () => readonly string[];
  /**
   * Extra authenticated GET endpoints by path (the daemon's `/metrics` and history query). Each answers
   * with a content type and a body; thrown errors are mapped like any other.
   */
  extraRoutes?: Record<string, (query: URLSearchParams) => Promise<{ contentType: string; body: string }>>;
}

export interface ApiServer {
  /** The request handler, for in-process use (tests) or an existing server. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Open the port (0 = any free one). Resolves with the base URL. */
  listen(host: string, port: number): Promise<{ url: string; port: number }>;
  /** End open watches, stop accepting connections, close the port. Idempotent. */
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, body: unknown): void {
  sendObject(res, 200, body);
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const auth = opts.auth ?? true;
  if (auth && !opts.token) throw new Error('createApiServer: a token is required unless auth is false');
  const logger = opts.logger ?? silentLogger;
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const watches = new Set<() => void>();
  let server: Server | undefined;
  let closed = false;

  const trackWatch = (end: () => void): (() => void) => {
    watches.add(end);
    return () => watches.delete(end);
  };

  function serveDiscovery(r: Route, req: IncomingMessage, res: ServerResponse): boolean {
    switch (r.type) {
      case 'probe': {
        const ok = r.name !== 'readyz' || (opts.ready?.() ?? true);
        const warnings = opts.healthWarnings?.() ?? [];
        const body = !ok
          ? 'not ready'
          : warnings.length === 0
            ? 'ok'
            : `ok, with ${warnings.length} warning(s):\n${warnings.map((w) => `[!] ${w}`).join('\n')}\n`;
        res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
        res.end(body);
        return true;
      }
      case 'version':
        sendJson(res, versionInfo(opts.serverVersion ?? '0.1.0'));
        return true;
      case 'core-api':
      case 'api-groups': {
        const aggregated = aggregatedDiscovery(req.headers.accept);
        res.setHeader('Vary', 'Accept');
        if (aggregated) {
          const body = toJson(aggregatedDiscoveryList(r.type === 'core-api' ? 'core' : 'groups', aggregated));
          res.writeHead(200, {
            'Content-Type': `application/json;g=apidiscovery.k8s.io;v=${aggregated};as=APIGroupDiscoveryList`,
            'Content-Length': Buffer.byteLength(body),
          });
          res.end(body);
        } else sendJson(res, r.type === 'core-api' ? coreApiVersions() : apiGroupList());
        return true;
      }
      case 'api-group':
      case 'api-resources':
      case 'openapi-v3': {
        const doc =
          r.type === 'api-group'
            ? apiGroup(r.group)
            : r.type === 'api-resources'
              ? apiResourceList(r.group, r.version)
              : openApiV3Document(r.group, r.version);
        if (!doc) throw new ApiError('NotFound', 404, 'the server could not find the requested resource');
        sendJson(res, doc);
        return true;
      }
      case 'openapi-v3-index':
        sendJson(res, openApiV3Index());
        return true;
      default:
        return false;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const r = route(url.pathname);
    if (!UNAUTHENTICATED_PATHS.has(url.pathname) && auth) authenticate(req, opts.token ?? '');
    if (closed)
      throw new ApiError('ServiceUnavailable', 503, 'the server is shutting down', { retryAfterSeconds: 1 });
    const extra = opts.extraRoutes?.[url.pathname];
    if (extra) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowed(['GET']);
      const { contentType, body } = await extra(url.searchParams);
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (r.type === 'not-found') throw new ApiError('NotFound', 404, r.why);
    const method = req.method ?? 'GET';
    const isResource = r.type === 'collection' || r.type === 'item' || r.type === 'status';
    if (!isResource) {
      if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowed(['GET']);
      if (r.type === 'openapi-v2') {
        // client-go asks for protobuf only (kubectl, to validate a `kind: List`); others get JSON.
        const accept = req.headers.accept ?? '';
        if (accept.includes('protobuf') && !accept.includes('json') && !accept.includes('*/*')) {
          const body = openApiV2Protobuf();
          res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF, 'Content-Length': body.length });
          res.end(req.method === 'HEAD' ? undefined : body);
          return;
        }
        sendJson(res, openApiV2Document());
        return;
      }
      serveDiscovery(r, req, res);
      return;
    }
    const rr: ResourceRequest = {
      req,
      res,
      query: url.searchParams,
      def: r.def,
      name: r.type === 'collection' ? undefined : r.name,
      subresource: r.type === 'status' ? 'status' : undefined,
      watchPath: r.type === 'status' ? false : r.watchPath,
      service: opts.service,
      logger: log,
      bodyLimit,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
      trackWatch,
      warnings: [],
    };
    try {
      await dispatchResource(r, method, rr);
    } catch (e) {
      throw toApiError(e, subjectOf(r.def, rr.name ?? ''));
    }
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    const log = logger.child?.({ requestId: randomUUID() }) ?? logger;
    handle(req, res, log)
      .catch((err: unknown) => {
        const apiErr = toApiError(err);
        if (apiErr.code >= 500)
          log.error('request failed', {
            method: req.method,
            url: req.url,
            error: err instanceof Error ? err.stack : String(err),
          });
        if (res.headersSent) {
          res.destroy();
          return;
        }
        // Drain (but do not buffer) an unread body, so the client sees our answer instead of a reset.
        req.resume();
        sendError(res, apiErr, err instanceof MethodNotAllowed ? { Allow: err.allow.join(', ') } : {});
      })
      .finally(() => {
        res.once('finish', () =>
          log.info('request', {
            method: req.method,
            url: req.url,
            code: res.statusCode,
            ms: Date.now() - started,
          }),
        );
      });
  };

  return {
    handler,
    listen(host, port) {
      if (server) return Promise.reject(new Error('already listening'));
      const s = opts.tls ? createHttpsServer(loadTls(opts.tls), handler) : createHttpServer(handler);
      server = s;
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => {
          s.off('error', reject);
          const addr = s.address() as AddressInfo;
          const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
          resolve({ url: `${opts.tls ? 'https' : 'http'}://${shownHost}:${addr.port}`, port: addr.port });
        });
      });
    },
    async close() {
      closed = true;
      for (const end of [...watches]) end();
      const s = server;
      server = undefined;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeIdleConnections();
      });
    },
  };
}
