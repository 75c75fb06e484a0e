import { ErrorCode, IpamError } from '../errors.js';
import { type Address, familyName, formatAddress, parseAddress } from '../ip/address.js';
import { checkNotIpv4Alias } from '../ip/ipv4-alias.js';

/**
 * Shared pieces of the annotation parsers. Every error names the annotation key as `field` and the whole
 * annotation value as `value`; the message says what is wrong and how to write it, because the person
 * reading it is looking at a pod manifest, not at our code.
 */

/** The v4 and/or v6 address of one interface; at least one is present. */
export interface AddressPair {
  readonly v4?: Address;
  readonly v6?: Address;
}

export function annotationError(key: string, value: string, message: string): IpamError {
  return new IpamError(ErrorCode.InvalidAnnotation, `${key}: ${message}`, { field: key, value });
}

/** Shown back to the user: long values are cut so an error stays readable. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * Splits on `sep` and trims each item. Whitespace around separators is accepted (YAML authors write
 * `a, b`); an empty item (`a,,b`, a leading or trailing separator) is an error naming its position.
 */
export function splitItems(key: string, value: string, text: string, sep: string, what: string): string[] {
  const items = text.split(sep).map((s) => s.trim());
  items.forEach((item, i) => {
    if (item === '') {
      throw annotationError(
        key,
        value,
        `${what} ${i + 1} of ${items.length} is empty in ${quote(text)}; remove the extra "${sep}"`,
      );
    }
  });
  return items;
}

/**
 * One address written in an annotation. A `/prefix` suffix is refused with a hint: Kube-OVN's webhook
 * lets `10.16.0.15/24` through but its controller then fails with "failed to parse IP", so no working
 * manifest uses it, and accepting it would silently drop a prefix that may disagree with the subnet.
 */
export function parseAnnotationAddress(key: string, value: string, item: string): Address {
  const slash = item.indexOf('/');
  const bare = slash >= 0 ? tryFormat(item.slice(0, slash)) : undefined;
  if (bare !== undefined) {
    throw annotationError(
      key,
      value,
      `${quote(item)} carries a /prefix; write the address alone (${bare}) — the prefix comes from the subnet`,
    );
  }
  try {
    const a = parseAddress(item);
    checkNotIpv4Alias(a.family, { start: a.value, end: a.value }, quote(item));
    return a;
  } catch (e) {
    const why = e instanceof IpamError ? e.message : String(e);
    throw annotationError(
      key,
      value,
      `${why}; write an IPv4 address such as 10.16.0.15 or an IPv6 address such as fd00:10:16::15`,
    );
  }
}

function tryFormat(text: string): string | undefined {
  try {
    return formatAddress(parseAddress(text));
  } catch {
    return undefined;
  }
}

/**
 * One or two addresses written `a` or `a,b` (already split); two must be of different families.
 * Two of one family is `InvalidIPFamily` (STA-1), the code callers use for family mistakes.
 */
export function pairFrom(key: string, value: string, items: readonly string[], context: string): AddressPair {
  if (items.length > 2) {
    throw annotationError(
      key,
      value,
      `${context} has ${items.length} addresses; one interface takes one address per family, written "v4" or "v4,v6"`,
    );
  }
  const addrs = items.map((item) => parseAnnotationAddress(key, value, item));
  const [a, b] = addrs;
  if (a === undefined) throw annotationError(key, value, `${context} is empty`);
  if (b === undefined) return a.family === 4 ? { v4: a } : { v6: a };
  if (a.family === b.family) {
    throw new IpamError(
      ErrorCode.InvalidIPFamily,
      `${key}: ${context} has two ${familyName(a.family)} addresses (${formatAddress(a)}, ${formatAddress(b)}); ` +
        `an interface takes one address per family, written "v4,v6" such as 10.16.0.15,fd00:10:16::15`,
      { field: key, value },
    );
  }
  return a.family === 4 ? { v4: a, v6: b } : { v4: b, v6: a };
}

/** Canonical text of a pair, `v4`, `v6` or `v4,v6` — for messages and annotation output only. */
export function formatPair(p: AddressPair): string {
  return [p.v4, p.v6].flatMap((a) => (a ? [formatAddress(a)] : [])).join(',');
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes object name (RFC 1123 subdomain): what Subnet and IPPool names must be. */
export function isObjectName(text: string): boolean {
  return text.length <= 253 && DNS1123_SUBDOMAIN.test(text);
}
