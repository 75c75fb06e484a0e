/**
 * From a parsed body to a checked object of the addressed kind: apiVersion/kind must match the URL,
 * the schema must hold, unknown fields are handled per `fieldValidation`.
 */
import { validateObjectMeta } from './object-meta.js';
import { ApiError, fieldCause } from './errors.js';
import { apiVersionOf, subjectOf } from './kinds/index.js';
import type { KindDefinition } from './kinds/types.js';
import type { FieldValidation, JsonValue, KubeObject } from './resource-service.js';
import { validateObject } from './validation.js';

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export interface Decoded {
  object: KubeObject;
  /** Warnings for `Warning` headers (fieldValidation=Warn). */
  warnings: string[];
}

/**
 * Fields a body gave twice, per `fieldValidation` as the API server treats them: Strict refuses them (400,
 * `strict decoding error: duplicate field "spec.x"`), Warn keeps the last and returns a warning for each,
 * Ignore keeps the last. `unknown` (unknown-field messages) are reported in the same error, as strict decoding
 * does.
 */
export function checkStrictDecoding(
  def: KindDefinition,
  validation: FieldValidation,
  duplicates: readonly string[],
  unknown: readonly string[] = [],
): string[] {
  const problems = [
    ...unknown.map((p) => `unknown field "${p}"`),
    ...duplicates.map((p) => `duplicate field "${p}"`),
  ];
  if (problems.length === 0 || validation === 'Ignore') return [];
  if (validation === 'Warn') return problems;
  throw ApiError.badRequest(
    `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${problems.join(', ')}`,
    [
      ...unknown.map((p) =>
        fieldCause(
          'FieldValueUnknown',
          p,
          `field not declared in the ${def.kind} schema; remove it or check its spelling (kubectl explain ${def.singular})`,
        ),
      ),
      ...duplicates.map((p) =>
        fieldCause('FieldValueDuplicate', p, 'given more than once; keep one (strict decoding keeps none)'),
      ),
    ],
  );
}

/**
 * Check and convert a body. `nameFromUrl` fills an empty name and must match a given one; `duplicates` are the
 * fields the body gave twice.
 */
export function decodeObject(
  def: KindDefinition,
  body: JsonValue,
  validation: FieldValidation,
  nameFromUrl: string | undefined,
  duplicates: readonly string[] = [],
): Decoded {
  if (!isObject(body))
    throw ApiError.badRequest(
      `the request body must be a ${def.kind} object, got ${Array.isArray(body) ? 'an array' : typeof body}`,
    );
  const expected = apiVersionOf(def);
  const { apiVersion, kind } = body;
  if (apiVersion !== undefined && apiVersion !== expected) {
    throw ApiError.badRequest(
      `the API version in the data (${String(apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (kind !== undefined && kind !== def.kind) {
    throw ApiError.badRequest(
      `the kind in the data (${String(kind)}) does not match the expected kind (${def.kind}) of ${def.plural}.${def.group}`,
    );
  }
  const meta = isObject(body['metadata']) ? body['metadata'] : {};
  const bodyName = typeof meta['name'] === 'string' ? meta['name'] : undefined;
  if (nameFromUrl !== undefined && bodyName !== undefined && bodyName !== '' && bodyName !== nameFromUrl) {
    throw ApiError.badRequest(
      `the name of the object (${bodyName}) does not match the name on the URL (${nameFromUrl})`,
    );
  }
  const result = validateObject(def, body);
  const name =
    bodyName || nameFromUrl || (typeof meta['generateName'] === 'string' ? meta['generateName'] : '');
  if (result.causes.length > 0) throw ApiError.invalid(subjectOf(def, name), result.causes);
  const warnings = checkStrictDecoding(def, validation, duplicates, result.unknown);
  const value = result.value as Record<string, JsonValue>;
  const object = { ...value, apiVersion: expected, kind: def.kind } as unknown as KubeObject;
  object.metadata = (isObject(value['metadata']) ? value['metadata'] : {}) as KubeObject['metadata'];
  if (!object.metadata.name && nameFromUrl) object.metadata.name = nameFromUrl;
  // Labels, annotations and finalizers must be what Kubernetes accepts (SEC-2); a name is checked only when
  // given (a create may carry generateName instead; the service checks the final name).
  const metaCauses = validateObjectMeta({ ...object.metadata, name: object.metadata.name || 'placeholder' });
  if (metaCauses.length > 0) throw ApiError.invalid(subjectOf(def, name), metaCauses);
  return { object, warnings };
}
