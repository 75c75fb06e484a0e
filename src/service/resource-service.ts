import { type Engine } from '../core/index.js';
import { type Store, type StoreOp, StoreError } from '../store/store.js';
import { ServiceError } from './errors.js';
import { type KeyedMutex } from './keyed-mutex.js';
import { type Proposals, proposeUntilCommitted, takenError } from './proposals.js';
import {
  type Change,
  type KindContext,
  type KindHandler,
  type ObjectRef,
  plainChange,
} from './kinds/kind.js';
import { forStorage, metaForCreate, metaForUpdate, nextGeneration, timestamp } from './object-meta.js';
import { checkDeletePreconditions, checkUpdatePreconditions } from './preconditions.js';
import { checkNoNewFinalizers, keptBy } from './termination.js';
import {
  API_VERSION,
  type DeleteOptions,
  type KindName,
  type KubeObject,
  type WatchEvent,
  type WriteOptions,
} from './types.js';
import { type WatchHub } from './watch-hub.js';

/** Which slice of a list to return (src/api ListOptions, structurally). */
export interface ListOptions {
  after?: string;
  limit?: number;
  filter?: (o: KubeObject) => boolean;
}

/** What the resource side shares with the CNI side of the service. */
export interface ResourceDeps {
  engine: Engine;
  store: Store;
  hub: WatchHub;
  locks: KeyedMutex;
  handlers: Record<KindName, KindHandler>;
  now: () => Date;
  /** The propose → commit loop's counters and this daemon's share of the spaces (several daemons, DUR-5). */
  proposals: Proposals;
}

export interface Entry {
  object: KubeObject;
  /** Revision the store holds for the object (its compare-and-swap version). */
  storedRevision: number;
  /** Newest revision at which its derived status changed (>= storedRevision); the served resourceVersion. */
  revision: number;
}

/**
 * Objects of the five kinds: an in-memory table that mirrors the store, every write validated by the kind's
 * handler against the engine, committed to the store in one batch with the engine's effects, and announced
 * to watchers. A failed commit undoes the engine change, so memory never runs ahead of the store.
 */
export class ResourceTable {
  private readonly tables = new Map<KindName, Map<string, Entry>>();
  /** Names per kind in order, rebuilt lazily after creates and deletes (a page is then O(page)). */
  private readonly sorted = new Map<KindName, string[]>();
  readonly ctx: KindContext;

  constructor(private readonly deps: ResourceDeps) {
    this.ctx = {
      engine: deps.engine,
      objects: {
        get: (kind, name) => this.table(kind).get(name)?.object,
        list: (kind) => objectsOf(this.table(kind).values()),
      },
    };
  }

  private table(kind: KindName): Map<string, Entry> {
    let t = this.tables.get(kind);
    if (!t) this.tables.set(kind, (t = new Map()));
    return t;
  }

  /**
   * Installs a stored object at start-up (no checks, no events). `servedRevision` is the resourceVersion it
   * is served with: for kinds whose status is derived, the store's newest revision, since when the status
   * last changed is not stored and a version a client saw must never go backwards.
   */
  install(kind: KindName, object: KubeObject, revision: number, servedRevision = revision): void {
    object.metadata.resourceVersion = String(revision);
    this.table(kind).set(object.metadata.name!, {
      object,
      storedRevision: revision,
      revision: servedRevision,
    });
    this.sorted.delete(kind);
  }

  entry(kind: KindName, name: string): Entry | undefined {
    return this.table(kind).get(name);
  }

  raw(kind: KindName, name: string): KubeObject | undefined {
    return this.table(kind).get(name)?.object;
  }

  rawList(kind: KindName): KubeObject[] {
    return [...this.table(kind).values()].map((e) => e.object);
  }

  private serve(kind: KindName, entry: Entry): KubeObject {
    const served = this.deps.handlers[kind].decorate(entry.object, this.ctx);
    return { ...served, metadata: { ...served.metadata, resourceVersion: String(entry.revision) } };
  }

  get(kind: KindName, name: string): KubeObject | undefined {
    const entry = this.table(kind).get(name);
    return entry && this.serve(kind, entry);
  }

  /**
   * Objects in name order, optionally one page of them: those after `after`, matching `filter`, at most
   * `limit` (the API's continue tokens carry the last name served).
   */
  list(
    kind: KindName,
    options: ListOptions = {},
  ): { items: KubeObject[]; resourceVersion: string; more: boolean; remaining: number } {
    const table = this.table(kind);
    let names = this.sorted.get(kind);
    if (!names) this.sorted.set(kind, (names = [...table.keys()].sort()));
    let i = 0;
    if (options.after !== undefined) {
      let hi = names.length;
      while (i < hi) {
        const mid = (i + hi) >> 1;
        if (names[mid]! <= options.after) i = mid + 1;
        else hi = mid;
      }
    }
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const items: KubeObject[] = [];
    for (; i < names.length; i++) {
      const entry = table.get(names[i]!)!;
      const served = this.serve(kind, entry);
      if (options.filter && !options.filter(served)) continue;
      if (items.length === limit) break;
      items.push(served);
    }
    return {
      items,
      resourceVersion: String(this.currentRevision),
      more: i < names.length,
      remaining: names.length - i,
    };
  }

  watch(kind: KindName, from: string | undefined, onEvent: (e: WatchEvent) => void): () => void {
    return this.deps.hub.watch(kind, from, () => this.list(kind).items, onEvent);
  }

  /** Newest revision known (store commits and status changes). */
  currentRevision = 0;

  async create(kind: KindName, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const metadata = metaForCreate(kind, obj, this.deps.now());
    const draft: KubeObject = { ...obj, apiVersion: API_VERSION[kind], kind, metadata };
    delete draft.status;
    return this.deps.locks.run(`${kind}/${metadata.name}`, () =>
      // An allocation another daemon's commit took first is proposed again with the next candidate.
      proposeUntilCommitted(async (avoid) => {
        if (this.table(kind).has(metadata.name!)) {
          throw new ServiceError('AlreadyExists', `${kind} "${metadata.name}" already exists`, {
            kind,
            name: metadata.name!,
          });
        }
        const change = this.deps.handlers[kind].create(draft, { ...this.ctx, avoid });
        return this.commit(kind, metadata.name!, undefined, change, opts.dryRun, 'ADDED');
      }, this.deps.proposals),
    );
  }

  async update(
    kind: KindName,
    obj: KubeObject,
    opts: WriteOptions,
    subresource?: 'status',
  ): Promise<KubeObject> {
    const name = obj.metadata?.name;
    if (!name)
      throw new ServiceError('Invalid', 'metadata.name is required', { kind, field: 'metadata.name' });
    return this.deps.locks.run(`${kind}/${name}`, async () => {
      const entry = this.table(kind).get(name);
      if (!entry) throw new ServiceError('NotFound', `${kind} "${name}" not found`, { kind, name });
      checkUpdatePreconditions(kind, entry, obj);
      const old = entry.object;
      // Status is derived from the engine; a status write changes nothing but is answered with the object.
      if (subresource === 'status') return this.serve(kind, entry);
      const draft: KubeObject = {
        ...obj,
        apiVersion: API_VERSION[kind],
        kind,
        metadata: metaForUpdate(old, obj),
      };
      delete draft.status;
      if (old.metadata.deletionTimestamp) {
        checkNoNewFinalizers(kind, old, draft);
        // The last finalizer that kept it was removed: the object goes now, and what it held goes with it.
        if (!keptBy(kind, draft)) return this.remove(kind, entry, opts.dryRun);
      }
      const change = this.deps.handlers[kind].update(old, draft, this.ctx);
      // Judged on the spec as it will be stored (after the kind's normalisation), not as sent.
      if (change.object) change.object.metadata.generation = nextGeneration(old, change.object);
      return this.commit(kind, name, entry, change, opts.dryRun, 'MODIFIED');
    });
  }

  async delete(kind: KindName, name: string, opts: DeleteOptions): Promise<KubeObject> {
    return this.deps.locks.run(`${kind}/${name}`, async () => {
      const entry = this.table(kind).get(name);
      if (!entry) throw new ServiceError('NotFound', `${kind} "${name}" not found`, { kind, name });
      checkDeletePreconditions(kind, entry, opts.preconditions);
      return this.deleteEntry(kind, entry, opts.dryRun);
    });
  }

  /**
   * Deletes an object the caller holds the lock of. Finalizers other than the server's own keep it, terminating,
   * with everything it holds (an IP its address, a subnet its configuration) until the last of them is removed:
   * an object that can still be read never shows an address that someone else may be given. Whether it could
   * go is checked now, so a refusal (a subnet in use) comes at the DELETE, not later.
   */
  async deleteEntry(kind: KindName, entry: Entry, dryRun: boolean, reason?: string): Promise<KubeObject> {
    const old = entry.object;
    if (old.metadata.deletionTimestamp) return this.serve(kind, entry);
    if (!keptBy(kind, old)) return this.remove(kind, entry, dryRun, reason);
    this.deps.handlers[kind].finalize(old, this.ctx, reason).undo();
    const terminating = {
      ...old,
      metadata: { ...old.metadata, deletionTimestamp: timestamp(this.deps.now()) },
    };
    return this.commit(kind, old.metadata.name!, entry, plainChange(terminating), dryRun, 'MODIFIED');
  }

  /** Removes the object now, undoing its effect on the engine (its address released, its config removed). */
  private remove(kind: KindName, entry: Entry, dryRun: boolean, reason?: string): Promise<KubeObject> {
    const change = this.deps.handlers[kind].finalize(entry.object, this.ctx, reason);
    return this.commit(
      kind,
      entry.object.metadata.name!,
      entry,
      { ...change, object: undefined },
      dryRun,
      'DELETED',
    );
  }

  /**
   * Commits one object change with its engine effects (and `extraOps`), or undoes the engine change.
   * Returns the object as served (for a removal, its last state).
   */
  async commit(
    kind: KindName,
    name: string,
    entry: Entry | undefined,
    change: Change,
    dryRun: boolean,
    type: WatchEvent['type'],
    extraOps: StoreOp[] = [],
  ): Promise<KubeObject> {
    const next = change.object;
    if (dryRun) {
      const shown = next ?? entry!.object;
      const served = this.deps.handlers[kind].decorate(shown, this.ctx);
      change.undo();
      return {
        ...served,
        metadata: { ...served.metadata, resourceVersion: entry ? String(entry.revision) : '' },
      };
    }
    const expectRevision = entry?.storedRevision ?? 0;
    const ops: StoreOp[] = [
      next
        ? { op: 'putObject', kind, name, body: forStorage(next), expectRevision }
        : { op: 'deleteObject', kind, name, expectRevision },
      ...change.ops,
      ...extraOps,
    ];
    const revision = await this.commitOps(ops, change.undo, { kind, name });
    const table = this.table(kind);
    let served: KubeObject;
    if (next) {
      const e: Entry = { object: next, storedRevision: revision, revision };
      next.metadata.resourceVersion = String(revision);
      if (!table.has(name)) this.sorted.delete(kind);
      table.set(name, e);
      served = this.serve(kind, e);
    } else {
      table.delete(name);
      this.sorted.delete(kind);
      served = this.serve(kind, { object: entry!.object, storedRevision: revision, revision });
    }
    this.deps.hub.emit(kind, revision, { type, object: served });
    this.touch(change.touched, revision);
    return served;
  }

  /** Commits a batch; on any failure undoes the engine change and throws the matching error. */
  async commitOps(
    ops: StoreOp[],
    undo: () => void,
    subject: { kind: string; name: string },
  ): Promise<number> {
    let result;
    try {
      result = await this.deps.store.commit(ops);
    } catch (e) {
      undo();
      if (e instanceof StoreError)
        throw new ServiceError('Unavailable', `the store could not commit: ${e.message}; try again`, {
          cause: e,
        });
      throw e;
    }
    if (!result.ok) {
      undo();
      const op = ops[result.index];
      if (result.reason === 'conflict' && op?.op === 'putObject' && op.expectRevision === 0) {
        // Created under this name by another daemon since this one last heard (DUR-5): as kube-apiserver says.
        throw new ServiceError('AlreadyExists', `${op.kind} "${op.name}" already exists`, subject);
      }
      if (result.reason === 'conflict') {
        throw new ServiceError(
          'Conflict',
          'the object has been modified; please apply your changes to the latest version and try again',
          subject,
        );
      }
      throw takenError(op, result.holder);
    }
    if (result.revision > this.currentRevision) this.currentRevision = result.revision;
    return result.revision;
  }

  /**
   * Installs an object as another daemon committed it (DUR-5): the table follows the store and watchers get
   * the event at the store's revision. The engine side (configuration, leases) is the replicator's.
   */
  applyRemote(kind: KindName, name: string, object: KubeObject | undefined, revision: number): void {
    const table = this.table(kind);
    const entry = table.get(name);
    if (revision > this.currentRevision) this.currentRevision = revision;
    if (object) {
      const e: Entry = { object, storedRevision: revision, revision };
      object.metadata.resourceVersion = String(revision);
      if (!entry) this.sorted.delete(kind);
      table.set(name, e);
      this.deps.hub.emit(kind, revision, { type: entry ? 'MODIFIED' : 'ADDED', object: this.serve(kind, e) });
    } else if (entry) {
      table.delete(name);
      this.sorted.delete(kind);
      const last = this.serve(kind, { ...entry, revision });
      this.deps.hub.emit(kind, revision, { type: 'DELETED', object: last });
    }
  }

  /** Announces a status change of objects whose counters moved. */
  touch(refs: readonly ObjectRef[], revision: number): void {
    const seen = new Set<string>();
    for (const ref of refs) {
      const id = `${ref.kind}/${ref.name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const entry = this.table(ref.kind).get(ref.name);
      if (!entry) continue;
      entry.revision = Math.max(entry.revision, revision);
      // Derived status is computed for watchers only; nobody else needs it now.
      if (this.deps.hub.watched(ref.kind))
        this.deps.hub.emit(ref.kind, revision, { type: 'MODIFIED', object: this.serve(ref.kind, entry) });
    }
  }
}

/** The objects of a table's entries, read as they are iterated (a lookup per CNI ADD copies nothing). */
function* objectsOf(entries: Iterable<Entry>): Iterable<KubeObject> {
  for (const e of entries) yield e.object;
}
