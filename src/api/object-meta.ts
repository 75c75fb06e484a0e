/**
 * Metadata helpers the API layer uses on every write: validation of user-settable metadata (labels,
 * annotations, finalizers, the name) as Kubernetes applies it, and structural JSON equality and copies for
 * patches. The metadata rules themselves (uid, generation, finalizers, deletion) belong to the service
 * (src/service/object-meta.ts, resource-service.ts) and are tested there, on the real service.
 */
import { DNS1123_SUBDOMAIN } from '../core/index.js';
import { fieldCause, type StatusCause } from './errors.js';
import type { ObjectMeta } from './resource-service.js';

/** Structural equality of JSON values (key order ignored; undefined members count as absent). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'bigint' || typeof b === 'bigint') return String(a) === String(b) && typeof a !== 'object';
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

/** A deep copy of a JSON-like value (bigint kept). */
export function cloneJson<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneJson) as T;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = cloneJson(x);
    return out as T;
  }
  return v;
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function validateQualifiedName(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return 'prefix part must be a lowercase RFC 1123 subdomain (e.g. "example.com")';
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return "name part must consist of at most 63 alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name', '123-abc')";
  }
  return undefined;
}

/** Field errors of user-settable metadata (name, labels, annotations, finalizers). */
export function validateObjectMeta(meta: ObjectMeta): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = meta.name ?? '';
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    causes.push(
      fieldCause(
        'FieldValueInvalid',
        'metadata.name',
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')",
        name,
      ),
    );
  }
  for (const [k, v] of Object.entries(meta.labels ?? {})) {
    const keyProblem = validateQualifiedName(k);
    if (keyProblem) causes.push(fieldCause('FieldValueInvalid', 'metadata.labels', keyProblem, k));
    if (typeof v !== 'string' || (v !== '' && (v.length > 63 || !LABEL_NAME.test(v)))) {
      causes.push(
        fieldCause(
          'FieldValueInvalid',
          `metadata.labels`,
          "a valid label value must be 63 characters or less and must be empty or begin and end with an alphanumeric character, with '-', '_' or '.' between",
          v,
        ),
      );
    }
  }
  let annotationBytes = 0;
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    const keyProblem = validateQualifiedName(k);
    if (keyProblem) causes.push(fieldCause('FieldValueInvalid', 'metadata.annotations', keyProblem, k));
    annotationBytes += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (annotationBytes > 256 * 1024) {
    causes.push(
      fieldCause(
        'FieldValueTooLong',
        'metadata.annotations',
        `annotations may not be larger than 262144 bytes; they are ${annotationBytes}`,
      ),
    );
  }
  (meta.finalizers ?? []).forEach((f, i) => {
    const problem = validateQualifiedName(f);
    if (problem) causes.push(fieldCause('FieldValueInvalid', `metadata.finalizers[${i}]`, problem, f));
  });
  return causes;
}
