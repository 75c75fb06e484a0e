/**
 * An in-memory ResourceService used ONLY by the API tests: a stand-in for the domain service
 * (src/service), which is built elsewhere. It keeps objects, a global resourceVersion counter and a
 * per-kind event log for watches, applies the generic metadata rules of src/api/object-meta.ts, and
 * does no IP allocation and no domain validation.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiError } from '../../src/api/errors.js';
import { kindByName, subjectOf } from '../../src/api/kinds/index.js';
import { sliceSorted } from '../../src/api/paging.js';
import { cloneJson } from '../../src/api/object-meta.js';
import {
  generateNameSuffix,
  prepareCreate,
  prepareDelete,
  prepareStatusUpdate,
  prepareUpdate,
  type KindContext,
} from './object-meta-rules.js';
import type {
  DeleteOptions,
  KindName,
  KubeObject,
  ListOptions,
  ListResult,
  ResourceService,
  WatchEvent,
  WriteOptions,
} from '../../src/api/resource-service.js';

interface Logged {
  rv: number;
  event: WatchEvent;
}

export interface MemoryServiceOptions {
  /** Events kept per kind for watches from an old resourceVersion (older → 410). */
  historyLimit?: number;
  now?: () => Date;
}

export class MemoryResourceService implements ResourceService {
  private readonly objects = new Map<KindName, Map<string, KubeObject>>();
  private readonly history = new Map<KindName, Logged[]>();
  private readonly subscribers = new Map<KindName, Set<(e: WatchEvent) => void>>();
  private rv = 100;
  private readonly historyLimit: number;
  private readonly now: () => Date;
  /** Every write call, for tests that check "nothing changed" (dry runs, rejected input). */
  readonly writes: { op: string; kind: KindName; dryRun: boolean }[] = [];

  constructor(opts: MemoryServiceOptions = {}) {
    this.historyLimit = opts.historyLimit ?? 1000;
    this.now = opts.now ?? (() => new Date());
  }

  private table(kind: KindName): Map<string, KubeObject> {
    let t = this.objects.get(kind);
    if (!t) this.objects.set(kind, (t = new Map()));
    return t;
  }

  private ctx(kind: KindName): KindContext {
    const def = kindByName(kind);
    const { name: _n, ...who } = subjectOf(def, '');
    return { who, hasStatus: def.status !== undefined };
  }

  private nextRv(): string {
    this.rv += 1;
    return String(this.rv);
  }

  private publish(kind: KindName, event: WatchEvent): void {
    const log = this.history.get(kind) ?? [];
    log.push({ rv: Number(event.object.metadata.resourceVersion), event: cloneJson(event) });
    if (log.length > this.historyLimit) log.splice(0, log.length - this.historyLimit);
    this.history.set(kind, log);
    for (const s of this.subscribers.get(kind) ?? []) s(cloneJson(event));
  }

  /** Put an object in place as-is (test setup: e.g. a Subnet with a given status). */
  seed(kind: KindName, obj: KubeObject): KubeObject {
    const stored = prepareCreate(obj, {
      ...this.ctx(kind),
      uid: randomUUID(),
      now: this.now(),
      resourceVersion: this.nextRv(),
    });
    if (obj.status) stored.status = cloneJson(obj.status);
    this.table(kind).set(stored.metadata.name ?? '', stored);
    this.publish(kind, { type: 'ADDED', object: stored });
    return cloneJson(stored);
  }

  get(kind: KindName, name: string): KubeObject | undefined {
    const o = this.table(kind).get(name);
    return o ? cloneJson(o) : undefined;
  }

  list(kind: KindName, options?: ListOptions): ListResult {
    const items = [...this.table(kind).values()].sort((a, b) =>
      (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1,
    );
    const page = sliceSorted(items, options);
    return { ...page, items: page.items.map((o) => cloneJson(o)), resourceVersion: String(this.rv) };
  }

  async create(kind: KindName, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    this.writes.push({ op: 'create', kind, dryRun: opts.dryRun });
    const ctx = this.ctx(kind);
    const rv = opts.dryRun ? String(this.rv) : this.nextRv();
    const stored = prepareCreate(obj, {
      ...ctx,
      uid: randomUUID(),
      now: this.now(),
      resourceVersion: rv,
      nameSuffix: generateNameSuffix(randomBytes(5)),
    });
    const name = stored.metadata.name ?? '';
    if (this.table(kind).has(name)) throw ApiError.alreadyExists({ ...ctx.who, name });
    if (opts.dryRun) return stored;
    this.table(kind).set(name, stored);
    this.publish(kind, { type: 'ADDED', object: stored });
    return cloneJson(stored);
  }

  private current(kind: KindName, name: string): KubeObject {
    const cur = this.table(kind).get(name);
    if (!cur) throw ApiError.notFound({ ...this.ctx(kind).who, name });
    return cur;
  }

  async update(kind: KindName, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    this.writes.push({ op: 'update', kind, dryRun: opts.dryRun });
    const name = obj.metadata.name ?? '';
    const cur = this.current(kind, name);
    const result = prepareUpdate(cur, obj, {
      ...this.ctx(kind),
      resourceVersion: opts.dryRun ? (cur.metadata.resourceVersion ?? '') : String(this.rv + 1),
    });
    if (opts.dryRun) return result.object;
    this.nextRv();
    if (result.finalized) {
      this.table(kind).delete(name);
      this.publish(kind, { type: 'DELETED', object: result.object });
    } else {
      this.table(kind).set(name, result.object);
      this.publish(kind, { type: 'MODIFIED', object: result.object });
    }
    return cloneJson(result.object);
  }

  async updateStatus(kind: KindName, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    this.writes.push({ op: 'updateStatus', kind, dryRun: opts.dryRun });
    const name = obj.metadata.name ?? '';
    const cur = this.current(kind, name);
    const next = prepareStatusUpdate(cur, obj, {
      ...this.ctx(kind),
      resourceVersion: opts.dryRun ? (cur.metadata.resourceVersion ?? '') : String(this.rv + 1),
    });
    if (opts.dryRun) return next;
    this.nextRv();
    this.table(kind).set(name, next);
    this.publish(kind, { type: 'MODIFIED', object: next });
    return cloneJson(next);
  }

  async delete(kind: KindName, name: string, opts: DeleteOptions): Promise<KubeObject> {
    this.writes.push({ op: 'delete', kind, dryRun: opts.dryRun });
    const cur = this.current(kind, name);
    const decision = prepareDelete(cur, {
      ...this.ctx(kind),
      now: this.now(),
      resourceVersion: String(this.rv + 1),
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    });
    if (opts.dryRun) return decision.action === 'removed' ? cloneJson(cur) : decision.object;
    if (decision.action === 'terminating') {
      if (!decision.changed) return cloneJson(cur);
      this.nextRv();
      this.table(kind).set(name, decision.object);
      this.publish(kind, { type: 'MODIFIED', object: decision.object });
      return cloneJson(decision.object);
    }
    const gone = cloneJson(cur);
    gone.metadata.resourceVersion = this.nextRv();
    this.table(kind).delete(name);
    this.publish(kind, { type: 'DELETED', object: gone });
    return gone;
  }

  watch(
    kind: KindName,
    fromResourceVersion: string | undefined,
    onEvent: (e: WatchEvent) => void,
  ): () => void {
    const from =
      fromResourceVersion === undefined || fromResourceVersion === '' ? this.rv : Number(fromResourceVersion);
    if (!Number.isInteger(from))
      throw ApiError.badRequest(`resourceVersion "${fromResourceVersion}" is not valid`);
    const log = this.history.get(kind) ?? [];
    const oldest = log[0]?.rv;
    if (from < this.rv && oldest !== undefined && from < oldest - 1)
      throw ApiError.gone(`too old resource version: ${from} (${oldest})`);
    for (const l of log) if (l.rv > from) onEvent(cloneJson(l.event));
    let subs = this.subscribers.get(kind);
    if (!subs) this.subscribers.set(kind, (subs = new Set()));
    const s = (e: WatchEvent): void => onEvent(e);
    subs.add(s);
    return () => subs.delete(s);
  }
}
