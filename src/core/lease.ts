import { type Address, type Family, formatValue } from './ip/address.js';
import { formatMac } from './mac.js';

/** One held address of a lease. */
export interface LeaseAddress {
  /** Address-space id (canonical CIDR). */
  readonly space: string;
  readonly family: Family;
  readonly value: bigint;
  /** The Kube-OVN IPPool or SpiderIPPool it was drawn from, '' for the subnet's own free space. */
  readonly pool: string;
}

/**
 * What one owner interface holds (ENG-4: the key is the idempotency key, e.g. a reservation `vm1.default`
 * or a pod interface). Held at most one address per family, and at most one MAC shared by both (ENG-6).
 */
export interface Lease {
  readonly key: string;
  /** Kube-OVN subnet name, or '' when the addresses come from SpiderIPPools outside any subnet. */
  subnet: string;
  addresses: LeaseAddress[];
  /** 48-bit MAC, or undefined for none. */
  mac: number | undefined;
}

/** A lease in plain, serialisable form (for the store and for save/load). */
export interface LeaseRecord {
  key: string;
  subnet: string;
  addresses: { space: string; address: string; pool?: string | undefined }[];
  mac?: string | undefined;
}

/**
 * The engine's own LeaseAddress: the family is derived from the address-space id (an IPv6 CIDR has a ':')
 * instead of stored, one field less on every held address.
 */
export class HeldAddress implements LeaseAddress {
  constructor(
    readonly space: string,
    readonly value: bigint,
    readonly pool: string,
  ) {}

  get family(): Family {
    return this.space.includes(':') ? 6 : 4;
  }
}

export function leaseAddress(lease: Lease, family: Family): LeaseAddress | undefined {
  return lease.addresses.find((a) => a.family === family);
}

/** A lease as the store records it (addresses as text, no empty pool or MAC). */
export function leaseRecordOf(lease: Lease): LeaseRecord {
  return {
    key: lease.key,
    subnet: lease.subnet,
    addresses: lease.addresses.map((a) => ({
      space: a.space,
      address: formatValue(a.family, a.value),
      ...(a.pool ? { pool: a.pool } : {}),
    })),
    ...(lease.mac !== undefined ? { mac: formatMac(lease.mac) } : {}),
  };
}

export function cloneLease(lease: Lease): Lease {
  return { key: lease.key, subnet: lease.subnet, addresses: [...lease.addresses], mac: lease.mac };
}

export type { Address };
