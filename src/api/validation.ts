/**
 * Schema validation of incoming objects, with CRD semantics: unknown fields are reported (and
 * pruned), wrong types and unsupported enum values are field errors, `null` is kept only where the
 * schema says `nullable` (elsewhere it is pruned, as the API server does for custom resources).
 */
import { fieldCause, type StatusCause } from './errors.js';
import { objectMetaSchema } from './kinds/object-meta-schema.js';
import type { KindDefinition, Schema } from './kinds/types.js';
import type { JsonValue } from './resource-service.js';

export interface ValidationResult {
  /** The input with unknown fields and disallowed nulls removed. */
  value: JsonValue;
  /** Paths of unknown fields, e.g. `spec.foo`, in document order. */
  unknown: string[];
  /** Type, enum and required-field errors. */
  causes: StatusCause[];
}

const typeName = (v: JsonValue): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
};

function typeMatches(schema: Schema, v: JsonValue): boolean {
  const t = typeName(v);
  if (schema['x-kubernetes-int-or-string']) return t === 'integer' || t === 'string';
  switch (schema.type) {
    case undefined:
      return true;
    case 'number':
      return t === 'number' || t === 'integer';
    default:
      return schema.type === t;
  }
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/** Walk `v` against `schema`, collecting problems; returns the pruned value (undefined = drop it). */
function walk(schema: Schema, v: JsonValue, path: string, out: ValidationResult): JsonValue | undefined {
  if (v === null) return schema.nullable ? null : undefined;
  if (schema['x-kubernetes-preserve-unknown-fields'] && schema.properties === undefined) return v;
  if (!typeMatches(schema, v)) {
    const want = schema['x-kubernetes-int-or-string'] ? 'integer or string' : (schema.type ?? 'any');
    out.causes.push(
      fieldCause(
        'FieldValueTypeInvalid',
        path,
        `${path} in body must be of type ${want}: "${typeName(v)}"`,
        typeName(v),
      ),
    );
    return v;
  }
  if (schema.enum && !schema.enum.some((e) => e === v)) {
    const supported = schema.enum
      .filter((e) => e !== null)
      .map((e) => JSON.stringify(e))
      .join(', ');
    out.causes.push(fieldCause('FieldValueNotSupported', path, `supported values: ${supported}`, v));
  }
  if (Array.isArray(v)) {
    const items = schema.items ?? {};
    return v.map((x, i) => walk(items, x, `${path}[${i}]`, out) ?? null);
  }
  if (typeof v === 'object' && v !== null && typeof v !== 'bigint') {
    const result: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      const sub = schema.properties?.[k] ?? schema.additionalProperties;
      if (!sub) {
        if (schema['x-kubernetes-preserve-unknown-fields']) result[k] = x;
        else out.unknown.push(join(path, k));
        continue;
      }
      const kept = walk(sub, x, join(path, k), out);
      if (kept !== undefined) result[k] = kept;
    }
    for (const r of schema.required ?? []) {
      if (result[r] === undefined) out.causes.push(fieldCause('FieldValueRequired', join(path, r), ''));
    }
    return result;
  }
  return v;
}

/** The schema of a whole object of `def`. `forStatus`: the status subresource (spec is not checked strictly). */
export function objectSchema(def: KindDefinition): Schema {
  const properties: Record<string, Schema> = {
    apiVersion: {
      type: 'string',
      description: 'APIVersion of this representation: ' + `${def.group}/${def.version}.`,
    },
    kind: { type: 'string', description: `Kind of this object: ${def.kind}.` },
    metadata: objectMetaSchema,
    spec: def.spec,
  };
  if (def.status) properties['status'] = def.status;
  return { type: 'object', description: def.description, properties };
}

/** Validate a whole object body against the kind's schema. */
export function validateObject(def: KindDefinition, body: JsonValue): ValidationResult {
  const out: ValidationResult = { value: null, unknown: [], causes: [] };
  out.value = walk(objectSchema(def), body, '', out) ?? null;
  return out;
}
