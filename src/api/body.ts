/**
 * Request bodies: read with a size limit (413 beyond it, without buffering the rest), then parse
 * JSON or YAML into values (400 naming the problem).
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.js';
import { ParseError, type ParsedDocument, parseJsonDocument, parseYaml } from './json.js';
import type { JsonValue } from './resource-service.js';

/** Default limit: 3 MiB, as the Kubernetes API server's request size limit. */
export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024;

export function tooLarge(limit: number): ApiError {
  return new ApiError(
    'RequestEntityTooLarge',
    413,
    `the request body is too large: the limit is ${limit} bytes; split the request or shrink the object`,
  );
}

/** Read the whole body, failing fast with 413 when it exceeds `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parse a body as JSON or YAML, with the paths of fields given twice (JSON only: YAML refuses duplicate keys
 * itself). An empty body is a 400 too: every write needs one.
 */
export function parseBodyDocument(text: string, format: 'json' | 'yaml'): ParsedDocument {
  if (text.trim() === '')
    throw ApiError.badRequest('the request body is empty; send the object as JSON or YAML');
  try {
    return format === 'json' ? parseJsonDocument(text) : { value: parseYaml(text), duplicates: [] };
  } catch (e) {
    if (e instanceof ParseError)
      throw ApiError.badRequest(`the request body could not be decoded: ${e.message}`);
    throw e;
  }
}

/** Parse a body as JSON or YAML, when duplicate fields do not matter (a DeleteOptions body). */
export function parseBody(text: string, format: 'json' | 'yaml'): JsonValue {
  return parseBodyDocument(text, format).value;
}
