/** POST (create), PUT (update, status update) and DELETE. */
import { readBody, parseBody, parseBodyDocument } from './body.js';
import type { ParsedDocument } from './json.js';
import { decodeObject } from './decode.js';
import { ApiError } from './errors.js';
import { subjectOf } from './kinds/index.js';
import { bodyTypeOf, chooseRendering, unsupportedMediaType } from './negotiate.js';
import { parseDryRun, parseFieldValidation, type ResourceRequest } from './request-context.js';
import type { DeleteOptions, JsonValue, KubeObject, WriteOptions } from './resource-service.js';
import { sendObject } from './respond.js';
import { toApiError } from './status.js';
import { buildTable, parseIncludeObject } from './table.js';

/** Write options from the query string. */
export function writeOptions(rr: ResourceRequest): WriteOptions {
  const opts: WriteOptions = {
    dryRun: parseDryRun(rr.query.getAll('dryRun')),
    fieldValidation: parseFieldValidation(rr.query.get('fieldValidation')),
  };
  const manager = rr.query.get('fieldManager');
  if (manager) opts.fieldManager = manager;
  return opts;
}

/** Read and parse a JSON or YAML object body (415 for anything else). */
async function readObjectBody(rr: ResourceRequest): Promise<ParsedDocument> {
  const type = bodyTypeOf(rr.req.headers['content-type']);
  if (type !== 'json' && type !== 'yaml') {
    throw unsupportedMediaType(rr.req.headers['content-type'], ['application/json', 'application/yaml']);
  }
  return parseBodyDocument(await readBody(rr.req, rr.bodyLimit), type);
}

/** Reply with the written object, as JSON or (kubectl asks for it after writes) a Table. */
export function sendWritten(rr: ResourceRequest, code: number, obj: KubeObject): void {
  const rendering = chooseRendering(rr.req.headers.accept, true);
  const body =
    rendering.as === 'table'
      ? buildTable(rr.def, [obj], {
          include: parseIncludeObject(rr.query.get('includeObject')),
          version: rendering.version,
        })
      : obj;
  sendObject(rr.res, code, body, rendering, rr.warnings);
}

export async function handleCreate(rr: ResourceRequest): Promise<void> {
  const opts = writeOptions(rr);
  const body = await readObjectBody(rr);
  const decoded = decodeObject(rr.def, body.value, opts.fieldValidation, undefined, body.duplicates);
  rr.warnings.push(...decoded.warnings);
  if (!decoded.object.metadata.name && !decoded.object.metadata.generateName) {
    throw ApiError.invalid(subjectOf(rr.def, ''), [
      {
        reason: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      },
    ]);
  }
  let created: KubeObject;
  try {
    created = await rr.service.create(rr.def.kind, decoded.object, opts);
  } catch (e) {
    // The collection URL names no object: errors must name the one in the body (`The IP "x" is invalid`).
    throw toApiError(e, subjectOf(rr.def, decoded.object.metadata.name ?? ''));
  }
  sendWritten(rr, 201, created);
}

export async function handleUpdate(rr: ResourceRequest): Promise<void> {
  const opts = writeOptions(rr);
  const name = rr.name ?? '';
  const body = await readObjectBody(rr);
  const decoded = decodeObject(rr.def, body.value, opts.fieldValidation, name, body.duplicates);
  rr.warnings.push(...decoded.warnings);
  // PUT of a missing custom resource is a 404 (custom resources do not allow create-on-update).
  if (!rr.service.get(rr.def.kind, name)) throw ApiError.notFound(subjectOf(rr.def, name));
  const updated =
    rr.subresource === 'status'
      ? await rr.service.updateStatus(rr.def.kind, decoded.object, opts)
      : await rr.service.update(rr.def.kind, decoded.object, opts);
  sendWritten(rr, 200, updated);
}

/** DeleteOptions from an optional body and the query. */
async function deleteOptions(rr: ResourceRequest): Promise<DeleteOptions> {
  const text = await readBody(rr.req, rr.bodyLimit);
  let dryRunValues = rr.query.getAll('dryRun');
  const opts: DeleteOptions = { dryRun: false };
  if (text.trim() !== '') {
    const type = bodyTypeOf(rr.req.headers['content-type']);
    if (type !== 'json' && type !== 'yaml')
      throw unsupportedMediaType(rr.req.headers['content-type'], ['application/json', 'application/yaml']);
    const body = parseBody(text, type);
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw ApiError.badRequest('DeleteOptions must be a JSON object');
    const dry = body['dryRun'];
    if (dry !== undefined && dry !== null) {
      if (!Array.isArray(dry) || !dry.every((d) => typeof d === 'string'))
        throw ApiError.badRequest('DeleteOptions.dryRun must be a list of strings');
      dryRunValues = [...dryRunValues, ...(dry as string[])];
    }
    const pre = body['preconditions'];
    if (pre !== undefined && pre !== null) {
      if (typeof pre !== 'object' || Array.isArray(pre))
        throw ApiError.badRequest('DeleteOptions.preconditions must be an object');
      const p = pre as Record<string, JsonValue>;
      opts.preconditions = {};
      if (typeof p['uid'] === 'string') opts.preconditions.uid = p['uid'];
      if (typeof p['resourceVersion'] === 'string') opts.preconditions.resourceVersion = p['resourceVersion'];
    }
    // propagationPolicy, gracePeriodSeconds, orphanDependents: accepted and ignored (no dependents here).
  }
  opts.dryRun = parseDryRun(dryRunValues);
  return opts;
}

export async function handleDelete(rr: ResourceRequest): Promise<void> {
  const name = rr.name ?? '';
  const opts = await deleteOptions(rr);
  if (!rr.service.get(rr.def.kind, name)) throw ApiError.notFound(subjectOf(rr.def, name));
  const result = await rr.service.delete(rr.def.kind, name, opts);
  if (result.metadata.deletionTimestamp !== undefined && (result.metadata.finalizers ?? []).length > 0) {
    // Still there (terminating): the API server answers with the object.
    sendObject(rr.res, 200, result);
    return;
  }
  sendObject(rr.res, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, group: rr.def.group, kind: rr.def.plural, uid: result.metadata.uid },
  });
}
