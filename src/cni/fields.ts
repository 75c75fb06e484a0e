import { CniError } from './errors.js';
import { CniWellKnownCode } from './wire.js';

/** A JSON object as parsed from stdin. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Code 7 naming the field: every config validation failure goes through here. */
export function invalidField(field: string, why: string): CniError {
  return new CniError(CniWellKnownCode.InvalidConfig, `invalid network config: ${field} ${why}`);
}

/** An optional string field; `undefined` when absent or null. */
export function optionalString(obj: JsonObject, key: string, field: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidField(field, `must be a string, got ${typeName(v)}`);
  return v;
}

/** An optional boolean field. */
export function optionalBoolean(obj: JsonObject, key: string, field: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidField(field, `must be true or false, got ${typeName(v)}`);
  return v;
}

/** An optional object field. */
export function optionalObject(obj: JsonObject, key: string, field: string): JsonObject | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!isJsonObject(v)) throw invalidField(field, `must be an object, got ${typeName(v)}`);
  return v;
}

/** An optional list of strings; a lone string is accepted as a list of one (Spiderpool configs do both). */
export function stringList(
  obj: JsonObject,
  key: string,
  field: string,
  options: { loneString?: boolean } = {},
): string[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string' && options.loneString) return v === '' ? [] : [v];
  if (!Array.isArray(v)) throw invalidField(field, `must be a list of strings, got ${typeName(v)}`);
  return v.map((item, i) => {
    if (typeof item !== 'string')
      throw invalidField(`${field}[${i}]`, `must be a string, got ${typeName(item)}`);
    return item;
  });
}

/** An optional list of objects. */
export function objectList(obj: JsonObject, key: string, field: string): JsonObject[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidField(field, `must be a list, got ${typeName(v)}`);
  return v.map((item, i) => {
    if (!isJsonObject(item)) throw invalidField(`${field}[${i}]`, `must be an object, got ${typeName(item)}`);
    return item;
  });
}

/** A short JSON-ish type name for messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}
