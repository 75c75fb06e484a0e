/**
 * What the CNI endpoint needs from the service layer. The service implements this structurally (it does
 * not import src/cni); the endpoint parses and validates CNI input, calls one of these methods with
 * explicit request objects, and shapes the answer for the requested spec version.
 *
 * Errors: the service throws `IpamError` (src/core/errors.ts) for engine failures; src/cni/errors.ts maps
 * each code once to a CNI code. Two service conditions are recognised structurally, by `code` on any
 * thrown `Error`: {@link CNI_SERVICE_UNAVAILABLE} (store or cluster unreachable → CNI 11, STATUS 50) and
 * the CHECK failures {@link CNI_ALLOCATION_MISSING} / {@link CNI_ALLOCATION_MISMATCH}.
 */

/** `code` of an error meaning "cannot serve now, retry later" (store down, daemon shutting down). */
export const CNI_SERVICE_UNAVAILABLE = 'Unavailable';
/** `code` of a CHECK error: the attachment holds no allocation. */
export const CNI_ALLOCATION_MISSING = 'AllocationMissing';
/** `code` of a CHECK error: the attachment's allocation differs from the runtime's prevResult. */
export const CNI_ALLOCATION_MISMATCH = 'AllocationMismatch';

/** The spec's attachment key: one interface of one container (idempotency and GC key). */
export interface CniAttachment {
  containerId: string;
  ifName: string;
}

/**
 * Who owns the allocation (CNI-2). `pod` when the runtime passed `K8S_POD_NAMESPACE` and `K8S_POD_NAME`
 * in `CNI_ARGS` (containerd, CRI-O), else `container`, keyed by the container ID; its `name` is the
 * runtime's name for it (`K8S_POD_NAME` without a namespace, as podman sends), recorded and nothing more.
 */
export type CniOwner =
  | { kind: 'pod'; namespace: string; name: string; uid?: string }
  | { kind: 'container'; containerId: string; name?: string };

/** Where to allocate from, as written in the network config's `ipam` section. */
export interface CniIpamSelection {
  /** `ipam.subnet`: name of a Subnet; absent = the service's default subnet (or the pools' subnet). */
  subnet?: string;
  /** `ipam.ippool`: names of (Kube-OVN) IPPools to allocate from. Empty = none named. */
  ippools: string[];
  /** `ipam.default_ipv4_ippool` (Spiderpool): IPv4 pools to try in order. */
  defaultIpv4Pools: string[];
  /** `ipam.default_ipv6_ippool` (Spiderpool): IPv6 pools to try in order. */
  defaultIpv6Pools: string[];
}

/** A static address the runtime asked for (CNI-3). */
export interface CniRequestedIp {
  /** Canonical address text (IPv6 lower-case RFC 5952). */
  address: string;
  family: 4 | 6;
  /** The prefix length the caller wrote (`10.0.0.5/24`), if any; the service checks it fits the subnet. */
  prefixLength?: number;
}

/** Where the static request came from; the first non-empty source wins (docs/cni.md). */
export type CniRequestSource = 'runtimeConfig' | 'args' | 'CNI_ARGS';

/** Static requests carried by the CNI call itself. */
export interface CniStaticRequest {
  ips: CniRequestedIp[];
  /** Where `ips` came from, when any. */
  ipsSource?: CniRequestSource;
  /** Canonical lower-case MAC (`runtimeConfig.mac` or `CNI_ARGS MAC=`). */
  mac?: string;
  /** Where `mac` came from (`runtimeConfig.mac` or `CNI_ARGS MAC`), named when it is refused. */
  macSource?: string;
}

/** Common part of every attachment-scoped request. */
export interface CniAttachmentRequest {
  /** The network config's `name`. */
  network: string;
  attachment: CniAttachment;
  owner: CniOwner;
  ipam: CniIpamSelection;
}

/** ADD: allocate (or return the existing allocation of) one attachment. */
export interface CniAddRequest extends CniAttachmentRequest {
  /** `CNI_NETNS`, recorded for operators. */
  netns: string;
  requested: CniStaticRequest;
  /**
   * Pod annotations from `runtimeConfig["io.kubernetes.cri.pod-annotations"]`, passed through unchanged.
   * The service interprets `ovn.kubernetes.io/ip_address`, `mac_address`, `ip_pool`, `logical_switch`
   * and `ipam.spidernet.io/ippool`.
   */
  annotations: Record<string, string>;
  /**
   * What in the CNI chain puts the allocated MAC on the interface (ipam `mac`, STA-2): `none` → no MAC is
   * allocated and a requested one is refused; `chained` → random or requested.
   */
  macApplication: 'none' | 'chained';
}

/** DEL: release the attachment's allocation; releasing nothing succeeds. */
export type CniDelRequest = CniAttachmentRequest;

/** CHECK: the attachment must still hold what the runtime's prevResult says. */
export interface CniCheckRequest extends CniAttachmentRequest {
  /** Addresses (without prefix) of prevResult's `ips`, canonical text; empty = "holds something". */
  expectedIps: string[];
}

/** GC (spec 1.1): release every attachment of `network` not in `validAttachments`. */
export interface CniGcRequest {
  network: string;
  ipam: CniIpamSelection;
  validAttachments: CniAttachment[];
}

/** STATUS (spec 1.1): can ADD be served now for this network? */
export interface CniStatusRequest {
  network: string;
  ipam: CniIpamSelection;
}

/** One allocated address. */
export interface CniAllocatedIp {
  family: 4 | 6;
  /** The address, without prefix. */
  address: string;
  /** Prefix length of the subnet it belongs to. */
  prefixLength: number;
  gateway?: string;
}

/** A route to return; `gw` absent means "via the interface's gateway" to the main plugin. */
export interface CniRoute {
  dst: string;
  gw?: string;
}

/** DNS settings (spec `dns`). */
export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** What ADD allocated. The endpoint adds config routes, default routes and config DNS. */
export interface CniAllocation {
  ips: CniAllocatedIp[];
  mac?: string;
  /** Routes the service knows of (e.g. a subnet's own routes); usually empty. */
  routes: CniRoute[];
  dns?: CniDns;
}

/** The service as the CNI endpoint sees it. Every method is safe to call concurrently for different attachments. */
export interface CniService {
  /** Idempotent per (containerId, ifName): asking again returns the same allocation (ENG-4). */
  add(req: CniAddRequest): Promise<CniAllocation>;
  /** Releases the attachment's allocation; DEL of nothing succeeds (GC-2). */
  del(req: CniDelRequest): Promise<void>;
  /** Throws (AllocationMissing / AllocationMismatch) if the allocation is gone or different. */
  check(req: CniCheckRequest): Promise<void>;
  /** Releases allocations of the network whose attachment is not listed (GC-4). */
  gc(req: CniGcRequest): Promise<{ released: number }>;
  /** Resolves when ADD could be served now; throws (Unavailable, NoAvailableAddress…) otherwise. */
  status(req: CniStatusRequest): Promise<void>;
  /**
   * The MAC the attachment holds (canonical text), for the chained step to put on the interface; undefined
   * when it holds none, or when another sandbox of the pod holds the allocation.
   */
  attachmentMac(req: CniAttachmentRequest): Promise<string | undefined>;
}
