import { type Family, familyName, formatValue, parseAddress } from '../ip/address.js';
import { type Cidr, cidrContains, cidrRange, formatCidr, parseCidr } from '../ip/cidr.js';
import { type Range, parseRange } from '../ip/range.js';
import { RangeSet } from '../ip/range-set.js';
import { ErrorCode, IpamError } from '../errors.js';

/** The parts of a `SpiderIPPool` spec the engine reads. */
export interface SpiderPoolInput {
  name: string;
  subnet: string;
  ipVersion?: number | null | undefined;
  ips?: readonly string[] | null | undefined;
  excludeIPs?: readonly string[] | null | undefined;
  gateway?: string | null | undefined;
  default?: boolean | null | undefined;
  disable?: boolean | null | undefined;
}

/** A validated SpiderIPPool. */
export interface SpiderPoolModel {
  readonly name: string;
  readonly family: Family;
  readonly cidr: Cidr;
  /** Address-space id: the canonical CIDR. Shared with a Subnet of the same CIDR. */
  readonly space: string;
  readonly ips: RangeSet;
  readonly excluded: RangeSet;
  /** ips − excludeIPs: what the pool may hand out before reservations and holders are removed. */
  readonly effective: RangeSet;
  readonly gateway: bigint | undefined;
  readonly isDefault: boolean;
  readonly disabled: boolean;
  /** Normalised (merged, sorted) `ips` and `excludeIPs` text, as written back (SPP-2). */
  readonly ipsText: readonly string[];
  readonly excludeText: readonly string[];
}

/** Parses Spiderpool `ips`-style lists: `ip` or `start-end`, no CIDR, no spaces, inside `cidr` (SPP-2). */
export function parseSpiderRanges(
  items: readonly string[] | null | undefined,
  field: string,
  family: Family,
  cidr?: Cidr,
): RangeSet {
  if (items === undefined || items === null) return RangeSet.empty(family);
  if (!Array.isArray(items))
    throw new IpamError(ErrorCode.InvalidInput, `${field} must be a list of "ip" or "start-end" strings`, {
      field,
    });
  const ranges: Range[] = items.map((item, i) => {
    const f = `${field}[${i}]`;
    if (typeof item !== 'string')
      throw new IpamError(ErrorCode.InvalidRange, `${f} must be a string`, { field: f });
    if (item.includes('/')) {
      throw new IpamError(
        ErrorCode.InvalidRange,
        `${f} "${item}": CIDR notation is not accepted here; write "start-end"`,
        { field: f, value: item },
      );
    }
    let r;
    try {
      r = parseRange(item, { separator: '-' });
    } catch (e) {
      throw (e as IpamError).at(f);
    }
    if (r.family !== family) {
      throw new IpamError(
        ErrorCode.InvalidIPFamily,
        `${f} "${item}" is ${familyName(r.family)} but the pool is ${familyName(family)}`,
        { field: f, value: item },
      );
    }
    if (cidr) {
      const whole = cidrRange(cidr);
      if (r.start < whole.start || r.end > whole.end) {
        throw new IpamError(
          ErrorCode.AddressOutOfRange,
          `${f} "${item}" is not inside spec.subnet ${formatCidr(cidr)}`,
          { field: f, value: item },
        );
      }
    }
    return r;
  });
  return RangeSet.of(family, ranges);
}

/** Validates and normalises a SpiderIPPool (SPP-1, SPP-2, SPP-4). Cross-pool checks are the engine's (SPP-3). */
export function buildSpiderPool(input: SpiderPoolInput): SpiderPoolModel {
  if (typeof input.subnet !== 'string' || input.subnet === '') {
    throw new IpamError(ErrorCode.InvalidCIDR, 'spec.subnet is required, e.g. "172.18.41.0/24"', {
      field: 'spec.subnet',
    });
  }
  let cidr: Cidr;
  try {
    cidr = parseCidr(input.subnet, { hostBits: 'canonical', addressSpace: true });
  } catch (e) {
    throw (e as IpamError).at('spec.subnet');
  }
  const family = cidr.family;
  if (input.ipVersion !== undefined && input.ipVersion !== null && input.ipVersion !== family) {
    throw new IpamError(
      ErrorCode.InvalidIPFamily,
      `spec.ipVersion ${input.ipVersion} does not match spec.subnet ${input.subnet} (IPv${family})`,
      { field: 'spec.ipVersion' },
    );
  }
  const ips = parseSpiderRanges(input.ips, 'spec.ips', family, cidr);
  const excluded = parseSpiderRanges(input.excludeIPs, 'spec.excludeIPs', family, cidr);
  const effective = ips.difference(excluded);
  let gateway: bigint | undefined;
  if (input.gateway !== undefined && input.gateway !== null && input.gateway !== '') {
    let gw;
    try {
      gw = parseAddress(input.gateway);
    } catch (e) {
      throw (e as IpamError).at('spec.gateway');
    }
    if (!cidrContains(cidr, gw)) {
      throw new IpamError(
        ErrorCode.InvalidPool,
        `spec.gateway ${input.gateway} is not inside spec.subnet ${formatCidr(cidr)}`,
        { field: 'spec.gateway', value: input.gateway },
      );
    }
    gateway = gw.value;
    if (effective.contains(gateway)) {
      // SPP-4: name the ips item that holds the gateway.
      const i = (input.ips ?? []).findIndex((item) =>
        parseSpiderRanges([item], 'spec.ips', family).contains(gw.value),
      );
      const item = (input.ips ?? [])[i];
      throw new IpamError(
        ErrorCode.InvalidPool,
        `spec.ips[${i}] "${item}" conflicts with spec.gateway ${formatValue(family, gateway)}: add the gateway to spec.excludeIPs or remove it from spec.ips`,
        { field: `spec.ips[${i}]`, value: item },
      );
    }
  }
  return {
    name: input.name,
    family,
    cidr,
    space: formatCidr(cidr),
    ips,
    excluded,
    effective,
    gateway,
    isDefault: input.default === true,
    disabled: input.disable === true,
    ipsText: ips.toStrings('-'),
    excludeText: excluded.toStrings('-'),
  };
}

const INT64_MAX = (1n << 63n) - 1n;

/** totalIPCount: |ips − excludeIPs|, capped at 2^63−1 for huge IPv6 pools (SPP-7). */
export function spiderTotalCount(pool: SpiderPoolModel): bigint {
  const n = pool.effective.size();
  return n > INT64_MAX ? INT64_MAX : n;
}
