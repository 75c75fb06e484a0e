/**
 * OpenAPI documents. v3 (`/openapi/v3` index and one document per group/version) is what kubectl
 * 1.32 reads: `kubectl explain` walks its schemas, and `kubectl apply` checks that PATCH declares the
 * `fieldValidation` parameter, then leaves unknown-field checks to the server. v2 (`/openapi/v2`) is
 * served as JSON with every definition for other tools, and in protobuf (what client-go asks for) as a
 * document with no definitions: see {@link openApiV2Protobuf}.
 */
import { createHash } from 'node:crypto';
import { ALL_KINDS, servedGroups } from './kinds/index.js';
import { objectMetaSchema } from './kinds/object-meta-schema.js';
import type { KindDefinition, Schema } from './kinds/types.js';
import type { JsonObject } from './resource-service.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';

/** Reverse-DNS definition name: `io.kubeovn.v1.IP`, `io.spidernet.spiderpool.v2beta1.SpiderIPPool`. */
export function definitionName(def: KindDefinition, suffix = ''): string {
  return `${def.group.split('.').reverse().join('.')}.${def.version}.${def.kind}${suffix}`;
}

const gvk = (def: KindDefinition): JsonObject => ({ group: def.group, kind: def.kind, version: def.version });

function kindSchema(def: KindDefinition, ref: (name: string) => string): JsonObject {
  const properties: Record<string, unknown> = {
    apiVersion: {
      type: 'string',
      description: `APIVersion defines the versioned schema of this representation of an object: ${def.group}/${def.version}.`,
    },
    kind: {
      type: 'string',
      description: `Kind is a string value representing the REST resource this object represents: ${def.kind}.`,
    },
    metadata: { allOf: [{ $ref: ref(META) }], description: 'Standard object metadata.' },
    spec: def.spec,
  };
  if (def.status) properties['status'] = def.status;
  return {
    type: 'object',
    description: def.description,
    properties: properties as JsonObject,
    'x-kubernetes-group-version-kind': [gvk(def)],
  };
}

function listSchema(def: KindDefinition, ref: (name: string) => string): JsonObject {
  return {
    type: 'object',
    description: `${def.kind}List is a list of ${def.kind}.`,
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion of this list.' },
      kind: { type: 'string', description: `${def.kind}List.` },
      metadata: { allOf: [{ $ref: ref(LIST_META) }], description: 'Standard list metadata.' },
      items: {
        type: 'array',
        description: `List of ${def.plural}.`,
        items: { $ref: ref(definitionName(def)) },
      },
    },
    'x-kubernetes-group-version-kind': [{ group: def.group, kind: `${def.kind}List`, version: def.version }],
  };
}

const listMetaSchema: Schema = {
  type: 'object',
  description: 'Metadata of a list.',
  properties: {
    resourceVersion: { type: 'string', description: 'Version of the listed state.' },
    continue: { type: 'string', description: 'Token for the next page.' },
    remainingItemCount: { type: 'integer', description: 'Items after this page.' },
  },
};

const statusSchema: Schema = {
  type: 'object',
  description: 'Status is a return value for calls that do not return other objects.',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    status: { type: 'string', description: 'Success or Failure.' },
    message: { type: 'string', description: 'Human-readable description.' },
    reason: { type: 'string', description: 'Machine-readable reason.' },
    code: { type: 'integer', description: 'HTTP status code.' },
    details: {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      description: 'Name, kind and causes.',
    },
  },
};

const queryParam = (name: string, description: string): JsonObject => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string', uniqueItems: true },
});
const WRITE_PARAMS = [
  queryParam('dryRun', 'When present ("All"), run every check and change nothing.'),
  queryParam('fieldManager', 'Name of the actor making the change.'),
  queryParam('fieldValidation', 'Unknown fields: Strict (reject), Warn (warning header) or Ignore.'),
];
const LIST_PARAMS = [
  'labelSelector',
  'fieldSelector',
  'limit',
  'continue',
  'resourceVersion',
  'watch',
  'allowWatchBookmarks',
  'timeoutSeconds',
].map((p) => queryParam(p, `Standard list parameter ${p}.`));

function operation(
  def: KindDefinition,
  action: string,
  opId: string,
  params: JsonObject[],
  ref: string,
  body: boolean,
): JsonObject {
  const content = { 'application/json': { schema: { $ref: ref } } };
  const op: JsonObject = {
    operationId: `${opId}${def.kind}`,
    tags: [`${def.group.split('.')[0] ?? def.group}_${def.version}`],
    parameters: params,
    responses: { '200': { description: 'OK', content } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(def),
  };
  if (body) op['requestBody'] = { content, required: true };
  return op;
}

function pathsFor(def: KindDefinition): JsonObject {
  const ref = `#/components/schemas/${definitionName(def)}`;
  const listRef = `#/components/schemas/${definitionName(def, 'List')}`;
  const base = `/apis/${def.group}/${def.version}/${def.plural}`;
  const patchBody: JsonObject = {
    content: {
      'application/merge-patch+json': { schema: { type: 'object' } },
      'application/json-patch+json': { schema: { type: 'array', items: { type: 'object' } } },
      'application/apply-patch+yaml': { schema: { type: 'object' } },
    },
    required: true,
  };
  const itemOps = (sub: string): JsonObject => {
    const patch = operation(def, 'patch', `patch${sub}`, WRITE_PARAMS, ref, false);
    patch['requestBody'] = patchBody;
    return {
      get: operation(def, 'get', `read${sub}`, [], ref, false),
      put: operation(def, 'put', `replace${sub}`, WRITE_PARAMS, ref, true),
      patch,
      parameters: [
        {
          name: 'name',
          in: 'path',
          required: true,
          description: `name of the ${def.kind}`,
          schema: { type: 'string', uniqueItems: true },
        },
      ],
    };
  };
  const paths: JsonObject = {
    [base]: {
      get: operation(def, 'list', 'list', LIST_PARAMS, listRef, false),
      post: operation(def, 'post', 'create', WRITE_PARAMS, ref, true),
    },
    [`${base}/{name}`]: {
      ...itemOps(''),
      delete: operation(
        def,
        'delete',
        'delete',
        [queryParam('dryRun', 'Change nothing.')],
        `#/components/schemas/${STATUS}`,
        false,
      ),
    },
  };
  if (def.status) paths[`${base}/{name}/status`] = itemOps('Status');
  return paths;
}

/** The OpenAPI v3 document of one group/version, or undefined when not served. */
export function openApiV3Document(group: string, version: string): JsonObject | undefined {
  const kinds = ALL_KINDS.filter((k) => k.group === group && k.version === version);
  if (kinds.length === 0) return undefined;
  const ref = (n: string): string => `#/components/schemas/${n}`;
  const schemas: JsonObject = {
    [META]: objectMetaSchema as JsonObject,
    [LIST_META]: listMetaSchema as JsonObject,
    [STATUS]: statusSchema as JsonObject,
  };
  let paths: JsonObject = {};
  for (const def of kinds) {
    schemas[definitionName(def)] = kindSchema(def, ref);
    schemas[definitionName(def, 'List')] = listSchema(def, ref);
    paths = { ...paths, ...pathsFor(def) };
  }
  return { openapi: '3.0.0', info: { title: 'ipkeeper', version: 'v1' }, paths, components: { schemas } };
}

/** Content hash used in the v3 index (client-go caches documents by it). */
export function documentHash(doc: JsonObject): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase();
}

/** `/openapi/v3`: the index of per-group/version documents. */
export function openApiV3Index(): JsonObject {
  const paths: JsonObject = {};
  for (const { group, version } of servedGroups()) {
    const doc = openApiV3Document(group, version);
    if (doc)
      paths[`apis/${group}/${version}`] = {
        serverRelativeURL: `/openapi/v3/apis/${group}/${version}?hash=${documentHash(doc)}`,
      };
  }
  return { paths };
}

/** Rewrite v3 refs and `nullable` for Swagger 2.0. */
function toV2(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toV2);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string') out[k] = v.replace('#/components/schemas/', '#/definitions/');
    else if (k === 'nullable') out['x-nullable'] = v;
    else out[k] = toV2(v);
  }
  return out;
}

/** `/openapi/v2` (Swagger 2.0, JSON): definitions of every kind, no paths. */
export function openApiV2Document(): JsonObject {
  const definitions: Record<string, unknown> = {};
  for (const { group, version } of servedGroups()) {
    const doc = openApiV3Document(group, version);
    const schemas = (doc?.['components'] as JsonObject | undefined)?.['schemas'] as JsonObject | undefined;
    Object.assign(definitions, toV2(schemas ?? {}));
  }
  return {
    swagger: '2.0',
    info: { title: 'ipkeeper', version: 'v1' },
    paths: {},
    definitions: definitions as JsonObject,
  };
}

/**
 * The Content-Type of the protobuf reply. client-go asks for
 * `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, but Go's mime parser refuses the `@` in a
 * reply's Content-Type ("unexpected content after media subtype"), and it reads the body raw anyway.
 */
export const OPENAPI_V2_PROTOBUF = 'application/octet-stream';

/**
 * `/openapi/v2` in protobuf (the gnostic `openapi.v2.Document` message): `swagger` and `info` only.
 *
 * kubectl reads it for one thing the v3 documents do not cover: client-side validation of a `kind: List`.
 * It looks each item's kind up in this document and skips the ones it does not find, so with no
 * definitions here every item goes to the server, which validates it strictly (`fieldValidation=Strict`:
 * unknown fields are refused there). Without this document, `kubectl apply -f list.yaml` stopped before
 * sending anything ("unable to respond with a content type that the client supports").
 */
export function openApiV2Protobuf(): Buffer {
  // Document: field 1 `swagger`, field 2 `info` { field 1 `title`, field 2 `version` }; all length-delimited.
  return protoMessage([
    [1, Buffer.from('2.0')],
    [
      2,
      protoMessage([
        [1, Buffer.from('ipkeeper')],
        [2, Buffer.from('v1')],
      ]),
    ],
  ]);
}

function protoMessage(fields: [number, Buffer][]): Buffer {
  return Buffer.concat(
    fields.map(([n, bytes]) => Buffer.concat([varint((n << 3) | 2), varint(bytes.length), bytes])),
  );
}

function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}
