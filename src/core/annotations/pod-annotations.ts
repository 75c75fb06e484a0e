import { ErrorCode, IpamError } from '../errors.js';
import { type AddressPair } from './common.js';
import { parseIpAddressAnnotation } from './ip-address.js';
import { type IpPoolAnnotation, parseIpPoolAnnotation } from './ip-pool.js';
import { DEFAULT_PROVIDER, OVN_KEYS, SPIDER_KEYS, ovnKeys } from './keys.js';
import { parseLogicalSwitchAnnotation, parseNamespaceLogicalSwitches } from './logical-switch.js';
import { parseMacAddressAnnotation } from './mac-address.js';
import {
  type SpiderPoolChoice,
  parseSpiderDefaultPoolsAnnotation,
  parseSpiderIPPoolAnnotation,
} from './spider-ippool.js';

/** What a pod's annotations ask of the allocator. Absent fields were not asked for. */
export interface PodRequest {
  /** `<provider>.kubernetes.io/ip_address` (STA-1). */
  readonly ipAddress?: AddressPair;
  /** `<provider>.kubernetes.io/mac_address` (STA-2), a 48-bit value; `formatMac` prints it. */
  readonly macAddress?: number;
  /** `<provider>.kubernetes.io/ip_pool` (STA-5, STA-7). */
  readonly ipPool?: IpPoolAnnotation;
  /** `<provider>.kubernetes.io/logical_switch` (STA-4). */
  readonly logicalSwitch?: string;
  /** `ipam.spidernet.io/ippool` (SPP-6). */
  readonly spiderPools?: SpiderPoolChoice;
}

/** What a namespace's annotations say about its pods' subnets and default pools (K8S-3, SPP-6). */
export interface NamespaceRequest {
  /** `ovn.kubernetes.io/logical_switch`: subnets to try in order. */
  readonly logicalSwitches?: readonly string[];
  readonly spiderDefaultIPv4Pools?: readonly string[];
  readonly spiderDefaultIPv6Pools?: readonly string[];
}

/**
 * The parsed annotations and every error found, each with the annotation key as `field`, so the API can
 * answer with all causes at once. A field whose annotation failed is left out of `request`.
 */
export interface ParsedAnnotations<T> {
  readonly request: T;
  readonly errors: readonly IpamError[];
}

export interface PodRequestOptions {
  /** Kube-OVN provider whose keys are read: `ovn` (default network) or an attachment's provider name. */
  readonly provider?: string;
}

type Annotations = Readonly<Record<string, string | undefined>>;

/**
 * Runs `parse` on the annotation `key` when it is set. An empty (or blank) value counts as not set, as in
 * Kube-OVN, which tests every annotation with `!= ""`.
 */
function collect<T>(
  annotations: Annotations,
  key: string,
  errors: IpamError[],
  parse: (value: string) => T,
): T | undefined {
  if (!Object.hasOwn(annotations, key)) return undefined;
  const value: unknown = annotations[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.push(
      new IpamError(ErrorCode.InvalidAnnotation, `${key}: annotation values are strings`, { field: key }),
    );
    return undefined;
  }
  if (value.trim() === '') return undefined;
  try {
    return parse(value);
  } catch (e) {
    if (!(e instanceof IpamError)) throw e;
    errors.push(
      e.field === key ? e : new IpamError(e.code, e.message, { field: key, value, holder: e.holder }),
    );
    return undefined;
  }
}

/** Parses the annotations of a pod that matter to address allocation; never throws for bad input. */
export function parsePodRequest(
  annotations: Annotations,
  options: PodRequestOptions = {},
): ParsedAnnotations<PodRequest> {
  const keys = ovnKeys(options.provider ?? DEFAULT_PROVIDER);
  const errors: IpamError[] = [];
  const request: {
    -readonly [K in keyof PodRequest]: PodRequest[K];
  } = {};
  const ipAddress = collect(annotations, keys.ipAddress, errors, (v) =>
    parseIpAddressAnnotation(v, keys.ipAddress),
  );
  if (ipAddress) request.ipAddress = ipAddress;
  const mac = collect(annotations, keys.macAddress, errors, (v) =>
    parseMacAddressAnnotation(v, keys.macAddress),
  );
  if (mac !== undefined) request.macAddress = mac;
  const ipPool = collect(annotations, keys.ipPool, errors, (v) => parseIpPoolAnnotation(v, keys.ipPool));
  if (ipPool) request.ipPool = ipPool;
  const ls = collect(annotations, keys.logicalSwitch, errors, (v) =>
    parseLogicalSwitchAnnotation(v, keys.logicalSwitch),
  );
  if (ls !== undefined) request.logicalSwitch = ls;
  const spider = collect(annotations, SPIDER_KEYS.ipPool, errors, (v) => parseSpiderIPPoolAnnotation(v));
  if (spider) request.spiderPools = spider;
  return { request, errors };
}

/** Parses a namespace's subnet and Spiderpool default-pool annotations; never throws for bad input. */
export function parseNamespaceRequest(annotations: Annotations): ParsedAnnotations<NamespaceRequest> {
  const errors: IpamError[] = [];
  const request: { -readonly [K in keyof NamespaceRequest]: NamespaceRequest[K] } = {};
  const lsKey = OVN_KEYS.logicalSwitch;
  const ls = collect(annotations, lsKey, errors, (v) => parseNamespaceLogicalSwitches(v, lsKey));
  if (ls) request.logicalSwitches = ls;
  const v4Key = SPIDER_KEYS.defaultIPv4Pool;
  const v6Key = SPIDER_KEYS.defaultIPv6Pool;
  const v4 = collect(annotations, v4Key, errors, (v) => parseSpiderDefaultPoolsAnnotation(v, v4Key));
  if (v4) request.spiderDefaultIPv4Pools = v4;
  const v6 = collect(annotations, v6Key, errors, (v) => parseSpiderDefaultPoolsAnnotation(v, v6Key));
  if (v6) request.spiderDefaultIPv6Pools = v6;
  return { request, errors };
}
