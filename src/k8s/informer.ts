import { type KubernetesObject, ListWatch, type Watch } from '@kubernetes/client-node';
import { type KubeHttp } from './http.js';
import { type RawObject } from './objects.js';
import { type StreamWatchOptions, StreamWatch } from './stream-watch.js';

export type InformerEventType = 'add' | 'update' | 'delete' | 'resync';

/** Logging hook of the k8s layer (the daemon passes its logger). */
export type K8sLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export interface InformerOptions extends StreamWatchOptions {
  /** What it watches, for logs: `pods`, `cronjobs.batch`. */
  name: string;
  /** The collection's path, e.g. `/api/v1/pods`. */
  path: string;
  http: KubeHttp;
  /** Every cached object is replayed as a `resync` event this often (default 10 min; 0: never). */
  resyncMs?: number;
  /** Page size of the initial list (default 500). */
  pageSize?: number;
  log?: K8sLog;
}

interface ListPage<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/**
 * One informer (K8S-1): client-node's ListWatch keeps the cache, relists on `410 Gone` and turns a relist
 * into delete events for what vanished meanwhile; this adds what it leaves to its caller: a paged list,
 * a watch with deadlines (StreamWatch), restart with backoff after any error (API server restarted or
 * unreachable), a synced flag, and a periodic resync. It feeds events to its handlers and decides nothing.
 */
export class Informer<T extends RawObject> {
  // client-node types metadata timestamps as Date (its typed clients parse them); here objects stay the
  // JSON the server sent, so the cache is typed as client-node's and read back as RawObject.
  private readonly lw: ListWatch<KubernetesObject>;
  private readonly handlers: ((type: InformerEventType, obj: T) => void)[] = [];
  private syncedOnce = false;
  private readonly syncWaiters: (() => void)[] = [];
  private stopped = true;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Set when the last list or watch attempt failed; cleared by the next event or list. */
  lastError: string | undefined;
  /** Full lists made (the first, and every relist after a 410 Gone or an unknown resourceVersion). */
  lists = 0;

  constructor(private readonly opts: InformerOptions) {
    const watch = new StreamWatch(opts.http, opts);
    // StreamWatch has the shape ListWatch calls (watch(path, params, callback, done) → {abort}).
    this.lw = new ListWatch<KubernetesObject>(
      opts.path,
      watch as unknown as Watch,
      async () =>
        (await this.listAll()) as unknown as {
          items: KubernetesObject[];
          metadata: { resourceVersion: string };
        },
      false,
    );
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.lw.on(verb, (obj: KubernetesObject) => {
        this.recovered();
        this.emit(verb, obj as unknown as T);
      });
    }
    this.lw.on('error', (err: unknown) => this.restartLater(err));
  }

  /** Registers an event handler (before start()). */
  on(handler: (type: InformerEventType, obj: T) => void): void {
    this.handlers.push(handler);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.lw.start();
    const every = this.opts.resyncMs ?? 600_000;
    if (every > 0) {
      this.resyncTimer = setInterval(() => this.resync(), every);
      this.resyncTimer.unref();
    }
  }

  /** True once the first full list is in the cache. */
  get synced(): boolean {
    return this.syncedOnce;
  }

  whenSynced(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((ok) => this.syncWaiters.push(ok));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.lw.get(name, namespace) as unknown as T | undefined;
  }

  list(): readonly T[] {
    return this.lw.list() as unknown as T[];
  }

  /** Replays every cached object as a `resync` event (level-triggered consumers re-check everything). */
  resync(): void {
    if (!this.syncedOnce) return;
    for (const obj of this.list()) this.emit('resync', obj);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.resyncTimer);
    await this.lw.stop();
  }

  private emit(type: InformerEventType, obj: T): void {
    for (const h of this.handlers) h(type, obj);
  }

  /** Every page of the collection, at one resourceVersion (the first page's). */
  private async listAll(): Promise<{ items: T[]; metadata: { resourceVersion: string } }> {
    const items: T[] = [];
    let resourceVersion = '';
    let token: string | undefined;
    do {
      const q = new URLSearchParams({ limit: String(this.opts.pageSize ?? 500) });
      if (token) q.set('continue', token);
      const page = await this.opts.http.ok<ListPage<T>>({ method: 'GET', path: `${this.opts.path}?${q}` });
      const trim = this.opts.trim;
      for (const item of page.items ?? [])
        items.push(trim ? (trim(item as unknown as Record<string, unknown>) as unknown as T) : item);
      resourceVersion ||= page.metadata?.resourceVersion ?? '';
      token = page.metadata?.continue || undefined;
    } while (token);
    this.lists++;
    // ListWatch fills its cache right after this resolves, in the same turn; synced counts from then.
    setImmediate(() => this.markSynced());
    return { items, metadata: { resourceVersion } };
  }

  private markSynced(): void {
    this.recovered();
    if (this.syncedOnce) return;
    this.syncedOnce = true;
    for (const ok of this.syncWaiters.splice(0)) ok();
  }

  /** After failures: the API server answers again (said once, for operators watching an outage end). */
  private recovered(): void {
    if (this.failures > 0)
      this.opts.log?.('info', 'informer reconnected', { informer: this.opts.name, after: this.failures });
    this.failures = 0;
    this.lastError = undefined;
  }

  /**
   * ListWatch stops after an error other than 410; start it again after a backoff (1 s doubling to 30 s).
   * It keeps its resourceVersion, so the next watch resumes where it was, or relists if that is too old.
   */
  private restartLater(err: unknown): void {
    if (this.stopped) return;
    this.failures++;
    this.lastError = err instanceof Error ? err.message : String(err);
    const delay = Math.min(1000 * 2 ** Math.min(this.failures - 1, 5), 30_000);
    this.opts.log?.(this.failures === 1 ? 'warn' : 'debug', 'informer lost the API server; retrying', {
      informer: this.opts.name,
      error: this.lastError,
      retryInMs: delay,
    });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) void this.lw.start();
    }, delay);
    this.restartTimer.unref();
  }
}
