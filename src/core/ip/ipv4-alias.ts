import { ErrorCode, IpamError } from '../errors.js';
import { type Family, formatValue } from './address.js';
import { type Range } from './range.js';

/**
 * IPv6 blocks whose addresses stand for IPv4 addresses (RFC 4291 §2.5.5): `::ffff:a.b.c.d` (IPv4-mapped) and
 * `::a.b.c.d` (IPv4-compatible, deprecated). An address space in either would hold addresses that are also
 * in an IPv4 subnet (`::ffff:10.50.0.2` is 10.50.0.2), so one address could be given twice; ipkeeper manages
 * none of them. Unique-local, documentation and every other IPv6 prefix stay valid.
 */
export const IPV4_ALIAS_BLOCKS: readonly {
  readonly cidr: string;
  readonly name: string;
  readonly range: Range;
}[] = [
  { cidr: '::/96', name: 'IPv4-compatible', range: { start: 0n, end: 0xffff_ffffn } },
  { cidr: '::ffff:0:0/96', name: 'IPv4-mapped', range: { start: 0xffff_0000_0000n, end: 0xffff_ffff_ffffn } },
];

/**
 * Refuses an address, range or block (`range` of `family`, written `text`) that overlaps an IPv4 alias block,
 * with the engine code of what was being parsed. The one rule behind every place addresses enter: subnets,
 * pools, exclusions, reservations and static requests.
 */
export function checkNotIpv4Alias(
  family: Family,
  range: Range,
  text: string,
  code: ErrorCode = ErrorCode.InvalidAddress,
): void {
  if (family !== 6) return;
  for (const block of IPV4_ALIAS_BLOCKS) {
    if (range.end < block.range.start || range.start > block.range.end) continue;
    const sample = range.start >= block.range.start ? range.start : block.range.start;
    const v4 = formatValue(4, sample & 0xffff_ffffn);
    throw new IpamError(
      code,
      `${text} is in ${block.cidr}, the ${block.name} IPv6 addresses: ${formatValue(6, sample)} stands for the IPv4 ` +
        `address ${v4}, so one address would belong to two address spaces; use the IPv4 address itself, or an ` +
        `IPv6 prefix outside ::ffff:0:0/96 and ::/96 (e.g. a unique-local fd00::/8 one)`,
      { value: text },
    );
  }
}
