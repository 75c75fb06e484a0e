import { type Family, parseAddress } from '../ip/address.js';
import { type RangeSet } from '../ip/range-set.js';
import { ErrorCode, IpamError } from '../errors.js';
import { parseSpiderRanges } from './spider-pool.js';

/** The parts of a `SpiderReservedIP` spec the engine reads. */
export interface ReservationInput {
  name: string;
  ipVersion?: number | null | undefined;
  ips?: readonly string[] | null | undefined;
}

/** A cluster-wide reservation: addresses that no subnet or pool hands out (SPR-1). */
export interface ReservationModel {
  readonly name: string;
  readonly family: Family;
  readonly set: RangeSet;
  /** Merged, sorted `ips` text. */
  readonly ipsText: readonly string[];
}

/** Validates a SpiderReservedIP (SPR-3): non-empty ips, one family derived from the first item, ordered ranges. */
export function buildReservation(input: ReservationInput): ReservationModel {
  const ips = input.ips;
  if (!Array.isArray(ips) || ips.length === 0) {
    throw new IpamError(
      ErrorCode.InvalidReservation,
      'spec.ips is empty: list the reserved addresses as "ip" or "start-end"',
      { field: 'spec.ips' },
    );
  }
  const first = ips[0];
  let family: Family;
  try {
    family = parseAddress(String(first).split('-')[0] ?? '').family;
  } catch (e) {
    throw (e as IpamError).at('spec.ips[0]');
  }
  if (input.ipVersion !== undefined && input.ipVersion !== null && input.ipVersion !== family) {
    throw new IpamError(
      ErrorCode.InvalidIPFamily,
      `spec.ipVersion ${input.ipVersion} does not match spec.ips[0] "${first}" (IPv${family})`,
      { field: 'spec.ipVersion' },
    );
  }
  const set = parseSpiderRanges(ips, 'spec.ips', family);
  return { name: input.name, family, set, ipsText: set.toStrings('-') };
}
