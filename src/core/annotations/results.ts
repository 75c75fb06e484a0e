import { type Family } from '../ip/address.js';
import { formatCidr, parseCidr } from '../ip/cidr.js';
import { SPIDER_KEYS, ovnKeys } from './keys.js';

/** What the pod was given on one interface, in the shape the CNI result has. */
export interface AllocatedInterface {
  readonly ips: readonly {
    readonly family: Family;
    readonly address: string;
    readonly prefixLength: number;
    readonly gateway?: string | undefined;
  }[];
  readonly mac?: string | undefined;
  /** The Subnet the addresses belong to ('' for a SpiderIPPool of its own address space). */
  readonly subnet?: string | undefined;
}

/** Set by ipkeeper on a pod it allocated for: the request annotations as they were before (JSON). */
export const REQUEST_RECORD_KEY = 'ipkeeper.io/requested';

const OVN = ovnKeys();
const ALLOCATED_KEY = 'ovn.kubernetes.io/allocated';
/** The keys that carry a request (read by parsePodRequest for the default network). */
const REQUEST_KEYS = [OVN.ipAddress, OVN.macAddress, OVN.ipPool, OVN.logicalSwitch, SPIDER_KEYS.ipPool];
/** The Kube-OVN result keys; ip_address, mac_address and logical_switch double as request keys. */
const RESULT_KEYS = [
  ALLOCATED_KEY,
  OVN.ipAddress,
  OVN.macAddress,
  'ovn.kubernetes.io/cidr',
  'ovn.kubernetes.io/gateway',
  OVN.logicalSwitch,
];

/**
 * The annotations Kube-OVN writes on a pod after allocating (K8S-4): `allocated`, `ip_address`, `cidr`,
 * `gateway` (families joined with `,` as Kube-OVN does), `mac_address` (null removes a stale one when no
 * MAC was allocated), `logical_switch` (when the addresses belong to a Subnet), and the record of what the
 * pod asked for, so a later ADD of the same pod reads its request, not these results.
 */
export function resultAnnotations(
  result: AllocatedInterface,
  current: Readonly<Record<string, string | undefined>>,
): Record<string, string | null> {
  const ips = [...result.ips].sort((a, b) => a.family - b.family);
  const out: Record<string, string | null> = {
    [ALLOCATED_KEY]: 'true',
    [OVN.ipAddress]: ips.map((i) => i.address).join(','),
    'ovn.kubernetes.io/cidr': ips
      .map((i) => formatCidr(parseCidr(`${i.address}/${i.prefixLength}`, { hostBits: 'normalise' })))
      .join(','),
    'ovn.kubernetes.io/gateway': ips
      .map((i) => i.gateway)
      .filter((g): g is string => g !== undefined)
      .join(','),
    [OVN.macAddress]: result.mac ?? null,
    [OVN.logicalSwitch]: result.subnet ? result.subnet : null,
  };
  if (current[REQUEST_RECORD_KEY] === undefined)
    out[REQUEST_RECORD_KEY] = JSON.stringify(requestPart(current));
  return out;
}

function requestPart(annotations: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of REQUEST_KEYS) {
    const v = annotations[k];
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/**
 * The annotations to read a pod's request from. Once ipkeeper has allocated (its request record is
 * there), `ip_address`, `mac_address` and `logical_switch` hold results, so the recorded request is read
 * instead: a pod whose sandbox is re-created asks for what it asked for the first time (a static address
 * again, a dynamic pod a fresh address), not for its old result. A pod allocated by anyone else keeps its
 * annotations as they are (Kube-OVN reads its results back the same way).
 */
export function requestAnnotations(
  annotations: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) if (typeof v === 'string') out[k] = v;
  const record = annotations[REQUEST_RECORD_KEY];
  if (annotations[ALLOCATED_KEY] !== 'true' || record === undefined) return out;
  let recorded: unknown;
  try {
    recorded = JSON.parse(record);
  } catch {
    return out;
  }
  if (typeof recorded !== 'object' || recorded === null) return out;
  for (const k of [...REQUEST_KEYS, ...RESULT_KEYS]) delete out[k];
  for (const [k, v] of Object.entries(recorded))
    if (REQUEST_KEYS.includes(k) && typeof v === 'string') out[k] = v;
  return out;
}
