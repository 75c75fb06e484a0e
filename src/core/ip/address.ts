import { ErrorCode, IpamError } from '../errors.js';

/** IP family: 4 or 6. One value type carries both; nothing in the engine is written twice per family. */
export type Family = 4 | 6;

/** An IP address: its family and its value as an unsigned integer (32 or 128 bits). */
export interface Address {
  readonly family: Family;
  readonly value: bigint;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };
const MAX: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

export function familyBits(family: Family): number {
  return BITS[family];
}

export function familyMax(family: Family): bigint {
  return MAX[family];
}

export function familyName(family: Family): 'IPv4' | 'IPv6' {
  return family === 4 ? 'IPv4' : 'IPv6';
}

export function address(family: Family, value: bigint): Address {
  return { family, value };
}

function invalid(text: string, why: string): IpamError {
  return new IpamError(ErrorCode.InvalidAddress, `invalid IP address "${text}": ${why}`, { value: text });
}

function parseV4Value(text: string): bigint | string {
  const parts = text.split('.');
  if (parts.length !== 4) return 'an IPv4 address has four dot-separated numbers';
  let value = 0;
  for (const part of parts) {
    // Leading zeros are refused: "010" means 8 to some parsers and 10 to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return `"${part}" is not a number from 0 to 255`;
    const n = Number(part);
    if (n > 255) return `"${part}" is not a number from 0 to 255`;
    value = value * 256 + n;
  }
  return BigInt(value);
}

function parseV6Value(text: string): bigint | string {
  if (text.includes('%')) return 'zone identifiers are not allowed';
  let body = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // Embedded IPv4 in the last 32 bits (e.g. ::ffff:10.0.0.1): rewrite it as two hex groups.
    const v4 = parseV4Value(text.slice(lastColon + 1));
    if (typeof v4 === 'string') return v4;
    body = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const doubleColon = body.indexOf('::');
  if (doubleColon !== body.lastIndexOf('::')) return '"::" may appear only once';
  const splitGroups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let groups: string[];
  if (doubleColon >= 0) {
    const left = splitGroups(body.slice(0, doubleColon));
    const right = splitGroups(body.slice(doubleColon + 2));
    const missing = 8 - left.length - right.length;
    if (missing < 1) return 'too many groups';
    groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  } else {
    groups = splitGroups(body);
    if (groups.length !== 8) return `an IPv6 address has eight groups, found ${groups.length}`;
  }
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return `"${g}" is not a hexadecimal group of 1 to 4 digits`;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

/**
 * Parses an IPv4 or IPv6 address. IPv6 hex digits may be written in either case (RFC 4291); the engine
 * always prints the canonical lower-case form of RFC 5952, so `FD00::000E` and `fd00::e` are one address
 * everywhere (the reference system accepted upper case in some places and refused it in others).
 */
export function parseAddress(text: string): Address {
  if (typeof text !== 'string' || text.length === 0) throw invalid(String(text), 'empty');
  if (text.length > 64) throw invalid(text.slice(0, 64) + '…', 'too long');
  const family: Family = text.includes(':') ? 6 : 4;
  const value = family === 4 ? parseV4Value(text) : parseV6Value(text);
  if (typeof value === 'string') throw invalid(text, value);
  return { family, value };
}

/** Like {@link parseAddress} but answers `undefined` instead of throwing. */
export function tryParseAddress(text: string): Address | undefined {
  try {
    return parseAddress(text);
  } catch {
    return undefined;
  }
}

/** Formats an address value of a family: dotted quad, or RFC 5952 canonical IPv6 text. */
export function formatValue(family: Family, value: bigint): string {
  if (family === 4) {
    const n = Number(value);
    return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // Longest run of two or more zero groups is compressed; the first one wins a tie (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function formatAddress(a: Address): string {
  return formatValue(a.family, a.value);
}

/** Canonical text of an address given as text; throws InvalidAddress if it does not parse. */
export function canonicalAddress(text: string): string {
  return formatAddress(parseAddress(text));
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.family === b.family && a.value === b.value;
}

export function compareAddress(a: Address, b: Address): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}
