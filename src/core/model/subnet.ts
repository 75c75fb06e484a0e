import { type Family, familyName, formatValue, parseAddress } from '../ip/address.js';
import { type Cidr, cidrContains, cidrRange, formatCidr, parseCidr, usableRange } from '../ip/cidr.js';
import { type Range, parseRange } from '../ip/range.js';
import { RangeSet } from '../ip/range-set.js';
import { ErrorCode, IpamError } from '../errors.js';

/** The parts of a Kube-OVN `Subnet` spec the engine reads (all other fields pass through untouched). */
export interface SubnetInput {
  name: string;
  cidrBlock: string;
  gateway?: string | undefined;
  excludeIps?: readonly string[] | undefined;
  /** `ovn` (default): the subnet hands out MACs; any other provider is IPAM-only and hands out none. */
  provider?: string | undefined;
  /** Namespaces bound to the subnet (SUB-8), in order. */
  namespaces?: readonly string[] | undefined;
  default?: boolean | undefined;
}

/** One family of a subnet: its own address space. */
export interface SubnetFamily {
  readonly family: Family;
  readonly cidr: Cidr;
  /** Canonical CIDR text: the address-space id shared with SpiderIPPools of the same CIDR. */
  readonly space: string;
  readonly gateway: bigint;
  /** Addresses that may be handed out at all (network/broadcast removed). */
  readonly usable: Range;
  /** excludeIps of this family, clipped to the CIDR, always including the gateway. */
  readonly excluded: RangeSet;
}

/** A validated, normalised subnet. */
export interface SubnetModel {
  readonly name: string;
  readonly protocol: 'IPv4' | 'IPv6' | 'Dual';
  /** v4 first, then v6. */
  readonly families: readonly SubnetFamily[];
  readonly provider: string;
  readonly namespaces: readonly string[];
  readonly isDefault: boolean;
  /** Normalised spec text, as it is written back to the object. */
  readonly cidrBlock: string;
  readonly gatewayText: string;
  readonly excludeIps: readonly string[];
}

const fieldError = (code: IpamError['code'], field: string, message: string, value?: string): IpamError =>
  new IpamError(code, message, { field, value });

function parseCidrBlock(text: unknown): Cidr[] {
  if (typeof text !== 'string' || text.trim() === '') {
    throw fieldError(
      ErrorCode.InvalidCIDR,
      'spec.cidrBlock',
      'spec.cidrBlock is required, e.g. "10.16.0.0/16" or "10.16.0.0/16,fd00:10:16::/112"',
    );
  }
  const items = text.split(',').map((s) => s.trim());
  if (items.length > 2) {
    throw fieldError(
      ErrorCode.InvalidCIDR,
      'spec.cidrBlock',
      `spec.cidrBlock "${text}" has ${items.length} CIDRs; give one, or one IPv4 and one IPv6 separated by a comma`,
      text,
    );
  }
  const cidrs = items.map((item) => {
    try {
      return parseCidr(item, { hostBits: 'normalise', rejectSingleAddress: true, addressSpace: true });
    } catch (e) {
      throw (e as IpamError).at('spec.cidrBlock');
    }
  });
  if (cidrs.length === 2 && cidrs[0]!.family === cidrs[1]!.family) {
    throw fieldError(
      ErrorCode.InvalidIPFamily,
      'spec.cidrBlock',
      `spec.cidrBlock "${text}" has two ${familyName(cidrs[0]!.family)} CIDRs; a dual-stack subnet has one of each family`,
      text,
    );
  }
  return cidrs.sort((a, b) => a.family - b.family);
}

/** The normal form of a `cidrBlock` (what {@link buildSubnet} stores), or an error naming `spec.cidrBlock`. */
export function canonicalCidrBlock(text: unknown): string {
  return parseCidrBlock(text).map(formatCidr).join(',');
}

function parseGateways(text: string | undefined, cidrs: Cidr[]): Map<Family, bigint> {
  const gateways = new Map<Family, bigint>();
  const items = text === undefined || text.trim() === '' ? [] : text.split(',').map((s) => s.trim());
  if (items.length > cidrs.length) {
    throw fieldError(
      ErrorCode.InvalidSubnet,
      'spec.gateway',
      `spec.gateway "${text}" has more addresses than spec.cidrBlock has CIDRs`,
      text,
    );
  }
  for (const item of items) {
    let gw;
    try {
      gw = parseAddress(item);
    } catch (e) {
      throw (e as IpamError).at('spec.gateway');
    }
    const cidr = cidrs.find((c) => c.family === gw.family);
    if (!cidr || !cidrContains(cidr, gw)) {
      throw fieldError(
        ErrorCode.InvalidSubnet,
        'spec.gateway',
        `gateway ${item} is not inside spec.cidrBlock ${cidrs.map(formatCidr).join(',')}`,
        item,
      );
    }
    if (gateways.has(gw.family)) {
      throw fieldError(
        ErrorCode.InvalidIPFamily,
        'spec.gateway',
        `spec.gateway "${text}" has two ${familyName(gw.family)} addresses`,
        text,
      );
    }
    const usable = usableRange(cidr);
    if (gw.value < usable.start || gw.value > usable.end) {
      throw fieldError(
        ErrorCode.InvalidSubnet,
        'spec.gateway',
        `gateway ${item} is the network or broadcast address of ${formatCidr(cidr)}; choose a host address such as ${formatValue(cidr.family, usable.start)}`,
        item,
      );
    }
    gateways.set(gw.family, gw.value);
  }
  // SUB-1, SUB-2: a missing gateway (or a dual subnet's missing family) is the first usable address.
  for (const cidr of cidrs)
    if (!gateways.has(cidr.family)) gateways.set(cidr.family, usableRange(cidr).start);
  return gateways;
}

function parseExcludes(items: readonly string[] | undefined, cidrs: Cidr[]): Map<Family, Range[]> {
  const byFamily = new Map<Family, Range[]>(cidrs.map((c) => [c.family, []]));
  if (items === undefined || items === null) return byFamily;
  if (!Array.isArray(items))
    throw fieldError(
      ErrorCode.InvalidInput,
      'spec.excludeIps',
      'spec.excludeIps must be a list of "ip" or "start..end" strings',
    );
  items.forEach((item, i) => {
    const field = `spec.excludeIps[${i}]`;
    if (typeof item !== 'string')
      throw fieldError(
        ErrorCode.InvalidRange,
        field,
        `${field} must be a string such as "10.16.0.1" or "10.16.0.10..10.16.0.20"`,
      );
    let r;
    try {
      r = parseRange(item, { separator: '..' });
    } catch (e) {
      throw (e as IpamError).at(field);
    }
    const cidr = cidrs.find((c) => c.family === r.family);
    const whole = cidr && cidrRange(cidr);
    if (!whole || r.end < whole.start || r.start > whole.end) {
      throw fieldError(
        ErrorCode.AddressOutOfRange,
        field,
        `${field} "${item}" is not inside spec.cidrBlock ${cidrs.map(formatCidr).join(',')}`,
        item,
      );
    }
    byFamily.get(r.family)!.push({
      start: r.start > whole.start ? r.start : whole.start,
      end: r.end < whole.end ? r.end : whole.end,
    });
  });
  return byFamily;
}

/**
 * Validates and normalises a subnet (SUB-1 … SUB-5): CIDRs normalised to their network address, the
 * gateway defaulted and completed per family, `excludeIps` parsed, clipped, merged and always including the
 * gateway. Throws IpamError naming the field.
 */
export function buildSubnet(input: SubnetInput): SubnetModel {
  const cidrs = parseCidrBlock(input.cidrBlock);
  const gateways = parseGateways(input.gateway, cidrs);
  const excludes = parseExcludes(input.excludeIps, cidrs);
  const families: SubnetFamily[] = cidrs.map((cidr) => {
    const gateway = gateways.get(cidr.family)!;
    const excluded = RangeSet.of(cidr.family, [
      ...excludes.get(cidr.family)!,
      { start: gateway, end: gateway },
    ]);
    return {
      family: cidr.family,
      cidr,
      space: formatCidr(cidr),
      gateway,
      usable: usableRange(cidr),
      excluded,
    };
  });
  const excludeIps = families.flatMap((f) => f.excluded.toStrings('..'));
  return {
    name: input.name,
    protocol: families.length === 2 ? 'Dual' : familyName(families[0]!.family),
    families,
    provider: input.provider && input.provider !== '' ? input.provider : 'ovn',
    namespaces: [...(input.namespaces ?? [])],
    isDefault: input.default === true,
    cidrBlock: families.map((f) => f.space).join(','),
    gatewayText: families.map((f) => formatValue(f.family, f.gateway)).join(','),
    excludeIps,
  };
}

export function subnetFamily(subnet: SubnetModel, family: Family): SubnetFamily | undefined {
  return subnet.families.find((f) => f.family === family);
}
