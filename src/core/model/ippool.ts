import { type Family, familyName } from '../ip/address.js';
import { parseCidr, cidrRange, formatCidr } from '../ip/cidr.js';
import { type FamilyRange, parseRange } from '../ip/range.js';
import { RangeSet } from '../ip/range-set.js';
import { ErrorCode, IpamError } from '../errors.js';
import { type SubnetModel, subnetFamily } from './subnet.js';

/** The parts of a Kube-OVN `IPPool` spec the engine reads (POOL-1). */
export interface IPPoolInput {
  name: string;
  subnet: string;
  ips: readonly string[];
  namespaces?: readonly string[] | undefined;
}

/** A validated IPPool: its addresses per family, clipped to the subnet's usable range. */
export interface IPPoolModel {
  readonly name: string;
  readonly subnet: string;
  readonly sets: ReadonlyMap<Family, RangeSet>;
  readonly namespaces: readonly string[];
}

function parseEntry(text: string): FamilyRange {
  // `ip`, `start..end` or a CIDR (the whole block).
  if (text.includes('/')) {
    const c = parseCidr(text, { hostBits: 'normalise', addressSpace: true });
    return { family: c.family, ...cidrRange(c) };
  }
  return parseRange(text, { separator: '..' });
}

/** Validates an IPPool against its subnet (POOL-1). Overlap with other pools is the engine's check (POOL-2). */
export function buildIPPool(input: IPPoolInput, subnet: SubnetModel): IPPoolModel {
  if (!Array.isArray(input.ips) || input.ips.length === 0) {
    throw new IpamError(
      ErrorCode.InvalidPool,
      'spec.ips is required: list addresses as "ip", "start..end" or a CIDR',
      { field: 'spec.ips' },
    );
  }
  const ranges = new Map<Family, FamilyRange[]>();
  input.ips.forEach((item, i) => {
    const field = `spec.ips[${i}]`;
    if (typeof item !== 'string')
      throw new IpamError(ErrorCode.InvalidRange, `${field} must be a string`, { field });
    let r: FamilyRange;
    try {
      r = parseEntry(item.trim());
    } catch (e) {
      throw (e as IpamError).at(field);
    }
    const fam = subnetFamily(subnet, r.family);
    if (!fam) {
      throw new IpamError(
        ErrorCode.InvalidIPFamily,
        `${field} "${item}" is ${familyName(r.family)} but subnet ${subnet.name} (${subnet.cidrBlock}) has no ${familyName(r.family)} CIDR`,
        { field, value: item },
      );
    }
    if (r.end < fam.usable.start || r.start > fam.usable.end) {
      throw new IpamError(
        ErrorCode.AddressOutOfRange,
        `${field} "${item}" is outside subnet ${subnet.name} (${formatCidr(fam.cidr)})`,
        { field, value: item },
      );
    }
    const start = r.start > fam.usable.start ? r.start : fam.usable.start;
    const end = r.end < fam.usable.end ? r.end : fam.usable.end;
    const list = ranges.get(r.family) ?? [];
    list.push({ family: r.family, start, end });
    ranges.set(r.family, list);
  });
  const sets = new Map<Family, RangeSet>();
  for (const [family, list] of ranges) sets.set(family, RangeSet.of(family, list));
  return { name: input.name, subnet: input.subnet, sets, namespaces: [...(input.namespaces ?? [])] };
}
