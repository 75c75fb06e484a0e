/**
 * Small builders for kind schemas and printer cells, so each kind file reads like its CRD.
 */
import type { JsonObject, JsonValue, KubeObject } from '../resource-service.js';
import type { Schema } from './types.js';

export const str = (description: string, extra: Partial<Schema> = {}): Schema => ({
  type: 'string',
  description,
  ...extra,
});
export const bool = (description: string, extra: Partial<Schema> = {}): Schema => ({
  type: 'boolean',
  description,
  ...extra,
});
export const int = (description: string, extra: Partial<Schema> = {}): Schema => ({
  type: 'integer',
  description,
  ...extra,
});
/** A counter that may exceed 2^53 (v6 counts); served as a bare JSON number. */
export const count = (description: string): Schema => ({ type: 'number', description });
export const strList = (description: string, extra: Partial<Schema> = {}): Schema => ({
  type: 'array',
  description,
  items: { type: 'string' },
  ...extra,
});
export const obj = (
  description: string,
  properties: Record<string, Schema>,
  extra: Partial<Schema> = {},
): Schema => ({
  type: 'object',
  description,
  properties,
  ...extra,
});
export const strMap = (description: string): Schema => ({
  type: 'object',
  description,
  additionalProperties: { type: 'string' },
});

/** `metav1.LabelSelector`. */
export const labelSelector = (description: string): Schema =>
  obj(description, {
    matchLabels: strMap('Label key/value pairs that must all match.'),
    matchExpressions: {
      type: 'array',
      description: 'Requirements (key, operator In|NotIn|Exists|DoesNotExist, values) that must all match.',
      items: obj(
        'One label requirement.',
        {
          key: str('The label key.'),
          operator: str('In, NotIn, Exists or DoesNotExist.'),
          values: strList('Values for In and NotIn.'),
        },
        { required: ['key', 'operator'] },
      ),
    },
  });

/** A nested member of the object, or undefined. */
export function at(o: KubeObject, part: 'spec' | 'status', key: string): JsonValue | undefined {
  const section = o[part] as JsonObject | undefined;
  return section ? section[key] : undefined;
}

/**
 * The steps of a printer column's `jsonPath` (`.spec.cidrBlock`, `.spec.podAffinity.matchLabels['a/b']`):
 * the simple subset CRD printer columns use, member names and quoted keys.
 */
export function jsonPathSteps(path: string): string[] {
  const steps: string[] = [];
  const re = /\.([A-Za-z0-9_-]+)|\['([^']*)'\]/y;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw new Error(`unsupported printer column path ${path}`);
    steps.push((m[1] ?? m[2])!);
  }
  return steps;
}

/** The value at `steps` inside an object, or undefined where a step is missing or not an object. */
export function valueAt(o: KubeObject, steps: readonly string[]): JsonValue | undefined {
  let v: unknown = o;
  for (const step of steps) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[step];
  }
  return v as JsonValue | undefined;
}

/** A printer cell as the real CRD printer would give it: missing → null; arrays/objects → their JSON text. */
export function cell(value: JsonValue | undefined): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Array.isArray(value) || typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value)) {
    // A float that lost precision still prints without exponent notation.
    return BigInt(value).toString();
  }
  return value;
}

/** A field-selector getter: the field's scalar value as text. */
export function selectorValue(value: JsonValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
