/**
 * PATCH: read the current object, apply a merge patch or JSON patch, validate the result like a PUT
 * body, and update. Without a resourceVersion in the patch the update is retried on conflict (the
 * patch is re-applied to the fresh object), as the API server does; with one, a conflict is returned.
 */
import { parseBody, readBody } from './body.js';
import { decodeObject } from './decode.js';
import { ApiError, fieldCause, isApiError } from './errors.js';
import { subjectOf } from './kinds/index.js';
import { bodyTypeOf, unsupportedMediaType } from './negotiate.js';
import { applyJsonPatch, applyMergePatch, parseJsonPatch } from './patch.js';
import { getOr404 } from './read-handlers.js';
import type { ResourceRequest } from './request-context.js';
import type { JsonValue, KubeObject } from './resource-service.js';
import { sendWritten, writeOptions } from './write-handlers.js';

const ACCEPTED = ['application/json-patch+json', 'application/merge-patch+json'];
const MAX_ATTEMPTS = 5;

type Patcher = (current: JsonValue) => JsonValue;

async function readPatch(rr: ResourceRequest): Promise<Patcher> {
  const contentType = rr.req.headers['content-type'];
  const type = bodyTypeOf(contentType);
  if (type === 'merge-patch') {
    const patch = parseBody(await readBody(rr.req, rr.bodyLimit), 'json');
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
      throw ApiError.badRequest('a merge patch must be a JSON object');
    return (current) => applyMergePatch(current, patch);
  }
  if (type === 'json-patch') {
    const ops = parseJsonPatch(parseBody(await readBody(rr.req, rr.bodyLimit), 'json'));
    return (current) => applyJsonPatch(current, ops);
  }
  // Like the Kubernetes API server for custom resources: no strategic merge patch (these kinds carry
  // no patch strategy metadata) and no server-side apply (no field-manager bookkeeping here).
  throw unsupportedMediaType(contentType, ACCEPTED);
}

function resourceVersionOf(v: JsonValue): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const meta = v['metadata'];
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return undefined;
  const rv = meta['resourceVersion'];
  return typeof rv === 'string' ? rv : undefined;
}

export async function handlePatch(rr: ResourceRequest): Promise<void> {
  const opts = writeOptions(rr);
  const name = rr.name ?? '';
  const patcher = await readPatch(rr);
  for (let attempt = 1; ; attempt++) {
    const current = getOr404(rr, name);
    const currentValue = current as unknown as JsonValue;
    const patched = patcher(currentValue);
    const patchedRv = resourceVersionOf(patched);
    const pinned =
      patchedRv !== undefined && patchedRv !== '' && patchedRv !== current.metadata.resourceVersion;
    const decoded = decodeObject(rr.def, patched, opts.fieldValidation, undefined);
    const obj: KubeObject = decoded.object;
    if (obj.metadata.name !== name) {
      throw ApiError.invalid(subjectOf(rr.def, name), [
        fieldCause('FieldValueInvalid', 'metadata.name', 'field is immutable', obj.metadata.name ?? ''),
      ]);
    }
    if (!pinned) obj.metadata.resourceVersion = current.metadata.resourceVersion;
    try {
      const updated =
        rr.subresource === 'status'
          ? await rr.service.updateStatus(rr.def.kind, obj, opts)
          : await rr.service.update(rr.def.kind, obj, opts);
      rr.warnings.push(...decoded.warnings);
      sendWritten(rr, 200, updated);
      return;
    } catch (e) {
      const retry = !pinned && isApiError(e) && e.reason === 'Conflict' && attempt < MAX_ATTEMPTS;
      if (!retry) throw e;
    }
  }
}
