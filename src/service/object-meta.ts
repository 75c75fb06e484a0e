import { randomUUID } from 'node:crypto';
import { isDnsSubdomain } from '../core/index.js';
import { ServiceError } from './errors.js';
import { type KubeObject, type ObjectMeta } from './types.js';

/** RFC 3339 in UTC with seconds precision, as Kubernetes writes timestamps. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const DNS1123_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";

/** A DNS-1123 subdomain, as Kubernetes requires of object names. */
export function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw new ServiceError('Invalid', `name or generateName is required for a ${kind}`, {
      kind,
      field: 'metadata.name',
      problem: 'required',
    });
  }
  if (!isDnsSubdomain(name))
    throw new ServiceError('Invalid', DNS1123_RULE, { kind, name, field: 'metadata.name', value: name });
  return name;
}

/**
 * `generateName` is a prefix: what it makes with any suffix must be a valid name, so it is judged with a
 * letter in place of the suffix (as the API server does), and reported on its own field.
 */
function checkGenerateName(kind: string, prefix: string): void {
  if (prefix.length <= 253 - GENERATED_SUFFIX && isDnsSubdomain(`${prefix}a`)) return;
  throw new ServiceError('Invalid', DNS1123_RULE, {
    kind,
    field: 'metadata.generateName',
    value: prefix,
  });
}

/** Characters appended to `generateName`. */
const GENERATED_SUFFIX = 5;

/** Metadata of a new object: name (or generated), uid, creation time, generation 1; client values for those are ignored. */
export function metaForCreate(kind: string, obj: KubeObject, now: Date): ObjectMeta {
  const meta = { ...(obj.metadata ?? {}) };
  if (!meta.name && typeof meta.generateName === 'string' && meta.generateName !== '') {
    checkGenerateName(kind, meta.generateName);
    meta.name = meta.generateName + randomUUID().slice(0, GENERATED_SUFFIX);
  }
  checkName(kind, meta.name);
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.namespace;
  meta.uid = randomUUID();
  meta.creationTimestamp = timestamp(now);
  meta.generation = 1;
  return meta;
}

/**
 * Metadata of a replacement: system fields come from the stored object whatever the client sent. The
 * generation is the stored one; {@link nextGeneration} moves it on once the normalised spec is known.
 */
export function metaForUpdate(old: KubeObject, obj: KubeObject): ObjectMeta {
  const meta: ObjectMeta = { ...(obj.metadata ?? {}) };
  meta.name = old.metadata.name!;
  meta.uid = old.metadata.uid!;
  meta.creationTimestamp = old.metadata.creationTimestamp!;
  meta.generation = old.metadata.generation ?? 1;
  if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
  else delete meta.deletionTimestamp;
  delete meta.namespace;
  return meta;
}

/** The generation rule: it grows by one when the stored spec changes, and only then. */
export function nextGeneration(old: KubeObject, next: KubeObject): number {
  const generation = old.metadata.generation ?? 1;
  return JSON.stringify(old.spec ?? {}) === JSON.stringify(next.spec ?? {}) ? generation : generation + 1;
}

/** The object as stored: no resourceVersion (the store's revision is), no status (derived on read). */
export function forStorage(obj: KubeObject): Record<string, unknown> {
  const { status: _status, ...rest } = obj;
  const metadata = { ...rest.metadata };
  delete metadata.resourceVersion;
  return { ...rest, metadata };
}
