/**
 * JSON and YAML text ↔ values, exact for integers beyond 2^53.
 *
 * Why not plain JSON.stringify/parse: Kube-OVN status counters of a /64 are ~1.8e19 and Spiderpool's
 * totalIPCount is capped at 2^63−1; both are bare JSON numbers on the wire. Values keep them as
 * `bigint`; the writer prints them as digits, the reader returns `bigint` only when a number does
 * not fit a double exactly.
 */
import { createScanner, type ParseError as JsoncParseError, parse as parseJsonc } from 'jsonc-parser';
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

/**
 * How deep a body may nest. A Kubernetes object of these kinds nests fewer than ten levels; the limit keeps
 * every recursive walk over a body (validation, patches, copies) far from the stack's end, so a hostile
 * 100,000-deep document is a clear 400 instead of "Maximum call stack size exceeded".
 */
export const MAX_DEPTH = 1000;

/** A parsed body, with the paths of fields that appeared twice in one object (the last one is kept). */
export interface ParsedDocument {
  value: JsonValue;
  /** Dotted paths such as `spec.cidrBlock`, in document order. */
  duplicates: string[];
}

/** `line L, column C` (1-based) of an offset in `text`. */
function where(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return `line ${line}, column ${offset - start + 1}`;
}

/** Refuses a parsed value nested deeper than MAX_DEPTH (an explicit stack: the check itself must not recurse). */
function checkDepth(value: unknown): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_DEPTH)
      throw new ParseError(
        `invalid YAML: nested deeper than ${MAX_DEPTH} levels; no object of these kinds needs more than a few`,
      );
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
}

/** YAML errors carry the library's position; the message keeps only its first line, with it. */
function yamlError(e: {
  message: string;
  linePos?: [{ line: number; col: number }, ...unknown[]];
}): ParseError {
  const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const pos = e.linePos?.[0];
  return new ParseError(`invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${first}`);
}

/** Parse YAML (1.2 core schema; JSON is a subset). Multi-document input is rejected. */
export function parseYaml(text: string): JsonValue {
  try {
    const doc = parseDocument(text, { intAsBigInt: true, uniqueKeys: true, prettyErrors: true });
    const first = doc.errors[0];
    if (first) throw yamlError(first);
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    checkDepth(value);
    return normaliseBigints(value);
  } catch (e) {
    // Hostile input surfaces as the library's own exceptions (an alias bomb: ReferenceError "Excessive alias
    // count"; deep nesting: RangeError). Both are the client's fault: a 400, never a 500.
    if (e instanceof ParseError) throw e;
    throw new ParseError(`invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

// jsonc-parser's SyntaxKind values (a const enum, which isolated modules cannot read from its declarations).
const OPEN_BRACE = 1;
const CLOSE_BRACE = 2;
const OPEN_BRACKET = 3;
const CLOSE_BRACKET = 4;
const COMMA = 5;
const STRING = 10;
const NUMBER = 11;

interface Frame {
  array: boolean;
  path: string;
  keys: Set<string>;
  index: number;
  key: string;
  expectKey: boolean;
}

/**
 * One pass over the tokens (jsonc-parser's scanner, no recursion): refuses nesting beyond MAX_DEPTH, collects
 * duplicate field paths (strict decoding refuses them, JSON.parse would silently keep the last) and notes
 * integers a double cannot hold. Syntax is JSON.parse's to judge.
 */
function scan(text: string): { duplicates: string[]; bigIntegers: boolean } {
  const scanner = createScanner(text, true);
  const stack: Frame[] = [];
  const duplicates: string[] = [];
  let bigIntegers = false;
  const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
  for (let t: number = scanner.scan(); t !== 17; t = scanner.scan()) {
    const top = stack[stack.length - 1];
    if (t === OPEN_BRACE || t === OPEN_BRACKET) {
      if (stack.length >= MAX_DEPTH)
        throw new ParseError(
          `invalid JSON at ${where(text, scanner.getTokenOffset())}: nested deeper than ${MAX_DEPTH} levels; no object of these kinds needs more than a few`,
        );
      const path = !top ? '' : top.array ? `${top.path}[${top.index}]` : join(top.path, top.key);
      stack.push({
        array: t === OPEN_BRACKET,
        path,
        keys: new Set(),
        index: 0,
        key: '',
        expectKey: t === OPEN_BRACE,
      });
    } else if (t === CLOSE_BRACE || t === CLOSE_BRACKET) {
      stack.pop();
    } else if (t === COMMA && top) {
      if (top.array) top.index++;
      else top.expectKey = true;
    } else if (t === STRING && top && !top.array && top.expectKey) {
      const key = scanner.getTokenValue();
      if (top.keys.has(key)) duplicates.push(join(top.path, key));
      top.keys.add(key);
      top.key = key;
      top.expectKey = false;
    } else if (t === NUMBER && !bigIntegers) {
      const digits = scanner.getTokenValue();
      bigIntegers = /^-?\d{16,}$/.test(digits) && !Number.isSafeInteger(Number(digits));
    }
  }
  return { duplicates, bigIntegers };
}

/** Where JSON.parse's complaint is, by jsonc-parser (safe to recurse once the depth is known to be bounded). */
function syntaxError(text: string, e: Error): ParseError {
  const errors: JsoncParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const at = errors[0] ? ` at ${where(text, errors[0].offset)}` : '';
  return new ParseError(`invalid JSON${at}: ${e.message.replace(/, "[\s\S]*" is not valid JSON$/, '')}`);
}

/**
 * Parse JSON, noting duplicate fields; integers beyond 2^53 come back as bigint. Errors name the line and
 * column.
 */
export function parseJsonDocument(text: string): ParsedDocument {
  const { duplicates, bigIntegers } = scan(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw syntaxError(text, e as Error);
  }
  // Rare path: re-read through the YAML parser, which can give exact bigints.
  return { value: bigIntegers ? parseYaml(text) : (value as JsonValue), duplicates };
}

/** Parse JSON (a duplicate field: the last one wins); integers beyond 2^53 come back as bigint. */
export function parseJson(text: string): JsonValue {
  return parseJsonDocument(text).value;
}
