import { IpamError } from '../errors.js';
import { annotationError, isObjectName, quote } from './common.js';
import { isGlobPattern, validateGlob } from './glob.js';
import { SPIDER_KEYS } from './keys.js';

/** The pools a pod asks for, per family, as written (names or glob patterns, the user's order kept). */
export interface SpiderPoolChoice {
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

const EXAMPLE = '{"ipv4":["pool-v4"],"ipv6":["pool-v6"]}';

/** Keys a user might reasonably write, with what to do instead. */
const MISPLACED: Record<string, string> = {
  interface: `"interface" belongs to the multi-NIC annotation ${SPIDER_KEYS.ipPools} (a JSON array of {"interface", "ipv4", "ipv6"}); ${SPIDER_KEYS.ipPool} applies to the interface being set up`,
  cleangateway: `"cleangateway" belongs to the multi-NIC annotation ${SPIDER_KEYS.ipPools}`,
  ipv4pools: '"ipv4pools" is the old spelling; write "ipv4"',
  ipv6pools: '"ipv6pools" is the old spelling; write "ipv6"',
};

function parseJson(key: string, value: string, example: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (e) {
    throw annotationError(key, value, `is not valid JSON (${(e as Error).message}); write it as ${example}`);
  }
}

function describe(v: unknown): string {
  return v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? 'an object'
        : `a ${typeof v}`;
}

/**
 * A list of pool names or patterns. Literal names must be valid object names and glob patterns must be well
 * formed (else no pool could ever match); the same text twice is refused, as Spiderpool does
 * ("duplicate IPPool … specified").
 */
function nameList(key: string, value: string, list: unknown, where: string, example: string): string[] {
  if (!Array.isArray(list)) {
    throw annotationError(
      key,
      value,
      `${where} is ${describe(list)}; it must be an array of pool names, as in ${example}`,
    );
  }
  const seen = new Set<string>();
  return list.map((item: unknown, i) => {
    const at = `${where}[${i}]`;
    if (typeof item !== 'string') {
      throw annotationError(
        key,
        value,
        `${at} is ${describe(item)}; pool names are strings, as in ${example}`,
      );
    }
    if (item === '') throw annotationError(key, value, `${at} is an empty pool name`);
    if (isGlobPattern(item)) {
      try {
        validateGlob(item);
      } catch (e) {
        throw annotationError(key, value, `${at}: ${e instanceof IpamError ? e.message : String(e)}`);
      }
    } else if (!isObjectName(item)) {
      throw annotationError(
        key,
        value,
        `${at} ${quote(item)} is not a valid pool name (lower-case letters, digits, "-" and ".") ` +
          `nor a pattern (*, ?, [...])`,
      );
    }
    if (seen.has(item)) throw annotationError(key, value, `${at}: pool ${quote(item)} is listed twice`);
    seen.add(item);
    return item;
  });
}

/**
 * `ipam.spidernet.io/ippool` (SPP-6): `{"ipv4":["p"],"ipv6":["q"]}`. Either key may be missing (or null);
 * at least one name must be given. Unknown keys are refused (Spiderpool's Go decoder silently ignores them,
 * so a typo quietly falls back to the default pools), naming the right annotation where there is one.
 */
export function parseSpiderIPPoolAnnotation(
  value: string,
  key: string = SPIDER_KEYS.ipPool,
): SpiderPoolChoice {
  const doc = parseJson(key, value, EXAMPLE);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    const extra = Array.isArray(doc)
      ? `; a JSON array is the multi-NIC form, which belongs in ${SPIDER_KEYS.ipPools}`
      : '';
    throw annotationError(
      key,
      value,
      `is ${describe(doc)}; it must be a JSON object such as ${EXAMPLE}${extra}`,
    );
  }
  const obj = doc as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (k === 'ipv4' || k === 'ipv6') continue;
    throw annotationError(
      key,
      value,
      MISPLACED[k] ?? `unknown key ${quote(k)}; the keys are "ipv4" and "ipv6", as in ${EXAMPLE}`,
    );
  }
  const ipv4 = obj.ipv4 == null ? [] : nameList(key, value, obj.ipv4, '"ipv4"', EXAMPLE);
  const ipv6 = obj.ipv6 == null ? [] : nameList(key, value, obj.ipv6, '"ipv6"', EXAMPLE);
  if (ipv4.length === 0 && ipv6.length === 0) {
    throw annotationError(
      key,
      value,
      `names no pool; give "ipv4" and/or "ipv6" pool names, as in ${EXAMPLE}`,
    );
  }
  return { ipv4, ipv6 };
}

/**
 * The namespace annotations `ipam.spidernet.io/default-ipv4-ippool` and `default-ipv6-ippool` (SPP-6): a
 * JSON array of pool names or patterns, e.g. `["ns-v4-pool1","ns-v4-pool2"]`. An empty array means "none".
 */
export function parseSpiderDefaultPoolsAnnotation(value: string, key: string): string[] {
  const example = '["pool-a","pool-b"]';
  return nameList(key, value, parseJson(key, value, example), 'the value', example);
}
