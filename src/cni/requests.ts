import { parseAddress, formatAddress, familyBits } from '../core/ip/address.js';
import { canonicalMac } from '../core/mac.js';
import type { CniArgs } from './cni-args.js';
import type { CniOwner, CniRequestedIp, CniRequestSource, CniStaticRequest } from './cni-service.js';
import type { CniEnv } from './env.js';
import { invalidField } from './fields.js';
import type { NetConf } from './netconf.js';

/**
 * The owner of an attachment (CNI-2): the pod when the runtime named it in CNI_ARGS (namespace and name
 * both present), otherwise the container ID, with the runtime's name for the container when it gave one.
 */
export function ownerOf(env: CniEnv, args: CniArgs): CniOwner {
  if (args.podNamespace && args.podName) {
    const owner: CniOwner = { kind: 'pod', namespace: args.podNamespace, name: args.podName };
    if (args.podUid) owner.uid = args.podUid;
    return owner;
  }
  const owner: CniOwner = { kind: 'container', containerId: env.containerId };
  if (args.containerName) owner.name = args.containerName;
  return owner;
}

/**
 * Static requests (CNI-3). Sources in order of preference — `runtimeConfig.ips`, `args.cni.ips`, CNI_ARGS
 * `IP=` — and the first non-empty one is used whole, never merged: two sources naming different addresses
 * for one interface are a caller mix-up, and merging would allocate both. CNI_ARGS `IP=`/`MAC=` are
 * ignored when `args.cni` exists (CONVENTIONS.md: a plugin that reads `args` ignores the CNI_ARGS copy).
 */
export function staticRequestOf(conf: NetConf, args: CniArgs): CniStaticRequest {
  const cniArgsIps = conf.hasArgsCni ? [] : args.ips;
  const sources: [CniRequestSource, string, string[]][] = [
    ['runtimeConfig', 'runtimeConfig.ips', conf.runtimeIps],
    ['args', 'args.cni.ips', conf.argsIps],
    ['CNI_ARGS', 'CNI_ARGS IP', cniArgsIps],
  ];
  const out: CniStaticRequest = { ips: [] };
  const chosen = sources.find(([, , ips]) => ips.length > 0);
  if (chosen) {
    const [source, field, ips] = chosen;
    out.ips = ips.map((text, i) => parseRequestedIp(text, `${field}[${i}]`));
    out.ipsSource = source;
  }
  const mac = conf.runtimeMac ?? (conf.hasArgsCni ? undefined : args.mac);
  if (mac) {
    out.macSource = conf.runtimeMac ? 'runtimeConfig.mac' : 'CNI_ARGS MAC';
    out.mac = parseRequestedMac(mac, out.macSource);
  }
  return out;
}

/** `10.0.0.5` or `10.0.0.5/24` (the `ips` capability allows both). */
function parseRequestedIp(text: string, field: string): CniRequestedIp {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  let family: 4 | 6;
  let address: string;
  try {
    const parsed = parseAddress(addressText);
    family = parsed.family;
    address = formatAddress(parsed);
  } catch (err) {
    throw invalidField(field, `is not an IP address: ${(err as Error).message}`);
  }
  if (slash < 0) return { address, family };
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > familyBits(family)) {
    throw invalidField(field, `has an invalid prefix length "${prefixText}"`);
  }
  return { address, family, prefixLength: prefix };
}

function parseRequestedMac(text: string, field: string): string {
  try {
    return canonicalMac(text);
  } catch (err) {
    throw invalidField(field, `is not a usable MAC: ${(err as Error).message}`);
  }
}
