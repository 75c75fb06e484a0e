/**
 * JSON and YAML text ↔ values, exact for integers beyond 2^53.
 *
 * Why not plain JSON.stringify/parse: Kube-OVN status counters of a /64 are ~1.8e19 and Spiderpool's
 * totalIPCount is capped at 2^63−1; both are bare JSON numbers on the wire. Values keep them as
 * `bigint`; the writer prints them as digits, the reader returns `bigint` only when a number does
 * not fit a double exactly.
 */
import { parseDocument } from 'yaml';
import type { JsonValue } from './resource-service.js';

const BIG = '\u0000bigint:';
const BIG_RE = /"\\u0000bigint:(-?\d+)"/g;

/**
 * Serialise a value to compact JSON. `undefined` members are omitted, `bigint` is written bare. The
 * native serialiser does the work (a hand-written walk was the slowest part of a 5,000-row list); only
 * when the value holds a bigint is a replacer used, whose marked strings are then unquoted.
 */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
  }
  const text =
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${BIG}${v.toString()}` : v)) ??
    'null';
  return text.replace(BIG_RE, '$1');
}

/** Thrown when a body does not parse; the message names the problem and its position. */
export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseError';
  }
}

/** Turn integers that fit a double exactly back into numbers; keep the rest as bigint. */
function normaliseBigints(v: unknown): JsonValue {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(normaliseBigints);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = normaliseBigints(x);
    return out;
  }
  return v as JsonValue;
}

/** Parse YAML (1.2 core schema; JSON is a subset). Multi-document input is rejected. */
export function parseYaml(text: string): JsonValue {
  try {
    const doc = parseDocument(text, { intAsBigInt: true, uniqueKeys: true, prettyErrors: false });
    const first = doc.errors[0];
    if (first) throw new ParseError(`invalid YAML: ${first.message.split('\n')[0]}`);
    return normaliseBigints(doc.toJS({ maxAliasCount: 100 }));
  } catch (e) {
    // Hostile input surfaces as the library's own exceptions (an alias bomb: ReferenceError "Excessive alias
    // count"; deep nesting: RangeError). Both are the client's fault: a 400, never a 500.
    if (e instanceof ParseError) throw e;
    throw new ParseError(`invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Parse JSON; integers beyond 2^53 come back as bigint. */
export function parseJson(text: string): JsonValue {
  let unsafe = false;
  let value: unknown;
  try {
    value = JSON.parse(text, (_k, v: unknown) => {
      if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) unsafe = true;
      return v;
    });
  } catch (e) {
    throw new ParseError(`invalid JSON: ${(e as Error).message}`);
  }
  // Rare path: re-read through the YAML parser, which can give exact bigints.
  return unsafe ? parseYaml(text) : (value as JsonValue);
}
