import { parseAddress } from '../core/ip/address.js';
import { parseCidr } from '../core/ip/cidr.js';
import { MAC_APPLICATIONS, type MacApplication } from '../core/mac-policy.js';
import type { CniIpamSelection, CniRoute } from './cni-service.js';
import { CniError } from './errors.js';
import {
  invalidField,
  objectList,
  optionalBoolean,
  optionalString,
  stringList,
  type JsonObject,
} from './fields.js';
import { CniWellKnownCode, DAEMON_TIMEOUT_KEY, daemonTimeoutSeconds } from './wire.js';

/** The network config's `ipam` section, validated. */
export interface IpamConfig {
  selection: CniIpamSelection;
  /** `socket`: read by the plugin to find the daemon; kept for completeness. */
  socket?: string;
  /** `routes`: returned in every ADD result, after the service's routes. */
  routes: CniRoute[];
  /** `default_route` (default true): add `0.0.0.0/0` / `::/0` via each family's gateway (CNI-4). */
  defaultRoute: boolean;
  /** `mac` (default `none`): what in the chain puts the allocated MAC on the interface (STA-2). */
  macApplication: MacApplication;
}

/**
 * Every key ipkeeper reads. `log_file`/`log_level` are accepted for compatibility with configs written
 * for other daemon-backed IPAMs; logging happens in the daemon, which has its own settings.
 */
const KNOWN_KEYS = new Set([
  'type',
  'socket',
  'subnet',
  'ippool',
  'default_ipv4_ippool',
  'default_ipv6_ippool',
  'routes',
  'default_route',
  'log_file',
  'log_level',
  DAEMON_TIMEOUT_KEY,
  'mac',
]);

/**
 * Validates `ipam`. An unknown key fails with code 2 ("unsupported field", naming key and value) instead
 * of being ignored: a misspelt `default_rout` or a host-local `ranges` pasted in would otherwise be
 * silently dropped and the pod would get an address from the wrong place (SEC-2: unknown fields are
 * refused with a message naming them).
 */
export function parseIpamConfig(ipam: JsonObject): IpamConfig {
  for (const [key, value] of Object.entries(ipam)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new CniError(
        CniWellKnownCode.UnsupportedField,
        `unsupported field ipam.${key}: ${JSON.stringify(value)}`,
        `ipkeeper reads ipam keys ${[...KNOWN_KEYS].join(', ')}`,
      );
    }
  }
  if (!optionalString(ipam, 'type', 'ipam.type')) throw invalidField('ipam.type', 'is required');
  optionalString(ipam, 'log_file', 'ipam.log_file');
  optionalString(ipam, 'log_level', 'ipam.log_level');
  // Used by the plugin (it waits that long for the daemon); validated here too so both sides agree.
  const timeout = daemonTimeoutSeconds(ipam[DAEMON_TIMEOUT_KEY]);
  if (typeof timeout !== 'number') throw invalidField(`ipam.${DAEMON_TIMEOUT_KEY}`, timeout.problem);
  const subnet = optionalString(ipam, 'subnet', 'ipam.subnet') || undefined;
  const socket = optionalString(ipam, 'socket', 'ipam.socket') || undefined;
  const selection: CniIpamSelection = {
    ippools: stringList(ipam, 'ippool', 'ipam.ippool', { loneString: true }),
    defaultIpv4Pools: stringList(ipam, 'default_ipv4_ippool', 'ipam.default_ipv4_ippool', {
      loneString: true,
    }),
    defaultIpv6Pools: stringList(ipam, 'default_ipv6_ippool', 'ipam.default_ipv6_ippool', {
      loneString: true,
    }),
  };
  if (subnet) selection.subnet = subnet;
  const config: IpamConfig = {
    selection,
    routes: parseRoutes(ipam),
    defaultRoute: optionalBoolean(ipam, 'default_route', 'ipam.default_route') ?? true,
    macApplication: parseMacApplication(ipam),
  };
  if (socket) config.socket = socket;
  return config;
}

/** `mac`: `none` (nothing in the chain applies an IPAM MAC, the default) or `chained` (docs/cni.md). */
function parseMacApplication(ipam: JsonObject): MacApplication {
  const value = optionalString(ipam, 'mac', 'ipam.mac') ?? 'none';
  if (!(MAC_APPLICATIONS as readonly string[]).includes(value)) {
    throw invalidField(
      'ipam.mac',
      `must be "none" (nothing in the chain applies a MAC) or "chained" (a {"type": "ipkeeper"} entry after ` +
        `the main plugin applies it), not ${JSON.stringify(value)}`,
    );
  }
  return value as MacApplication;
}

function parseRoutes(ipam: JsonObject): CniRoute[] {
  return objectList(ipam, 'routes', 'ipam.routes').map((route, i) => {
    const field = `ipam.routes[${i}]`;
    const dst = optionalString(route, 'dst', `${field}.dst`);
    if (!dst) throw invalidField(`${field}.dst`, 'is required');
    const gw = optionalString(route, 'gw', `${field}.gw`);
    let family: 4 | 6;
    try {
      family = parseCidr(dst).family;
    } catch (err) {
      throw invalidField(`${field}.dst`, `is not a CIDR: ${(err as Error).message}`);
    }
    if (gw === undefined) return { dst };
    let gwFamily: 4 | 6;
    try {
      gwFamily = parseAddress(gw).family;
    } catch (err) {
      throw invalidField(`${field}.gw`, `is not an IP address: ${(err as Error).message}`);
    }
    if (gwFamily !== family)
      throw invalidField(`${field}.gw`, `is IPv${gwFamily} but dst ${dst} is IPv${family}`);
    return { dst, gw };
  });
}
