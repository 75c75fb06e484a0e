import { type Address, type Family, formatValue, parseAddress } from './address.js';
import { ErrorCode, IpamError } from '../errors.js';
import { checkNotIpv4Alias } from './ipv4-alias.js';

/** An inclusive range of address values of one family (the family is carried by the owner). */
export interface Range {
  readonly start: bigint;
  readonly end: bigint;
}

/** A range together with its family, as parsed from text. */
export interface FamilyRange extends Range {
  readonly family: Family;
}

export function rangeSize(r: Range): bigint {
  return r.end - r.start + 1n;
}

/** `a` for a single address, `a<sep>b` otherwise. */
export function formatRange(family: Family, r: Range, separator = '-'): string {
  const start = formatValue(family, r.start);
  return r.start === r.end ? start : `${start}${separator}${formatValue(family, r.end)}`;
}

export interface ParseRangeOptions {
  /** `..` for Kube-OVN `excludeIps` and IPPool `ips`; `-` for Spiderpool `ips`/`excludeIPs`. */
  separator: '..' | '-';
}

/**
 * Parses `ip` or `start<sep>end` (no spaces). A reversed range is an error: the reference systems accept
 * some reversed ranges and then silently never use them.
 */
export function parseRange(text: string, options: ParseRangeOptions): FamilyRange {
  const sep = options.separator;
  if (typeof text !== 'string' || text.length === 0) {
    throw new IpamError(ErrorCode.InvalidRange, 'empty address range', { value: String(text) });
  }
  if (/\s/.test(text)) {
    throw new IpamError(ErrorCode.InvalidRange, `invalid range "${text}": no spaces allowed`, {
      value: text,
    });
  }
  // IPv6 text contains no "-" or "..", so the first separator splits the two ends unambiguously.
  const at = text.indexOf(sep);
  let start: Address;
  let end: Address;
  try {
    if (at < 0) {
      start = end = parseAddress(text);
    } else {
      const rest = text.slice(at + sep.length);
      if (rest.includes(sep)) throw new Error(`more than one "${sep}"`);
      start = parseAddress(text.slice(0, at));
      end = parseAddress(rest);
    }
  } catch (e) {
    const why = e instanceof IpamError ? e.message : (e as Error).message;
    throw new IpamError(
      ErrorCode.InvalidRange,
      `invalid range "${text}": ${why}; expected an address or start${sep}end`,
      { value: text },
    );
  }
  if (start.family !== end.family) {
    throw new IpamError(ErrorCode.InvalidRange, `invalid range "${text}": both ends must be of one family`, {
      value: text,
    });
  }
  if (start.value > end.value) {
    throw new IpamError(
      ErrorCode.InvalidRange,
      `invalid range "${text}": start is after end; write it as ${formatValue(end.family, end.value)}${sep}${formatValue(start.family, start.value)}`,
      { value: text },
    );
  }
  // Ranges are only ever addresses ipkeeper manages (excludeIps, pool ips, reservations).
  checkNotIpv4Alias(
    start.family,
    { start: start.value, end: end.value },
    `range "${text}"`,
    ErrorCode.InvalidRange,
  );
  return { family: start.family, start: start.value, end: end.value };
}
