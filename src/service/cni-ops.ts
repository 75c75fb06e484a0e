import { createHash } from 'node:crypto';
import {
  type Address,
  type AllocateRequest,
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  type Engine,
  type Lease,
  ErrorCode,
  IpamError,
  type MacApplication,
  type MacRequest,
  type ExistingAllocation,
  type Outcome,
  allocate,
  defaultSubnetOf,
  formatMac,
  formatValue,
  macToAllocate,
  parseAddress,
  parseMac,
  placeAttachment,
  runPlacement,
} from '../core/index.js';
import {
  OVN_KEYS,
  type PodRequest,
  parseNamespaceRequest,
  parsePodRequest,
} from '../core/annotations/index.js';
import { effectOps } from './effect-ops.js';
import { type KeyedMutex } from './keyed-mutex.js';
import { type Avoid, type Proposals, proposeUntilCommitted } from './proposals.js';
import { LABEL_RESERVED, fillAllocation, touchedBy } from './kinds/ip.js';
import { ANNOTATION_POD_UID } from './kinds/spider-pool.js';
import { type Change } from './kinds/kind.js';
import { metaForCreate } from './object-meta.js';
import { closingOf, placementWorld } from './placement-facts.js';
import { ANNOTATION_CONTAINER, releaseEntry } from './pod-allocations.js';

export { ANNOTATION_CONTAINER };
import { ServiceError } from './errors.js';
import { type ResourceTable } from './resource-service.js';
import { API_VERSION, FINALIZER, type KubeObject } from './types.js';

/** Annotations ipkeeper writes on IP objects it creates for CNI attachments. */
export const ANNOTATION_NETWORK = 'ipkeeper.io/network';
export const ANNOTATION_IFNAME = 'ipkeeper.io/ifname';
/** The runtime's name for a bare container (podman's `amazing_fermi`), when it gave one. */
export const ANNOTATION_CONTAINER_NAME = 'ipkeeper.io/container-name';

/** The CNI request shapes (structurally src/cni/cni-service.ts; the service does not import the edge). */
interface Attachment {
  containerId: string;
  ifName: string;
}
type Owner =
  | { kind: 'pod'; namespace: string; name: string; uid?: string }
  | { kind: 'container'; containerId: string; name?: string };
interface IpamSelection {
  subnet?: string;
  ippools: string[];
  defaultIpv4Pools: string[];
  defaultIpv6Pools: string[];
}
interface AttachmentRequest {
  network: string;
  attachment: Attachment;
  owner: Owner;
  ipam: IpamSelection;
}
interface AddRequest extends AttachmentRequest {
  netns: string;
  requested: {
    ips: { address: string; family: 4 | 6; prefixLength?: number }[];
    mac?: string;
    /** Where `mac` came from (`runtimeConfig.mac`, `CNI_ARGS MAC`), named if it is refused. */
    macSource?: string;
  };
  /** The pod's annotations: passed by the runtime (standalone) or read from the cluster (Kubernetes mode). */
  annotations: Record<string, string>;
  /** What in the chain applies the MAC (the ipam `mac` key, STA-2); absent = nothing does. */
  macApplication?: MacApplication;
  /** The pod's namespace's annotations, when known (Kubernetes mode). */
  namespaceAnnotations?: Record<string, string>;
  /** The node the pod is bound to, when known (Kubernetes mode; else the daemon's --node-name). */
  nodeName?: string;
}
interface CheckRequest extends AttachmentRequest {
  expectedIps: string[];
}
interface GcRequest {
  network: string;
  validAttachments: Attachment[];
}
export interface CniAllocationResult {
  ips: { family: 4 | 6; address: string; prefixLength: number; gateway?: string }[];
  mac?: string;
  routes: { dst: string; gw?: string }[];
  /** The Subnet the addresses belong to ('' for a SpiderIPPool of its own space), for pod annotations. */
  subnet: string;
}

export interface CniOpsDeps {
  engine: Engine;
  resources: ResourceTable;
  locks: KeyedMutex;
  now: () => Date;
  /** The daemon's default subnet name (Kube-OVN `ovn-default`), or undefined for none. */
  configuredDefault: string | undefined;
  /** The propose → commit loop's counters and this daemon's share of the spaces. */
  proposals: Proposals;
  nodeName: string;
  /** False while a shared store is unreachable: STATUS then says ADD cannot be served (CNI 50). */
  storeReady: () => boolean;
}

/**
 * The lease key (and IP object name) of an attachment, as Kube-OVN names ports: `pod.namespace` for the
 * primary interface, `pod.namespace.ifname` for others; a bare container is `containerID.ifname`. A
 * reservation for `pod.namespace` is therefore found by the pod's own ADD (IPR-7).
 */
export function leaseKeyOf(owner: Owner, ifName: string): string {
  const safeIf = keySegment(ifName, DNS1123_LABEL, 63);
  if (owner.kind === 'pod') {
    const suffix = ifName === 'eth0' ? `.${owner.namespace}` : `.${owner.namespace}.${safeIf}`;
    // A pod name may use all 253 characters an object name has; the IP object's name must fit them too.
    return `${keySegment(owner.name, DNS1123_SUBDOMAIN, 253 - suffix.length)}${suffix}`;
  }
  return `${keySegment(owner.containerId, DNS1123_SUBDOMAIN, 64)}.${safeIf}`;
}

/**
 * Two attachments can spell one key: pod `a.b` in namespace `c` (`a.b.c`) and interface `c` of pod `a` in
 * namespace `b` (`a.b.c`), or container `x` interface `y` and pod `x` in namespace `y`. The IP object records
 * whose it is; an ADD for anyone else is refused, so the second attachment is never handed the first one's
 * address. A reservation that names no pod is open to whoever ADDs under its name (IPR-7).
 */
function checkSameOwner(key: string, object: KubeObject, req: AddRequest): void {
  const spec = object.spec ?? {};
  const annotations = object.metadata.annotations ?? {};
  const podName = typeof spec.podName === 'string' ? spec.podName : '';
  const namespace = typeof spec.namespace === 'string' ? spec.namespace : '';
  const ifName = annotations[ANNOTATION_IFNAME];
  const owner = req.owner;
  const sameOwner =
    owner.kind === 'pod'
      ? (podName === '' || podName === owner.name) && (namespace === '' || namespace === owner.namespace)
      : // A bare container's object records the container ID as podName and no namespace.
        namespace === '' && (podName === '' || podName === owner.containerId);
  const sameInterface = ifName === undefined || ifName === req.attachment.ifName;
  if (sameOwner && sameInterface) return;
  const holder = podName ? `${namespace ? `${namespace}/` : ''}${podName}${ifName ? ` ${ifName}` : ''}` : key;
  const asker =
    owner.kind === 'pod' ? `pod ${owner.namespace}/${owner.name}` : `container ${owner.containerId}`;
  throw new IpamError(
    ErrorCode.AddressConflict,
    `IP ${key} belongs to ${holder}; ${asker} interface ${req.attachment.ifName} maps to the same name ` +
      `(pod.namespace[.interface]): rename the pod or the interface, or delete IP ${key} if it is stale`,
    { holder },
  );
}

/**
 * IPR-6, IPR-7: a reservation gives its pod what it holds. A static address or MAC the pod asks for that
 * differs is refused: granting it would move the reservation (whose addresses and MAC cannot change) to
 * what one pod's annotation or runtime config said.
 */
function checkReservationHonoured(key: string, lease: Lease | undefined, alloc: AllocateRequest): void {
  if (!lease) return;
  const held = (a: Address): boolean =>
    lease.addresses.some((h) => h.family === a.family && h.value === a.value);
  const wrong = (alloc.addresses ?? []).find((a) => !held(a));
  const wrongMac = typeof alloc.mac === 'number' && lease.mac !== undefined && alloc.mac !== lease.mac;
  if (!wrong && !wrongMac) return;
  const holds = [
    ...lease.addresses.map((a) => formatValue(a.family, a.value)),
    ...(lease.mac === undefined ? [] : [formatMac(lease.mac)]),
  ];
  const asked = wrong ? formatValue(wrong.family, wrong.value) : formatMac(alloc.mac as number);
  throw new IpamError(
    ErrorCode.AddressConflict,
    `IP ${key} is a reservation holding ${holds.join(', ')}; this pod asks for ${asked}: drop the static request ` +
      `(the pod gets what is reserved for it), or delete the reservation and create it with ${asked}`,
    { holder: key },
  );
}

/**
 * An IP object being deleted keeps its address only until its last finalizer goes; a pod given that address
 * now would lose it then, while it still uses it.
 */
function checkNotTerminating(key: string, object: KubeObject): void {
  if (!object.metadata.deletionTimestamp) return;
  const finalizers = (object.metadata.finalizers ?? []).join(', ');
  throw new IpamError(
    ErrorCode.AddressConflict,
    `IP ${key} is being deleted; its address is released when its finalizers (${finalizers}) are removed: ` +
      `remove them (kubectl patch ip ${key} --type merge -p '{"metadata":{"finalizers":null}}'), then add again`,
    { holder: key },
  );
}

/**
 * One part of a lease key: kept as it is when it already fits an object name (`valid`, at most `max`
 * characters), else a readable prefix plus a hash of the original. The mapping must stay one-to-one: the
 * CNI spec allows upper case, `_` and `.` in container IDs and Linux in interface names, and lower-casing
 * or replacing them made `Ctr`/`ctr` or `net_1`/`net-1` one key — the second attachment was handed the
 * first one's address — while an `_` left in the key made the IP object's name invalid (ADD failed, 999).
 */
function keySegment(text: string, valid: RegExp, max: number): string {
  if (text.length <= max && valid.test(text)) return text;
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const readable = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, max - 14)
    .replace(/^-+|-+$/g, '');
  return readable ? `${readable}-x${digest}` : `x${digest}`;
}

/** What an attachment's IP object says about where it already is (a reservation pins its subnet, IPR-7). */
function existingAllocation(object: KubeObject): ExistingAllocation {
  return {
    subnet: typeof object.spec?.subnet === 'string' ? object.spec.subnet : '',
    reserved: object.metadata.labels?.[LABEL_RESERVED] === 'true',
    podUid: object.metadata.annotations?.[ANNOTATION_POD_UID],
  };
}

/** The CNI operations of the service (CNI-2, CNI-3, IPR-7, IPR-8, IPR-10, STA-*, SPP-5, SPP-6, GC-2, GC-4). */
export class CniOps {
  constructor(private readonly d: CniOpsDeps) {}

  async add(req: AddRequest): Promise<CniAllocationResult> {
    const key = leaseKeyOf(req.owner, req.attachment.ifName);
    return this.d.locks.run(`IP/${key}`, () =>
      proposeUntilCommitted((avoid) => this.addOnce(key, req, avoid), this.d.proposals, {
        retryConflicts: true,
      }),
    );
  }

  /** One proposal of an ADD; the store may refuse it as taken (another daemon was first): see add(). */
  private async addOnce(key: string, req: AddRequest, avoid: Avoid): Promise<CniAllocationResult> {
    const existing = this.d.resources.entry('IP', key);
    if (existing) checkSameOwner(key, existing.object, req);
    if (existing) checkNotTerminating(key, existing.object);
    const outcome = this.allocateFor(key, req, existing?.object, avoid);
    const object = this.ipObject(key, req, existing?.object, outcome.lease!);
    const unchanged =
      outcome.effects.length === 0 &&
      existing &&
      JSON.stringify(existing.object.spec) === JSON.stringify(object.spec);
    if (!unchanged) {
      const change: Change = {
        object,
        ops: effectOps(outcome, 'pod'),
        undo: () => this.d.engine.revert(outcome),
        touched: touchedBy(this.d.engine, outcome.lease),
      };
      await this.d.resources.commit('IP', key, existing, change, false, existing ? 'MODIFIED' : 'ADDED');
    }
    return this.result(outcome.lease!);
  }

  async del(req: AttachmentRequest): Promise<void> {
    const key = leaseKeyOf(req.owner, req.attachment.ifName);
    // With several daemons the IP object may have changed elsewhere a moment ago: catch up and try again.
    await this.d.locks.run(`IP/${key}`, () =>
      proposeUntilCommitted(() => this.delOnce(key, req), this.d.proposals, { retryConflicts: true }),
    );
  }

  private async delOnce(key: string, req: AttachmentRequest): Promise<void> {
    const entry = this.d.resources.entry('IP', key);
    if (!entry) {
      // No object: release a stray lease if there is one (DEL of nothing succeeds).
      const outcome = this.d.engine.release(key);
      if (outcome.effects.length > 0)
        await this.d.resources.commitOps(effectOps(outcome, 'cni-del'), () => this.d.engine.revert(outcome), {
          kind: 'IP',
          name: key,
        });
      return;
    }
    const obj = entry.object;
    // A DEL for an older sandbox must not release the address of the pod's current one.
    const holder = obj.metadata.annotations?.[ANNOTATION_CONTAINER];
    if (holder && holder !== req.attachment.containerId) return;
    if (obj.metadata.labels?.[LABEL_RESERVED] === 'true') {
      // IPR-8: a reservation outlives its pod; only the attachment fields are cleared.
      const spec = { ...(obj.spec ?? {}), containerID: '' };
      const annotations = { ...(obj.metadata.annotations ?? {}) };
      delete annotations[ANNOTATION_CONTAINER];
      await this.d.resources.commit(
        'IP',
        key,
        entry,
        {
          object: { ...obj, spec, metadata: { ...obj.metadata, annotations } },
          ops: [],
          undo: () => undefined,
          touched: [],
        },
        false,
        'MODIFIED',
      );
      return;
    }
    // Finalizers a user put on the object keep it, and its address, until they are removed.
    await releaseEntry(this.d, entry, 'cni-del');
  }

  async check(req: CheckRequest): Promise<void> {
    const key = leaseKeyOf(req.owner, req.attachment.ifName);
    const lease = this.d.engine.getLease(key);
    if (!lease || lease.addresses.length === 0) {
      throw Object.assign(
        new Error(
          `attachment ${req.attachment.containerId}/${req.attachment.ifName} holds no address (lease ${key} is missing)`,
        ),
        { code: 'AllocationMissing' },
      );
    }
    const held = new Set(lease.addresses.map((a) => formatValue(a.family, a.value)));
    for (const ip of req.expectedIps) {
      if (!held.has(ip)) {
        throw Object.assign(
          new Error(
            `attachment ${req.attachment.containerId}/${req.attachment.ifName} holds ${[...held].join(', ')}, not ${ip}`,
          ),
          { code: 'AllocationMismatch' },
        );
      }
    }
  }

  /** GC-4: releases this network's non-reserved attachments that the runtime no longer lists. */
  async gc(req: GcRequest): Promise<{ released: number }> {
    const valid = new Set(req.validAttachments.map((a) => `${a.containerId}\u0000${a.ifName}`));
    let released = 0;
    for (const obj of this.d.resources.rawList('IP')) {
      const ann = obj.metadata.annotations ?? {};
      if (ann[ANNOTATION_NETWORK] !== req.network || obj.metadata.labels?.[LABEL_RESERVED] === 'true')
        continue;
      const id = `${ann[ANNOTATION_CONTAINER] ?? ''}\u0000${ann[ANNOTATION_IFNAME] ?? ''}`;
      if (valid.has(id)) continue;
      const key = obj.metadata.name!;
      await this.d.locks.run(`IP/${key}`, async () => {
        const entry = this.d.resources.entry('IP', key);
        if (!entry) return;
        await releaseEntry(this.d, entry, 'gc');
        if (!this.d.resources.entry('IP', key)) released++;
      });
    }
    return { released };
  }

  async status(req: { network: string; ipam: IpamSelection }): Promise<void> {
    if (!this.d.storeReady())
      throw new ServiceError(
        'Unavailable',
        'the shared store is unreachable: an ADD cannot be committed now',
      );
    const subnet =
      req.ipam.subnet ??
      defaultSubnetOf(placementWorld(this.d.engine, this.d.resources, this.d.configuredDefault));
    if (req.ipam.defaultIpv4Pools.length + req.ipam.defaultIpv6Pools.length > 0) return;
    if (!subnet || !this.d.engine.subnets.has(subnet)) {
      throw new IpamError(
        ErrorCode.NoSubnet,
        subnet ? `subnet ${subnet} does not exist` : 'no subnet configured and no default subnet',
      );
    }
  }

  /** STA-2: the MAC the attachment holds, for the chained step to apply; none if another sandbox holds it. */
  async attachmentMac(req: AttachmentRequest): Promise<string | undefined> {
    const key = leaseKeyOf(req.owner, req.attachment.ifName);
    const holder = this.d.resources.entry('IP', key)?.object.metadata.annotations?.[ANNOTATION_CONTAINER];
    if (holder !== undefined && holder !== req.attachment.containerId) return undefined;
    const mac = this.d.engine.getLease(key)?.mac;
    return mac === undefined ? undefined : formatMac(mac);
  }

  // ------------------------------------------------------------------ request resolution

  /**
   * Where the attachment draws from is one pure decision (K8S-3, src/core/placement.ts); this gathers its
   * facts and runs its attempts in order. Invalid annotations fail before anything is allocated.
   */
  private allocateFor(key: string, req: AddRequest, existing: KubeObject | undefined, avoid: Avoid): Outcome {
    const parsed = parsePodRequest(req.annotations ?? {});
    if (parsed.errors.length > 0) throw parsed.errors[0]!;
    const ns = parseNamespaceRequest(req.namespaceAnnotations ?? {});
    if (ns.errors.length > 0) throw ns.errors[0]!;
    const pod: PodRequest = parsed.request;
    // STA-2: a MAC only where the chain puts it on the interface; the decision is the engine's.
    const mac = macToAllocate(req.macApplication ?? 'none', requestedMac(pod, req.requested));
    const placement = placeAttachment({
      namespace: req.owner.kind === 'pod' ? req.owner.namespace : undefined,
      podUid: req.owner.kind === 'pod' ? req.owner.uid : undefined,
      pod,
      namespaceRequest: ns.request,
      requestedAddresses: req.requested.ips.map((ip) => parseAddress(ip.address)),
      network: req.ipam,
      existing: existing && existingAllocation(existing),
      world: placementWorld(this.d.engine, this.d.resources, this.d.configuredDefault),
    });
    const reservation = existing?.metadata.labels?.[LABEL_RESERVED] === 'true';
    const closing = closingOf(this.d.resources.ctx.objects);
    return runPlacement(placement, (attempt) => {
      const request: AllocateRequest = { ...attempt, key, mac, ...avoid, closing };
      if (reservation) checkReservationHonoured(key, this.d.engine.getLease(key), request);
      return allocate(this.d.engine, request);
    });
  }

  private ipObject(key: string, req: AddRequest, existing: KubeObject | undefined, lease: Lease): KubeObject {
    const pod = req.owner.kind === 'pod' ? req.owner : undefined;
    const base: KubeObject = existing ?? {
      apiVersion: API_VERSION.IP,
      kind: 'IP',
      metadata: {
        ...metaForCreate(
          'IP',
          { apiVersion: API_VERSION.IP, kind: 'IP', metadata: { name: key } },
          this.d.now(),
        ),
        labels: { [LABEL_RESERVED]: 'false' },
        finalizers: [FINALIZER.IP!],
      },
      spec: {},
    };
    const annotations: Record<string, string> = {
      ...(base.metadata.annotations ?? {}),
      [ANNOTATION_NETWORK]: req.network,
      [ANNOTATION_CONTAINER]: req.attachment.containerId,
      [ANNOTATION_IFNAME]: req.attachment.ifName,
    };
    if (pod?.uid) annotations[ANNOTATION_POD_UID] = pod.uid;
    if (req.owner.kind === 'container' && req.owner.name)
      annotations[ANNOTATION_CONTAINER_NAME] = req.owner.name;
    const spec = {
      ...(base.spec ?? {}),
      podName: pod?.name ?? (base.spec?.podName as string | undefined) ?? req.attachment.containerId,
      namespace: pod?.namespace ?? (base.spec?.namespace as string | undefined) ?? '',
      containerID: req.attachment.containerId,
      nodeName: req.nodeName ?? this.d.nodeName,
    };
    const filled = fillAllocation({ ...base, spec, metadata: { ...base.metadata, annotations } }, lease);
    const labels = {
      ...(filled.metadata.labels ?? {}),
      'ovn.kubernetes.io/subnet': lease.subnet,
      'ovn.kubernetes.io/node-name': req.nodeName ?? this.d.nodeName,
    };
    return { ...filled, metadata: { ...filled.metadata, labels } };
  }

  private result(lease: Lease): CniAllocationResult {
    const ips = lease.addresses.map((a) => {
      const subnet = this.d.engine.subnetOfSpace(a.space);
      const fam = subnet?.families.find((f) => f.space === a.space);
      const spider = this.d.engine.spiderPools.get(a.pool);
      const prefixLength = Number(a.space.split('/')[1]);
      const gatewayValue = fam?.gateway ?? spider?.gateway;
      return {
        family: a.family,
        address: formatValue(a.family, a.value),
        prefixLength,
        ...(gatewayValue !== undefined ? { gateway: formatValue(a.family, gatewayValue) } : {}),
      };
    });
    return {
      ips,
      ...(lease.mac !== undefined ? { mac: formatMac(lease.mac) } : {}),
      routes: [],
      subnet: lease.subnet,
    };
  }
}

/** STA-2, CNI-3: the MAC asked for — the annotation wins over runtimeConfig/CNI_ARGS — and where from. */
function requestedMac(pod: PodRequest, requested: AddRequest['requested']): MacRequest | undefined {
  if (pod.macAddress !== undefined)
    return { mac: pod.macAddress, source: `annotation ${OVN_KEYS.macAddress}` };
  // The runtime's own MAC request (runtimeConfig.mac, CNI_ARGS MAC=) is read by the main plugin too:
  // bridge and macvlan set it on the interface themselves (podman's --mac-address arrives this way).
  if (requested.mac)
    return {
      mac: parseMac(requested.mac),
      source: requested.macSource ?? 'runtimeConfig.mac',
      appliedByMainPlugin: true,
    };
  return undefined;
}
