/**
 * PATCH: read the current object, apply a merge patch, JSON patch or server-side apply configuration,
 * validate the result like a PUT body, and update. Without a resourceVersion in the patch the update is
 * retried on conflict (the patch is re-applied to the fresh object), as the API server does; with one, a
 * conflict is returned. Server-side apply of an object that does not exist creates it (201).
 */
import { timestamp } from '../service/object-meta.js';
import { applyConfiguration, checkApplyRequest } from './apply.js';
import { parseBody, parseBodyDocument, readBody } from './body.js';
import { checkStrictDecoding, decodeObject } from './decode.js';
import { ApiError, fieldCause, isApiError } from './errors.js';
import { apiVersionOf, subjectOf } from './kinds/index.js';
import { bodyTypeOf, unsupportedMediaType } from './negotiate.js';
import { applyJsonPatch, applyMergePatch, parseJsonPatch } from './patch.js';
import { getOr404 } from './read-handlers.js';
import type { ResourceRequest } from './request-context.js';
import type { JsonValue, KubeObject } from './resource-service.js';
import { toApiError } from './status.js';
import { sendWritten, writeOptions } from './write-handlers.js';

const ACCEPTED = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];
const MAX_ATTEMPTS = 5;

type Patcher = (current: JsonValue | undefined) => JsonValue;

/** A JSON patch body; a field given twice is handled per fieldValidation, as in an object body. */
async function readJsonPatchBody(rr: ResourceRequest): Promise<JsonValue> {
  const body = parseBodyDocument(await readBody(rr.req, rr.bodyLimit), 'json');
  rr.warnings.push(...checkStrictDecoding(rr.def, writeOptions(rr).fieldValidation, body.duplicates));
  return body.value;
}

/** A patch as a function of the current object; `creates` when it may be applied to no object at all. */
async function readPatch(rr: ResourceRequest): Promise<{ patcher: Patcher; creates: boolean }> {
  const contentType = rr.req.headers['content-type'];
  const type = bodyTypeOf(contentType);
  if (type === 'merge-patch') {
    const patch = await readJsonPatchBody(rr);
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
      throw ApiError.badRequest('a merge patch must be a JSON object');
    return { patcher: (current) => applyMergePatch(current ?? null, patch), creates: false };
  }
  if (type === 'json-patch') {
    const ops = parseJsonPatch(await readJsonPatchBody(rr));
    return { patcher: (current) => applyJsonPatch(current ?? null, ops), creates: false };
  }
  if (type === 'apply-patch') {
    const manager = rr.query.get('fieldManager');
    const applied = checkApplyRequest(parseBody(await readBody(rr.req, rr.bodyLimit), 'yaml'), manager, {
      apiVersion: apiVersionOf(rr.def),
      kind: rr.def.kind,
      name: rr.name ?? '',
    });
    return {
      patcher: (current) =>
        applyConfiguration(current as Record<string, JsonValue> | undefined, applied, {
          manager: manager!,
          now: timestamp(new Date()),
        }),
      creates: rr.subresource !== 'status',
    };
  }
  // Like the Kubernetes API server for custom resources: no strategic merge patch (these kinds carry
  // no patch strategy metadata).
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
  const { patcher, creates } = await readPatch(rr);
  for (let attempt = 1; ; attempt++) {
    if (creates && !rr.service.get(rr.def.kind, name)) {
      const decoded = decodeObject(rr.def, patcher(undefined), opts.fieldValidation, name);
      try {
        const created = await rr.service.create(rr.def.kind, decoded.object, opts);
        rr.warnings.push(...decoded.warnings);
        sendWritten(rr, 201, created);
        return;
      } catch (e) {
        // Created by someone else meanwhile: apply to theirs.
        const err = toApiError(e, subjectOf(rr.def, name));
        if (!(err.reason === 'AlreadyExists' && attempt < MAX_ATTEMPTS)) throw err;
        continue;
      }
    }
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
