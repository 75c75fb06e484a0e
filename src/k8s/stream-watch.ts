import { request as httpRequest, type ClientRequest } from 'node:http';
import { type RequestOptions, request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { type KubeHttp } from './http.js';

/** What client-node's ListWatch needs from a watch (the shape of its `Watch`). */
export interface WatchLike {
  watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }>;
}

export interface StreamWatchOptions {
  /** Asked of the server: it ends the watch after this long (default 300 s; client-go uses 5–10 min). */
  timeoutSeconds?: number;
  /** No response headers within this long → the watch fails (default 10 s). */
  connectTimeoutMs?: number;
  /** Applied to every object before it is handed on (the cache keeps only what it returns). */
  trim?: (obj: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * A watch stream with deadlines, for client-node's ListWatch (which keeps the cache, relists on 410 Gone
 * and diffs a relist into delete events). client-node's own Watch waits for response headers with no
 * deadline and never ends a silent connection, so an API server that stops answering (paused, or gone
 * without a FIN) would leave the informer waiting forever. Here the server is asked to end each watch
 * after `timeoutSeconds`, and a stream silent for longer than that (plus a margin) is cut, so the informer
 * reconnects and catches up by itself (K8S-1). Objects pass through `trim` first, so caches hold only
 * what is read.
 */
export class StreamWatch implements WatchLike {
  constructor(
    private readonly http: KubeHttp,
    private readonly options: StreamWatchOptions = {},
  ) {}

  async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }> {
    const timeoutSeconds = this.options.timeoutSeconds ?? 300;
    const url = new URL(this.http.server + path);
    for (const [k, v] of Object.entries(queryParams))
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    url.searchParams.set('watch', 'true');
    url.searchParams.set('allowWatchBookmarks', 'true');
    // Jitter, so many informers do not reconnect in step.
    url.searchParams.set('timeoutSeconds', String(Math.round(timeoutSeconds * (1 + Math.random() / 2))));
    let finished = false;
    let req: ClientRequest | undefined;
    let silence: NodeJS.Timeout | undefined;
    const finish = (err: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(silence);
      req?.destroy();
      done(err);
    };
    const cut = (ms: number, why: string): void => {
      clearTimeout(silence);
      silence = setTimeout(() => finish(Object.assign(new Error(why), { name: 'TimeoutError' })), ms);
      silence.unref();
    };
    try {
      const opts: RequestOptions = { headers: {} };
      await this.http.kc.applyToHTTPSOptions(opts);
      const secure = url.protocol === 'https:';
      req = (secure ? httpsRequest : httpRequest)(url, {
        method: 'GET',
        headers: { ...(opts.headers as Record<string, string>), Accept: 'application/json' },
        ...(secure
          ? {
              ca: opts.ca,
              cert: opts.cert,
              key: opts.key,
              ...(opts.rejectUnauthorized !== undefined
                ? { rejectUnauthorized: opts.rejectUnauthorized }
                : {}),
              ...(opts.servername ? { servername: opts.servername } : {}),
            }
          : {}),
      });
      cut(this.options.connectTimeoutMs ?? 10_000, `watch ${path}: no answer from the API server`);
      req.on('error', finish);
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            finish(
              Object.assign(
                new Error(
                  `watch ${path}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`,
                ),
                {
                  statusCode: res.statusCode,
                },
              ),
            ),
          );
          return;
        }
        const silentFor = (timeoutSeconds * 1.5 + 30) * 1000;
        cut(silentFor, `watch ${path}: the API server went silent`);
        res.on('data', () => cut(silentFor, `watch ${path}: the API server went silent`));
        const lost = (err: Error): void =>
          finish(
            new Error(`watch ${path}: the connection to the API server was lost (${err.message})`, {
              cause: err,
            }),
          );
        res.on('error', lost);
        res.on('end', () => finish(null));
        const lines = createInterface({ input: res });
        // readline re-emits the stream's errors (a reset connection): unhandled, they would end the process.
        lines.on('error', lost);
        lines.on('line', (line) => {
          if (finished || line.trim() === '') return;
          let event: { type: string; object: Record<string, unknown> };
          try {
            event = JSON.parse(line) as typeof event;
          } catch {
            return;
          }
          const obj =
            this.options.trim && event.type !== 'ERROR' && event.object
              ? this.options.trim(event.object)
              : event.object;
          callback(event.type, obj, event);
        });
      });
      req.end();
    } catch (e) {
      finish(e);
    }
    // An abort (ListWatch stopping or restarting the watch) ends it without calling done again.
    return {
      abort: () => {
        finished = true;
        clearTimeout(silence);
        req?.destroy();
      },
    };
  }
}
