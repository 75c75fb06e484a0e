/**
 * An in-memory CniService for the CNI tests and the stub daemon. It is a stand-in: the real service
 * (src/service) is being written concurrently and will replace it in the integration tests. It follows the
 * contract the endpoint relies on — idempotent ADD per (network, containerId, ifName), DEL of nothing
 * succeeds, lowest free address, gateway = network + 1 — and records every call for assertions.
 */
import { ErrorCode, IpamError } from '../../src/core/errors.js';
import { formatValue, parseAddress } from '../../src/core/ip/address.js';
import { parseCidr, type Cidr } from '../../src/core/ip/cidr.js';
import type {
  CniAddRequest,
  CniAllocatedIp,
  CniAllocation,
  CniCheckRequest,
  CniDelRequest,
  CniGcRequest,
  CniService,
  CniStatusRequest,
} from '../../src/cni/cni-service.js';

/** A named address space of the fake: one CIDR per family (dual stack = two). */
export interface MemorySubnet {
  cidrs: string[];
}

export interface MemoryServiceOptions {
  /** Subnets by name; `ipam.subnet` picks one, else `defaultSubnet`. */
  subnets: Record<string, MemorySubnet>;
  defaultSubnet: string;
  /** Give every allocation a MAC (derived from the first address) when none was requested. */
  assignMac?: boolean;
}

/** One recorded call. */
export type RecordedCall =
  | { method: 'add'; req: CniAddRequest }
  | { method: 'del'; req: CniDelRequest }
  | { method: 'check'; req: CniCheckRequest }
  | { method: 'gc'; req: CniGcRequest }
  | { method: 'status'; req: CniStatusRequest };

interface Held {
  network: string;
  containerId: string;
  ifName: string;
  allocation: CniAllocation;
}

/** An error with the structural "unavailable" marker the endpoint maps to CNI 11 / 50. */
export function unavailableError(message = 'store unavailable'): Error {
  return Object.assign(new Error(message), { code: 'Unavailable' });
}

export class MemoryCniService implements CniService {
  readonly calls: RecordedCall[] = [];
  /** When set, every method throws it (simulates a down store or an injected engine error). */
  failWith: Error | undefined;
  private readonly held = new Map<string, Held>();
  private readonly taken = new Set<string>();

  constructor(private readonly options: MemoryServiceOptions) {}

  /** Number of attachments holding addresses. */
  get size(): number {
    return this.held.size;
  }

  async add(req: CniAddRequest): Promise<CniAllocation> {
    this.enter({ method: 'add', req });
    const key = attachmentKey(req.network, req.attachment.containerId, req.attachment.ifName);
    const existing = this.held.get(key);
    if (existing) return existing.allocation;
    const cidrs = this.subnetOf(req.ipam.subnet).cidrs.map((text) => parseCidr(text));
    const ips: CniAllocatedIp[] = [];
    for (const cidr of cidrs) {
      const wanted = req.requested.ips.find((ip) => ip.family === cidr.family);
      ips.push(wanted ? this.takeStatic(cidr, wanted.address) : this.takeLowest(cidr));
    }
    const allocation: CniAllocation = { ips, routes: [] };
    const mac = req.requested.mac ?? (this.options.assignMac ? macFor(ips[0]?.address ?? '') : undefined);
    if (mac) allocation.mac = mac;
    this.held.set(key, { network: req.network, ...req.attachment, allocation });
    return allocation;
  }

  async del(req: CniDelRequest): Promise<void> {
    this.enter({ method: 'del', req });
    this.release(attachmentKey(req.network, req.attachment.containerId, req.attachment.ifName));
  }

  async check(req: CniCheckRequest): Promise<void> {
    this.enter({ method: 'check', req });
    const held = this.held.get(attachmentKey(req.network, req.attachment.containerId, req.attachment.ifName));
    if (!held)
      throw Object.assign(new Error('no allocation for this attachment'), { code: 'AllocationMissing' });
    const have = held.allocation.ips.map((ip) => ip.address).sort();
    if (req.expectedIps.length > 0 && JSON.stringify(have) !== JSON.stringify([...req.expectedIps].sort())) {
      throw Object.assign(new Error(`holds ${have.join(',')}, not ${req.expectedIps.join(',')}`), {
        code: 'AllocationMismatch',
      });
    }
  }

  async gc(req: CniGcRequest): Promise<{ released: number }> {
    this.enter({ method: 'gc', req });
    const valid = new Set(
      req.validAttachments.map((a) => attachmentKey(req.network, a.containerId, a.ifName)),
    );
    let released = 0;
    for (const [key, held] of [...this.held]) {
      if (held.network === req.network && !valid.has(key)) {
        this.release(key);
        released++;
      }
    }
    return { released };
  }

  async status(req: CniStatusRequest): Promise<void> {
    this.enter({ method: 'status', req });
    this.subnetOf(req.ipam.subnet);
  }

  async attachmentMac(req: CniDelRequest): Promise<string | undefined> {
    return this.held.get(attachmentKey(req.network, req.attachment.containerId, req.attachment.ifName))
      ?.allocation.mac;
  }

  private enter(call: RecordedCall): void {
    this.calls.push(call);
    if (this.failWith) throw this.failWith;
  }

  private subnetOf(name: string | undefined): MemorySubnet {
    const subnetName = name ?? this.options.defaultSubnet;
    const subnet = this.options.subnets[subnetName];
    if (!subnet)
      throw new IpamError(ErrorCode.NoSubnet, `subnet ${subnetName} not found`, { value: subnetName });
    return subnet;
  }

  private takeStatic(cidr: Cidr, address: string): CniAllocatedIp {
    const value = parseAddress(address).value;
    const bits = cidr.family === 4 ? 32 : 128;
    const inside = value >> BigInt(bits - cidr.prefix) === cidr.base >> BigInt(bits - cidr.prefix);
    if (!inside) throw new IpamError(ErrorCode.AddressOutOfRange, `${address} is not in ${formatCidr(cidr)}`);
    if (this.taken.has(address))
      throw new IpamError(ErrorCode.AddressConflict, `${address} is already in use`);
    this.taken.add(address);
    return this.allocated(cidr, address);
  }

  private takeLowest(cidr: Cidr): CniAllocatedIp {
    const bits = cidr.family === 4 ? 32 : 128;
    const last = cidr.base + (1n << BigInt(bits - cidr.prefix)) - (cidr.family === 4 ? 2n : 1n);
    for (let v = cidr.base + 2n; v <= last; v++) {
      const text = formatValue(cidr.family, v);
      if (!this.taken.has(text)) {
        this.taken.add(text);
        return this.allocated(cidr, text);
      }
    }
    // Spiderpool's wording, which users grep for; the real engine's message must reach them the same way.
    throw new IpamError(ErrorCode.NoAvailableAddress, `all IP addresses used out of ${formatCidr(cidr)}`);
  }

  private allocated(cidr: Cidr, address: string): CniAllocatedIp {
    return {
      family: cidr.family,
      address,
      prefixLength: cidr.prefix,
      gateway: formatValue(cidr.family, cidr.base + 1n),
    };
  }

  private release(key: string): void {
    const held = this.held.get(key);
    if (!held) return;
    for (const ip of held.allocation.ips) this.taken.delete(ip.address);
    this.held.delete(key);
  }
}

function attachmentKey(network: string, containerId: string, ifName: string): string {
  return `${network}\u0000${containerId}\u0000${ifName}`;
}

function formatCidr(cidr: Cidr): string {
  return `${formatValue(cidr.family, cidr.base)}/${cidr.prefix}`;
}

/** A locally administered unicast MAC derived from an address, so tests can predict it. */
function macFor(address: string): string {
  const bytes = Buffer.alloc(4);
  address
    .split(/[.:]/)
    .forEach((part, i) => (bytes[i % 4] = (bytes[i % 4]! + (parseInt(part, 16) || 0)) & 255));
  return ['02', '42', ...[...bytes].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
