import type { CniAttachment, CniDns } from './cni-service.js';
import { CniError } from './errors.js';
import {
  invalidField,
  objectList,
  optionalObject,
  optionalString,
  stringList,
  type JsonObject,
} from './fields.js';
import { parseIpamConfig, type IpamConfig } from './ipam-config.js';
import { parseCniVersion } from './version.js';
import { CniWellKnownCode, decodeNetworkConfig, type CniVersion } from './wire.js';

/** The capability key under which containerd and CRI-O pass all pod annotations. */
export const POD_ANNOTATIONS_KEY = 'io.kubernetes.cri.pod-annotations';

/** The parts of the network config (stdin) that ipkeeper reads, validated. */
export interface NetConf {
  cniVersion: CniVersion;
  name: string;
  ipam: IpamConfig;
  dns?: CniDns;
  /** `runtimeConfig.ips` (capability `ips`). */
  runtimeIps: string[];
  /** `runtimeConfig.mac` (capability `mac`). */
  runtimeMac?: string;
  /** `runtimeConfig["io.kubernetes.cri.pod-annotations"]`. */
  podAnnotations: Record<string, string>;
  /** True when `args.cni` is present: CNI_ARGS `IP=`/`MAC=` are then ignored (CONVENTIONS.md). */
  hasArgsCni: boolean;
  /** `args.cni.ips`. */
  argsIps: string[];
  /** prevResult's `ips[].address`, prefix stripped (CHECK). `undefined` when there is no prevResult. */
  prevResultIps?: string[];
  /** GC: union of `cni.dev/valid-attachments` and `cni.dev/attachments`; `undefined` when neither is present. */
  validAttachments?: CniAttachment[];
}

export { MAX_STDIN_BYTES } from './wire.js';

/**
 * Parses stdin: bad JSON → 6, unsupported version → 1 (6 if the version string itself is malformed),
 * anything structurally wrong → 7 naming the field, unknown `ipam` keys → 2. Keys outside `ipam`,
 * `runtimeConfig`, `args`, `dns`, `prevResult` and the GC lists belong to the main plugin and are ignored.
 */
export function parseNetConf(stdin: string): NetConf {
  return parseNetConfObject(decodeConfig(stdin));
}

/** stdin as a JSON object: too large or not a JSON object → 6. */
export function decodeConfig(stdin: string): JsonObject {
  const decoded = decodeNetworkConfig(stdin);
  if (!decoded.ok) throw new CniError(CniWellKnownCode.DecodingFailure, decoded.message);
  return decoded.config as JsonObject;
}

/** {@link parseNetConf} of an already decoded config. */
export function parseNetConfObject(parsed: JsonObject): NetConf {
  const cniVersion = parseCniVersion(parsed.cniVersion);
  const name = optionalString(parsed, 'name', 'name');
  if (!name) throw invalidField('name', 'is required');
  const ipamSection = optionalObject(parsed, 'ipam', 'ipam');
  if (!ipamSection) throw invalidField('ipam', 'is required (ipkeeper is an IPAM plugin)');
  const runtimeConfig = optionalObject(parsed, 'runtimeConfig', 'runtimeConfig') ?? {};
  const argsCni = optionalObject(optionalObject(parsed, 'args', 'args') ?? {}, 'cni', 'args.cni');
  const conf: NetConf = {
    cniVersion,
    name,
    ipam: parseIpamConfig(ipamSection),
    runtimeIps: stringList(runtimeConfig, 'ips', 'runtimeConfig.ips'),
    podAnnotations: parseAnnotations(runtimeConfig),
    hasArgsCni: argsCni !== undefined,
    argsIps: argsCni ? stringList(argsCni, 'ips', 'args.cni.ips') : [],
  };
  const runtimeMac = optionalString(runtimeConfig, 'mac', 'runtimeConfig.mac');
  if (runtimeMac) conf.runtimeMac = runtimeMac;
  const dns = parseDns(parsed);
  if (dns) conf.dns = dns;
  const prevResult = optionalObject(parsed, 'prevResult', 'prevResult');
  if (prevResult) conf.prevResultIps = parsePrevResultIps(prevResult);
  const attachments = parseAttachments(parsed);
  if (attachments) conf.validAttachments = attachments;
  return conf;
}

function parseAnnotations(runtimeConfig: JsonObject): Record<string, string> {
  const field = `runtimeConfig["${POD_ANNOTATIONS_KEY}"]`;
  const raw = optionalObject(runtimeConfig, POD_ANNOTATIONS_KEY, field) ?? {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw invalidField(`${field}["${key}"]`, 'must be a string');
    out[key] = value;
  }
  return out;
}

function parseDns(conf: JsonObject): CniDns | undefined {
  const dns = optionalObject(conf, 'dns', 'dns');
  if (!dns) return undefined;
  const out: CniDns = {};
  const nameservers = stringList(dns, 'nameservers', 'dns.nameservers');
  const domain = optionalString(dns, 'domain', 'dns.domain');
  const search = stringList(dns, 'search', 'dns.search');
  const options = stringList(dns, 'options', 'dns.options');
  if (nameservers.length > 0) out.nameservers = nameservers;
  if (domain) out.domain = domain;
  if (search.length > 0) out.search = search;
  if (options.length > 0) out.options = options;
  return out;
}

function parsePrevResultIps(prevResult: JsonObject): string[] {
  return objectList(prevResult, 'ips', 'prevResult.ips').map((ip, i) => {
    const address = optionalString(ip, 'address', `prevResult.ips[${i}].address`);
    if (!address) throw invalidField(`prevResult.ips[${i}].address`, 'is required');
    return address.split('/')[0] ?? address;
  });
}

/** libcni sends both spellings (the 1.1.0 tag says `attachments`, libcni and main say `valid-attachments`). */
const ATTACHMENT_KEYS = ['cni.dev/valid-attachments', 'cni.dev/attachments'] as const;

function parseAttachments(conf: JsonObject): CniAttachment[] | undefined {
  if (ATTACHMENT_KEYS.every((key) => conf[key] === undefined || conf[key] === null)) return undefined;
  const seen = new Map<string, CniAttachment>();
  for (const key of ATTACHMENT_KEYS) {
    objectList(conf, key, key).forEach((item, i) => {
      const containerId = optionalString(item, 'containerID', `${key}[${i}].containerID`);
      const ifName = optionalString(item, 'ifname', `${key}[${i}].ifname`);
      if (!containerId || !ifName) throw invalidField(`${key}[${i}]`, 'needs containerID and ifname');
      seen.set(`${containerId}\u0000${ifName}`, { containerId, ifName });
    });
  }
  return [...seen.values()];
}
