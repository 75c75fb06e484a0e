import {
  type Address,
  type Engine,
  type Lease,
  type Outcome,
  ErrorCode,
  IpamError,
  allocate,
  formatMac,
  formatValue,
  leaseAddress,
  parseAddress,
  parseMac,
} from '../../core/index.js';
import { effectOps } from '../effect-ops.js';
import { closingOf } from '../placement-facts.js';
import { ServiceError } from '../errors.js';
import { FINALIZER, type KubeObject } from '../types.js';
import {
  type Change,
  type KindContext,
  type KindHandler,
  type ObjectRef,
  checkImmutable,
  shownValue,
  requireSubnet,
  specString,
} from './kind.js';

export const LABEL_RESERVED = 'ovn.kubernetes.io/ip_reserved';
export const LABEL_SUBNET = 'ovn.kubernetes.io/subnet';
export const LABEL_NODE = 'ovn.kubernetes.io/node-name';
const POD_TYPES = ['', 'StatefulSet', 'VirtualMachine'];
const IMMUTABLE = ['subnet', 'namespace', 'podName', 'podType', 'v4IpAddress', 'v6IpAddress', 'macAddress'];

/** Objects whose status an allocation in `subnet` moves: the subnet and every pool carved from it. */
export function touchedBy(engine: Engine, lease: Lease | undefined): ObjectRef[] {
  if (!lease) return [];
  const refs: ObjectRef[] = [];
  if (lease.subnet) refs.push({ kind: 'Subnet', name: lease.subnet });
  for (const a of lease.addresses) {
    if (!a.pool) continue;
    refs.push({ kind: engine.ippools.has(a.pool) ? 'IPPool' : 'SpiderIPPool', name: a.pool });
  }
  return refs;
}

/** Writes the allocated addresses and MAC into an IP object's spec, the way Kube-OVN's controller does. */
export function fillAllocation(obj: KubeObject, lease: Lease): KubeObject {
  const v4 = leaseAddress(lease, 4);
  const v6 = leaseAddress(lease, 6);
  const v4Text = v4 ? formatValue(4, v4.value) : '';
  const v6Text = v6 ? formatValue(6, v6.value) : '';
  const spec: Record<string, unknown> = {
    attachIps: [],
    attachMacs: [],
    attachSubnets: [],
    containerID: '',
    nodeName: '',
    podType: '',
    ...(obj.spec ?? {}),
    subnet: lease.subnet,
    ipAddress: [v4Text, v6Text].filter(Boolean).join(','),
    v4IpAddress: v4Text,
    v6IpAddress: v6Text,
    macAddress: lease.mac === undefined ? '' : formatMac(lease.mac),
  };
  return { ...obj, spec };
}

/**
 * An object that names its address twice must name one address: otherwise one of the two fields would be
 * silently overwritten by the allocation, and the user would not get what one of them asked for.
 */
function checkCombinedAgrees(
  combined: string,
  parts: readonly Address[],
  perFamily: readonly Address[],
): void {
  const text = (list: readonly Address[]): string =>
    list
      .map((a) => formatValue(a.family, a.value))
      .sort()
      .join(',');
  if (text(parts) === text(perFamily)) return;
  throw new IpamError(
    ErrorCode.InvalidInput,
    `spec.ipAddress "${combined}" disagrees with spec.v4IpAddress/spec.v6IpAddress (${text(perFamily)}); ` +
      'give the address once, in v4IpAddress and v6IpAddress, or the same in both',
    { field: 'spec.ipAddress', value: combined },
  );
}

function staticRequest(spec: Record<string, unknown>): { addresses: Address[]; mac: number | undefined } {
  const addresses: Address[] = [];
  for (const field of ['v4IpAddress', 'v6IpAddress'] as const) {
    const text = specString(spec, field);
    if (!text) continue;
    let a: Address;
    try {
      a = parseAddress(text);
    } catch (e) {
      throw (e as IpamError).at(`spec.${field}`);
    }
    const want = field === 'v4IpAddress' ? 4 : 6;
    if (a.family !== want) {
      throw new IpamError(ErrorCode.InvalidIPFamily, `spec.${field} "${text}" is not an IPv${want} address`, {
        field: `spec.${field}`,
        value: text,
      });
    }
    addresses.push(a);
  }
  // The deprecated combined field: used when the per-family ones are empty, else it must say the same.
  const combined = specString(spec, 'ipAddress');
  if (combined) {
    const parts: Address[] = [];
    for (const part of combined.split(',')) {
      try {
        parts.push(parseAddress(part.trim()));
      } catch (e) {
        throw (e as IpamError).at('spec.ipAddress');
      }
    }
    if (addresses.length === 0) addresses.push(...parts);
    else checkCombinedAgrees(combined, parts, addresses);
  }
  const macText = specString(spec, 'macAddress');
  let mac: number | undefined;
  if (macText) {
    try {
      mac = parseMac(macText);
    } catch (e) {
      throw (e as IpamError).at('spec.macAddress');
    }
  }
  return { addresses, mac };
}

/** IPR-4: the name must be `podName.namespace`, or `podName.namespace.provider` for a non-ovn provider. */
function checkName(name: string, spec: Record<string, unknown>, provider: string): void {
  const podName = specString(spec, 'podName');
  const namespace = specString(spec, 'namespace');
  if (!podName)
    throw new IpamError(
      ErrorCode.InvalidInput,
      'spec.podName is required: the pod or VM that will use this address',
      { field: 'spec.podName' },
    );
  if (!namespace)
    throw new IpamError(
      ErrorCode.InvalidInput,
      'spec.namespace is required: the namespace of the pod or VM',
      { field: 'spec.namespace' },
    );
  const expected = provider === 'ovn' ? `${podName}.${namespace}` : `${podName}.${namespace}.${provider}`;
  if (name !== expected) {
    throw new IpamError(
      ErrorCode.InvalidInput,
      `metadata.name must be "${expected}" (podName.namespace${provider === 'ovn' ? '' : '.provider'}) so that the pod or VM finds this reservation; it is "${name}"`,
      {
        field: 'metadata.name',
        value: name,
      },
    );
  }
}

function reservationOutcome(obj: KubeObject, ctx: KindContext): Outcome {
  const spec = obj.spec ?? {};
  const subnet = requireSubnet(spec, ctx, 'the subnet to reserve the address in');
  const subnetName = subnet.name;
  const podType = spec.podType ?? '';
  if (typeof podType !== 'string' || !POD_TYPES.includes(podType)) {
    throw new IpamError(
      ErrorCode.InvalidInput,
      `spec.podType must be "", "StatefulSet" or "VirtualMachine"`,
      { field: 'spec.podType', value: String(podType) },
    );
  }
  checkName(obj.metadata.name!, spec, subnet.provider);
  const { addresses, mac } = staticRequest(spec);
  try {
    return allocate(ctx.engine, {
      key: obj.metadata.name!,
      subnet: subnetName,
      addresses,
      mac,
      ...ctx.avoid,
      closing: closingOf(ctx.objects),
    });
  } catch (e) {
    // A conflict on the requested MAC names spec.macAddress, not the address fields.
    const macHolder = mac === undefined ? undefined : ctx.engine.macHolder(mac);
    if (
      e instanceof IpamError &&
      !e.field &&
      macHolder &&
      macHolder.key !== obj.metadata.name &&
      e.code === ErrorCode.AddressConflict
    ) {
      throw e.at('spec.macAddress');
    }
    if (e instanceof IpamError && !e.field && addresses.length > 0) {
      const field =
        addresses[0]!.family === 4 && specString(spec, 'v4IpAddress')
          ? 'spec.v4IpAddress'
          : addresses[0]!.family === 6 && specString(spec, 'v6IpAddress')
            ? 'spec.v6IpAddress'
            : 'spec.ipAddress';
      throw e.at(field);
    }
    throw e;
  }
}

/**
 * The server's labels and finalizer. `ip_reserved` says whether the object is a reservation (created through
 * the API, IPR-9) or a pod's allocation (IPR-10), and CNI DEL releases only the latter: the server sets it and a
 * client may not change it, or a relabelled reservation would be released by its pod's DEL. A client may leave
 * it out (it is put back) or repeat it.
 */
function labelled(obj: KubeObject, reserved: boolean): KubeObject {
  const labels = { ...(obj.metadata.labels ?? {}) };
  const value = reserved ? 'true' : 'false';
  const given = labels[LABEL_RESERVED];
  if (given !== undefined && given !== value) {
    throw new ServiceError(
      'Invalid',
      `the label ${LABEL_RESERVED} is set by the server: "true" on IP objects created through the API (reservations, ` +
        `kept until deleted), "false" on a pod's allocation; it is "${value}" here and cannot be changed — remove it ` +
        `from the manifest, or delete this object and create a reservation`,
      {
        kind: 'IP',
        name: obj.metadata.name!,
        field: `metadata.labels[${LABEL_RESERVED}]`,
        value: given,
      },
    );
  }
  labels[LABEL_RESERVED] = value;
  labels[LABEL_SUBNET] = String(obj.spec?.subnet ?? '');
  labels[LABEL_NODE] = String(obj.spec?.nodeName ?? '');
  const finalizers = obj.metadata.finalizers ?? [];
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      labels,
      finalizers: finalizers.includes(FINALIZER.IP!) ? finalizers : [...finalizers, FINALIZER.IP!],
    },
  };
}

/**
 * The allocation wrote these fields at create; an empty one is a value too ("no address of that family", podType
 * ""), so setting it later is a change of an immutable field (IPR-6), not a first assignment. Absent and null
 * read as "" (a merge patch that drops `v6IpAddress:` changes nothing).
 */
function checkAllocationUnchanged(
  old: Record<string, unknown> | undefined,
  next: Record<string, unknown>,
  what: string,
): void {
  const norm = (v: unknown): string => JSON.stringify(v === undefined || v === null ? '' : v);
  for (const f of [...IMMUTABLE, 'ipAddress']) {
    if (old?.[f] === undefined || norm(old[f]) === norm(next[f])) continue;
    throw new IpamError(
      'Immutable',
      `spec.${f} of ${what} cannot change once allocated (was ${norm(old[f])}); delete and re-create the object to change it`,
      {
        field: `spec.${f}`,
        value: shownValue(next[f] ?? ''),
      },
    );
  }
}

/** Kube-OVN `IP`: user-created objects are reservations, allocated in the same request (IPR-1 … IPR-9). */
export const ipHandler: KindHandler = {
  kind: 'IP',

  create(obj, ctx) {
    // Metadata is checked before the engine allocates, so a refusal leaves nothing to undo.
    const checked = labelled(obj, true);
    const outcome = reservationOutcome(checked, ctx);
    // The controller's write after the user's create: Kube-OVN shows generation 2 on a fresh reservation.
    const filled = labelled(fillAllocation(checked, outcome.lease!), true);
    filled.metadata.generation = 2;
    return {
      object: filled,
      ops: effectOps(outcome, 'reservation'),
      undo: () => ctx.engine.revert(outcome),
      touched: touchedBy(ctx.engine, outcome.lease),
    };
  },

  update(old, obj) {
    const spec = { ...(obj.spec ?? {}) };
    if (spec.v6IpAddress === null) spec.v6IpAddress = '';
    if (spec.v4IpAddress === null) spec.v4IpAddress = '';
    checkImmutable(old.spec, spec, IMMUTABLE, `IP ${old.metadata.name}`);
    checkAllocationUnchanged(old.spec, spec, `IP ${old.metadata.name}`);
    return {
      object: labelled({ ...obj, spec }, old.metadata.labels?.[LABEL_RESERVED] === 'true'),
      ops: [],
      undo: () => undefined,
      touched: [],
    };
  },

  finalize(old, ctx, reason = 'delete'): Change {
    const outcome = ctx.engine.release(old.metadata.name!);
    return {
      object: undefined,
      ops: effectOps(outcome, reason),
      undo: () => ctx.engine.revert(outcome),
      touched: touchedBy(ctx.engine, outcome.before),
    };
  },

  decorate(obj) {
    return obj;
  },

  install() {
    // Leases are loaded from the store's address rows, not from IP objects.
  },
};
