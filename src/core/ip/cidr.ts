import { type Address, type Family, familyBits, formatValue, parseAddress } from './address.js';
import { ErrorCode, IpamError } from '../errors.js';
import { checkNotIpv4Alias } from './ipv4-alias.js';
import { type Range } from './range.js';

/** A CIDR block: family, network value (host bits zero) and prefix length. */
export interface Cidr {
  readonly family: Family;
  readonly base: bigint;
  readonly prefix: number;
}

export interface ParseCidrOptions {
  /**
   * `normalise` (Kube-OVN subnets, SUB-3): host bits are cleared. `canonical` (Spiderpool, SPP-1): host bits
   * are an error whose message names the canonical form.
   */
  hostBits?: 'normalise' | 'canonical';
  /** Refuse single-address blocks (/32, /128) — a subnet needs room for more than its own network. */
  rejectSingleAddress?: boolean;
  /**
   * The block is an address space or pool ipkeeper hands addresses from: IPv6 blocks that alias IPv4 ones
   * are refused ({@link checkNotIpv4Alias}). Not for routes, where `::/0` is the usual destination.
   */
  addressSpace?: boolean;
}

function invalidCidr(text: string, why: string): IpamError {
  return new IpamError(ErrorCode.InvalidCIDR, `invalid CIDR "${text}": ${why}`, { value: text });
}

export function hostMask(family: Family, prefix: number): bigint {
  return (1n << BigInt(familyBits(family) - prefix)) - 1n;
}

export function parseCidr(text: string, options: ParseCidrOptions = {}): Cidr {
  if (typeof text !== 'string') throw invalidCidr(String(text), 'not a string');
  const slash = text.indexOf('/');
  if (slash < 0) throw invalidCidr(text, 'expected address/prefix, e.g. 10.16.0.0/16');
  let addr: Address;
  try {
    addr = parseAddress(text.slice(0, slash));
  } catch (e) {
    throw invalidCidr(text, (e as Error).message);
  }
  const prefixText = text.slice(slash + 1);
  const bits = familyBits(addr.family);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    throw invalidCidr(text, `the prefix length must be a number from 0 to ${bits}`);
  }
  const prefix = Number(prefixText);
  if (options.rejectSingleAddress && prefix === bits) {
    throw invalidCidr(text, `a /${bits} block holds a single address; use a shorter prefix`);
  }
  const base = addr.value & ~hostMask(addr.family, prefix);
  if (options.addressSpace) {
    checkNotIpv4Alias(
      addr.family,
      { start: base, end: base | hostMask(addr.family, prefix) },
      text,
      ErrorCode.InvalidCIDR,
    );
  }
  if (base !== addr.value && options.hostBits === 'canonical') {
    const canonical = `${formatValue(addr.family, base)}/${prefix}`;
    throw new IpamError(
      ErrorCode.InvalidCIDR,
      `unformatted subnet ${text}, please change it to ${canonical}`,
      { value: text },
    );
  }
  return { family: addr.family, base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatValue(c.family, c.base)}/${c.prefix}`;
}

/** Every address of the block, network and broadcast included. */
export function cidrRange(c: Cidr): Range {
  return { start: c.base, end: c.base | hostMask(c.family, c.prefix) };
}

/** Number of addresses in the block. */
export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(familyBits(c.family) - c.prefix);
}

export function cidrContains(c: Cidr, a: Address): boolean {
  return a.family === c.family && (a.value & ~hostMask(c.family, c.prefix)) === c.base;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const shorter = Math.min(a.prefix, b.prefix);
  const mask = ~hostMask(a.family, shorter);
  return (a.base & mask) === (b.base & mask);
}

/**
 * The addresses of a block that may be handed out: all but the network and broadcast addresses for IPv4
 * prefixes below /31, and all but the network and the all-ones address for IPv6 prefixes below /127 (as the
 * reference system does). /31 and /127 (point-to-point) use both addresses; /32 and /128 their only one.
 */
export function usableRange(c: Cidr): Range {
  const full = cidrRange(c);
  if (familyBits(c.family) - c.prefix < 2) return full;
  return { start: full.start + 1n, end: full.end - 1n };
}
