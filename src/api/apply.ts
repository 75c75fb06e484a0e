/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`, what `kubectl apply --server-side`, Flux
 * and Argo CD's server-side mode send), in the form that fits these kinds:
 *
 * - The applied configuration is merged into the live object: objects field by field, lists and scalars
 *   whole (these kinds' lists carry no merge keys, so they are atomic, as the API server treats such lists
 *   of a custom resource).
 * - Each manager's applied fields are recorded in `metadata.managedFields` (operation `Apply`, `FieldsV1`).
 *   A field the same manager applied before and leaves out now is removed; fields it never applied are left
 *   as they are.
 * - Simplification, documented in docs/api.md: ownership is not contested between managers. A field another
 *   manager applied or edited is taken over, as with `--force-conflicts`, instead of answering 409.
 */
import { ApiError } from './errors.js';
import { cloneJson } from './object-meta.js';
import type { JsonValue } from './resource-service.js';

type JsonObj = { [k: string]: JsonValue };
const isObject = (v: unknown): v is JsonObj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Metadata the server owns or the URL decides: never part of a manager's field set, never merged. */
const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/** The FieldsV1 set of an applied configuration: every leaf it sets (a list counts as one leaf). */
export function fieldSetOf(applied: JsonObj): JsonObj {
  const walk = (v: JsonObj, top: boolean, inMetadata: boolean): JsonObj => {
    const out: JsonObj = {};
    for (const [k, child] of Object.entries(v)) {
      if (top && (k === 'apiVersion' || k === 'kind')) continue;
      if (inMetadata && SERVER_METADATA.has(k)) continue;
      if (child === null) continue;
      out[`f:${k}`] =
        isObject(child) && Object.keys(child).length > 0 ? walk(child, false, top && k === 'metadata') : {};
    }
    return out;
  };
  return walk(applied, true, false);
}

/**
 * Removes from `target` the fields `before` owns and `after` does not (both FieldsV1 trees). An empty set is
 * a field owned whole; a non-empty one owns only the fields inside, so the walk goes down into it, and a map
 * left empty by the manager it alone filled goes with its last field (metadata itself always stays).
 */
function removeDropped(target: JsonObj, before: JsonObj, after: JsonObj): void {
  for (const [key, sub] of Object.entries(before)) {
    if (!key.startsWith('f:')) continue;
    const name = key.slice(2);
    const kept = after[key];
    const child = target[name];
    if (!isObject(sub) || Object.keys(sub).length === 0) {
      if (kept === undefined) delete target[name];
    } else if (isObject(child)) {
      removeDropped(child, sub, isObject(kept) ? kept : {});
      if (kept === undefined && Object.keys(child).length === 0 && name !== 'metadata') delete target[name];
    }
  }
}

/**
 * Objects merge field by field; lists, scalars and explicit nulls (which delete) replace. Server-owned
 * metadata is not taken from the applied object, except resourceVersion: given, it is a precondition.
 */
function mergeApplied(target: JsonValue, applied: JsonValue, level: 'top' | 'metadata' | 'inner'): JsonValue {
  if (!isObject(applied)) return cloneJson(applied);
  const out: JsonObj = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(applied)) {
    if (level === 'metadata' && SERVER_METADATA.has(k) && k !== 'resourceVersion') continue;
    if (v === null) delete out[k];
    else out[k] = mergeApplied(out[k] ?? null, v, level === 'top' && k === 'metadata' ? 'metadata' : 'inner');
  }
  return out;
}

export interface ApplyContext {
  manager: string;
  /** RFC 3339 time recorded on the manager's entry. */
  now: string;
}

/**
 * The object after applying `applied` for `ctx.manager` to `current` (undefined when it does not exist yet:
 * the result is then the applied object itself, to be created).
 */
export function applyConfiguration(
  current: JsonObj | undefined,
  applied: JsonObj,
  ctx: ApplyContext,
): JsonObj {
  const fields = fieldSetOf(applied);
  const managed = (isObject(current?.['metadata']) ? current['metadata']['managedFields'] : undefined) ?? [];
  const entries = Array.isArray(managed) ? managed.filter(isObject) : [];
  const mine = (e: JsonObj): boolean => e['manager'] === ctx.manager && e['operation'] === 'Apply';
  const previous = entries.find(mine)?.['fieldsV1'];

  const base: JsonObj = current ? (cloneJson(current) as JsonObj) : {};
  if (isObject(previous)) removeDropped(base, previous, fields);
  const merged = mergeApplied(base, applied, 'top') as JsonObj;
  // The metadata merge skips server-owned fields; put the live ones back (name comes from the URL check).
  const meta: JsonObj = isObject(merged['metadata']) ? { ...merged['metadata'] } : {};
  const appliedMeta = isObject(applied['metadata']) ? applied['metadata'] : {};
  if (!current && typeof appliedMeta['name'] === 'string') meta['name'] = appliedMeta['name'];
  meta['managedFields'] = [
    ...entries.filter((e) => !mine(e)),
    {
      manager: ctx.manager,
      operation: 'Apply',
      apiVersion: typeof applied['apiVersion'] === 'string' ? applied['apiVersion'] : '',
      time: ctx.now,
      fieldsType: 'FieldsV1',
      fieldsV1: fields,
    },
  ];
  merged['metadata'] = meta;
  return merged;
}

/** Checks what an apply request must carry: a manager, and an object of this kind. */
export function checkApplyRequest(
  applied: JsonValue,
  manager: string | null,
  expected: { apiVersion: string; kind: string; name: string },
): JsonObj {
  if (!manager)
    throw ApiError.badRequest(
      'fieldManager is required for server-side apply (PATCH application/apply-patch+yaml): add ?fieldManager=NAME',
    );
  if (!isObject(applied)) throw ApiError.badRequest('an apply patch must be an object (YAML or JSON)');
  const { apiVersion, kind } = applied;
  if (apiVersion !== expected.apiVersion || kind !== expected.kind)
    throw ApiError.badRequest(
      `an apply patch must carry apiVersion: ${expected.apiVersion} and kind: ${expected.kind}, not ${String(apiVersion)} ${String(kind)}`,
    );
  const meta = applied['metadata'];
  const name = isObject(meta) ? meta['name'] : undefined;
  if (name !== expected.name)
    throw ApiError.badRequest(
      `metadata.name "${String(name ?? '')}" of the apply patch must match the name in the URL, "${expected.name}"`,
    );
  return applied;
}
