/**
 * Generic metadata rules of every served kind, as the stand-in ResourceService of the API tests applies
 * them (test/support/memory-resource-service.ts; the real service keeps its own in
 * src/service/object-meta.ts). A pure module: no clock, no randomness, no I/O — time, uid, resourceVersion
 * and the generateName suffix are parameters.
 *
 * Rules (as the Kubernetes API server applies them to custom resources):
 * - create: `name` or `generateName` required; the server sets uid, creationTimestamp, resourceVersion,
 *   generation 1; deletion fields and (for kinds with a status subresource) status are dropped.
 * - update: `metadata.resourceVersion` is required and must match; name and uid are immutable;
 *   creationTimestamp, deletion fields and generation are copied from the stored object; generation
 *   grows by one only when the spec changes; status is kept (it changes only through `/status`).
 *   No finalizer may be added to a terminating object; removing the last one finalizes (deletes) it.
 * - delete: preconditions must match; with finalizers the object is only marked terminating.
 */
import { ApiError, fieldCause, type ErrorSubject, type StatusCause } from '../../src/api/errors.js';
import { cloneJson, jsonEqual, validateObjectMeta } from '../../src/api/object-meta.js';
import type {
  DeletePreconditions,
  JsonValue,
  KubeObject,
  ObjectMeta,
} from '../../src/api/resource-service.js';

/** Which kind an operation is about (to word errors), and whether it has a status subresource. */
export interface KindContext {
  /** `ErrorSubject` without the name, e.g. from `subjectOf(def, '')`. */
  who: Omit<ErrorSubject, 'name'>;
  hasStatus: boolean;
}

/** What a create needs from the outside world. */
export interface CreateContext extends KindContext {
  uid: string;
  now: Date;
  resourceVersion: string;
  /** Appended to `generateName` (see {@link generateNameSuffix}). */
  nameSuffix?: string;
}

export interface UpdateContext extends KindContext {
  /** The resourceVersion the updated object will carry. */
  resourceVersion: string;
}

export interface UpdateResult {
  object: KubeObject;
  /** The spec differs from the stored one (generation was bumped). */
  specChanged: boolean;
  /** A terminating object lost its last finalizer: the caller must delete it now. */
  finalized: boolean;
}

export interface DeleteContext extends KindContext {
  now: Date;
  /** The resourceVersion a newly terminating object will carry. */
  resourceVersion: string;
  preconditions?: DeletePreconditions;
}

/** `removed`: delete it now. `terminating`: store `object` (changed=false when it already was). */
export type DeleteDecision =
  { action: 'removed' } | { action: 'terminating'; object: KubeObject; changed: boolean };

const subject = (ctx: KindContext, name: string): ErrorSubject => ({ ...ctx.who, name });

/** RFC 3339 in UTC with seconds precision, as Kubernetes writes timestamps: `2024-01-29T03:05:40Z`. */
export function formatTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A 5-character generateName suffix from 5 random bytes, with Kubernetes' alphabet (no vowels, no look-alikes). */
export function generateNameSuffix(randomBytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[(randomBytes[i] ?? 0) % SUFFIX_ALPHABET.length];
  return s;
}

/** Whether the spec differs (the generation rule). */
export function specChanged(before: KubeObject, after: KubeObject): boolean {
  return !jsonEqual(before.spec ?? {}, after.spec ?? {});
}

function fail(ctx: KindContext, name: string, causes: StatusCause[]): never {
  throw ApiError.invalid(subject(ctx, name), causes);
}

/** The object to store for a create. Throws `ApiError` Invalid for bad metadata. */
export function prepareCreate(obj: KubeObject, ctx: CreateContext): KubeObject {
  const out = cloneJson(obj);
  const meta: ObjectMeta = out.metadata ?? {};
  out.metadata = meta;
  if (!meta.name && meta.generateName) {
    if (!ctx.nameSuffix) throw new Error('prepareCreate: generateName needs ctx.nameSuffix');
    meta.name = `${meta.generateName}${ctx.nameSuffix}`;
  }
  if (!meta.name)
    fail(ctx, '', [fieldCause('FieldValueRequired', 'metadata.name', 'name or generateName is required')]);
  const causes = validateObjectMeta(meta);
  if (causes.length > 0) fail(ctx, meta.name, causes);
  meta.uid = ctx.uid;
  meta.creationTimestamp = formatTimestamp(ctx.now);
  meta.resourceVersion = ctx.resourceVersion;
  meta.generation = 1;
  // Cluster-scoped: a namespace in the body is meaningless; deletion state is never user-set.
  delete meta.namespace;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (ctx.hasStatus) delete out.status;
  return out;
}

function checkResourceVersion(current: KubeObject, incoming: KubeObject, ctx: KindContext): void {
  const name = current.metadata.name ?? '';
  const rv = incoming.metadata.resourceVersion;
  if (rv === undefined || rv === '') {
    fail(ctx, name, [
      fieldCause('FieldValueInvalid', 'metadata.resourceVersion', 'must be specified for an update', '0x0'),
    ]);
  }
  if (rv !== current.metadata.resourceVersion) throw ApiError.conflict(subject(ctx, name));
}

/** The object to store for an update of spec and metadata. */
export function prepareUpdate(current: KubeObject, incoming: KubeObject, ctx: UpdateContext): UpdateResult {
  const name = current.metadata.name ?? '';
  const out = cloneJson(incoming);
  out.metadata = out.metadata ?? {};
  const meta = out.metadata;
  if (meta.name !== name) {
    fail(ctx, name, [
      fieldCause('FieldValueInvalid', 'metadata.name', 'field is immutable', meta.name ?? ''),
    ]);
  }
  checkResourceVersion(current, out, ctx);
  if (meta.uid && meta.uid !== current.metadata.uid) {
    fail(ctx, name, [fieldCause('FieldValueInvalid', 'metadata.uid', 'field is immutable', meta.uid)]);
  }
  const causes = validateObjectMeta(meta);
  if (causes.length > 0) fail(ctx, name, causes);
  const cur = current.metadata;
  const terminating = cur.deletionTimestamp !== undefined;
  if (terminating) {
    const added = (meta.finalizers ?? []).filter((f) => !(cur.finalizers ?? []).includes(f));
    if (added.length > 0) {
      throw ApiError.forbidden(
        subject(ctx, name),
        `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
        [
          fieldCause(
            'FieldValueForbidden',
            'metadata.finalizers',
            `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          ),
        ],
      );
    }
  }
  const changed = specChanged(current, out);
  for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
    if (cur[k] === undefined) delete meta[k];
    else (meta as Record<string, unknown>)[k] = cur[k];
  }
  delete meta.namespace;
  meta.generation = (cur.generation ?? 1) + (changed ? 1 : 0);
  meta.resourceVersion = ctx.resourceVersion;
  if (ctx.hasStatus) {
    if (current.status === undefined) delete out.status;
    else out.status = cloneJson(current.status);
  } else {
    delete out.status;
  }
  if (!meta.finalizers || meta.finalizers.length === 0) delete meta.finalizers;
  return {
    object: out,
    specChanged: changed,
    finalized: terminating && (meta.finalizers ?? []).length === 0,
  };
}

/** The object to store for a `/status` update: the stored object with the incoming status. */
export function prepareStatusUpdate(
  current: KubeObject,
  incoming: KubeObject,
  ctx: UpdateContext,
): KubeObject {
  const name = current.metadata.name ?? '';
  if (!ctx.hasStatus)
    throw new ApiError(
      'NotFound',
      404,
      `the server could not find the requested resource (status of ${ctx.who.resource} "${name}")`,
    );
  if ((incoming.metadata?.name ?? name) !== name) {
    fail(ctx, name, [
      fieldCause('FieldValueInvalid', 'metadata.name', 'field is immutable', incoming.metadata.name ?? ''),
    ]);
  }
  checkResourceVersion(current, incoming, ctx);
  const out = cloneJson(current);
  const status = incoming.status as JsonValue | undefined;
  if (status === undefined || status === null) delete out.status;
  else out.status = cloneJson(incoming.status);
  out.metadata.resourceVersion = ctx.resourceVersion;
  return out;
}

/** What a delete does to `current`. */
export function prepareDelete(current: KubeObject, ctx: DeleteContext): DeleteDecision {
  const name = current.metadata.name ?? '';
  const pre = ctx.preconditions;
  if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
    throw ApiError.conflict(
      subject(ctx, name),
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
    );
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw ApiError.conflict(
      subject(ctx, name),
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`,
    );
  }
  if ((current.metadata.finalizers ?? []).length === 0) return { action: 'removed' };
  if (current.metadata.deletionTimestamp !== undefined)
    return { action: 'terminating', object: current, changed: false };
  const out = cloneJson(current);
  out.metadata.deletionTimestamp = formatTimestamp(ctx.now);
  out.metadata.deletionGracePeriodSeconds = 0;
  out.metadata.resourceVersion = ctx.resourceVersion;
  return { action: 'terminating', object: out, changed: true };
}
