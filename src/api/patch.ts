/**
 * The two patch formats the API server accepts for custom resources: JSON merge patch (RFC 7386,
 * what `kubectl apply`, `edit`, `label`, `annotate` and `patch --type merge` send) and JSON patch
 * (RFC 6902). Strategic merge patch is refused for custom resources by the real server (415), so here too.
 */
import { ApiError } from './errors.js';
import { cloneJson, jsonEqual } from './object-meta.js';
import type { JsonValue } from './resource-service.js';

type JsonObj = { [k: string]: JsonValue };
const isObject = (v: unknown): v is JsonObj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
export function applyMergePatch(target: JsonValue, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return cloneJson(patch);
  const out: JsonObj = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k] ?? null, v);
  }
  return out;
}

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: JsonValue;
}

const patchError = (i: number, why: string): ApiError =>
  ApiError.badRequest(`json patch operation ${i}: ${why}`);

/** RFC 6901 pointer → tokens. */
function parsePointer(pointer: string, i: number): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchError(i, `path "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Container and last token of a pointer, validated to exist. */
function locate(
  doc: JsonValue,
  tokens: string[],
  i: number,
  pointer: string,
): { parent: JsonValue; key: string } {
  let cur: JsonValue = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const idx = Number(t);
      if (!/^\d+$/.test(t) || idx >= cur.length) throw patchError(i, `path "${pointer}" does not exist`);
      cur = cur[idx] ?? null;
    } else if (isObject(cur) && t in cur) cur = cur[t] ?? null;
    else throw patchError(i, `path "${pointer}" does not exist`);
  }
  return { parent: cur, key: tokens[tokens.length - 1] ?? '' };
}

function getAt(doc: JsonValue, pointer: string, i: number): JsonValue {
  const tokens = parsePointer(pointer, i);
  if (tokens.length === 0) return doc;
  const { parent, key } = locate(doc, tokens, i, pointer);
  if (Array.isArray(parent) && /^\d+$/.test(key) && Number(key) < parent.length)
    return parent[Number(key)] ?? null;
  if (isObject(parent) && key in parent) return parent[key] ?? null;
  throw patchError(i, `path "${pointer}" does not exist`);
}

function removeAt(doc: JsonValue, pointer: string, i: number): JsonValue {
  const tokens = parsePointer(pointer, i);
  if (tokens.length === 0) throw patchError(i, 'cannot remove the whole document');
  const { parent, key } = locate(doc, tokens, i, pointer);
  if (Array.isArray(parent)) {
    const idx = Number(key);
    if (!/^\d+$/.test(key) || idx >= parent.length) throw patchError(i, `path "${pointer}" does not exist`);
    return parent.splice(idx, 1)[0] ?? null;
  }
  if (isObject(parent) && key in parent) {
    const v = parent[key] ?? null;
    delete parent[key];
    return v;
  }
  throw patchError(i, `path "${pointer}" does not exist`);
}

function addAt(doc: JsonValue, pointer: string, value: JsonValue, i: number, replace: boolean): JsonValue {
  const tokens = parsePointer(pointer, i);
  if (tokens.length === 0) return value;
  const { parent, key } = locate(doc, tokens, i, pointer);
  if (Array.isArray(parent)) {
    const idx = key === '-' ? parent.length : Number(key);
    const limit = replace ? parent.length - 1 : parent.length;
    if ((key !== '-' && !/^\d+$/.test(key)) || idx > limit || (replace && key === '-')) {
      throw patchError(i, `array index in "${pointer}" is out of range`);
    }
    if (replace) parent[idx] = value;
    else parent.splice(idx, 0, value);
  } else if (isObject(parent)) {
    if (replace && !(key in parent))
      throw patchError(i, `path "${pointer}" does not exist (replace needs an existing value)`);
    parent[key] = value;
  } else {
    throw patchError(i, `parent of "${pointer}" is not an object or array`);
  }
  return doc;
}

/** Validate the shape of a JSON patch document. */
export function parseJsonPatch(body: JsonValue): JsonPatchOp[] {
  if (!Array.isArray(body)) throw ApiError.badRequest('a json patch must be a JSON array of operations');
  return body.map((raw, i) => {
    if (!isObject(raw)) throw patchError(i, 'must be an object');
    const { op, path, from } = raw;
    if (typeof op !== 'string' || !['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op)) {
      throw patchError(
        i,
        `unsupported "op" ${JSON.stringify(op)}; use add, remove, replace, move, copy or test`,
      );
    }
    if (typeof path !== 'string') throw patchError(i, 'missing "path"');
    if ((op === 'move' || op === 'copy') && typeof from !== 'string')
      throw patchError(i, `"${op}" needs "from"`);
    if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in raw))
      throw patchError(i, `"${op}" needs "value"`);
    return { op: op as JsonPatchOp['op'], path, from: from as string | undefined, value: raw['value'] };
  });
}

/** RFC 6902, all or nothing: the input is not modified. */
export function applyJsonPatch(target: JsonValue, ops: JsonPatchOp[]): JsonValue {
  let doc = cloneJson(target);
  ops.forEach((o, i) => {
    switch (o.op) {
      case 'add':
        doc = addAt(doc, o.path, cloneJson(o.value ?? null), i, false);
        break;
      case 'replace':
        doc = addAt(doc, o.path, cloneJson(o.value ?? null), i, true);
        break;
      case 'remove':
        removeAt(doc, o.path, i);
        break;
      case 'move': {
        const from = o.from ?? '';
        if (o.path.startsWith(`${from}/`))
          throw patchError(i, `cannot move "${from}" into its own child "${o.path}"`);
        const v = removeAt(doc, from, i);
        doc = addAt(doc, o.path, v, i, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, o.path, cloneJson(getAt(doc, o.from ?? '', i)), i, false);
        break;
      case 'test':
        if (!jsonEqual(getAt(doc, o.path, i), o.value ?? null)) {
          throw new ApiError(
            'Invalid',
            422,
            `the server rejected our request due to an error in our request: testing value ${o.path} failed`,
          );
        }
        break;
    }
  });
  return doc;
}
