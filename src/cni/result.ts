import type { CniAllocation, CniDns, CniRoute } from './cni-service.js';
import type { IpamConfig } from './ipam-config.js';
import { isLegacyResultVersion } from './version.js';
import type { CniVersion } from './wire.js';

/** One `ips[]` entry as printed. `version` only for 0.3.x/0.4.0; `interface` only when a MAC is reported. */
export interface CniResultIp {
  version?: '4' | '6';
  address: string;
  gateway?: string;
  interface?: number;
}

/** The ADD success object as printed (spec "ADD Success", IPAM form plus the MAC, see {@link formatAddResult}). */
export interface CniResult {
  cniVersion: CniVersion;
  interfaces?: { name: string; mac: string }[];
  ips: CniResultIp[];
  routes: CniRoute[];
  dns?: CniDns;
}

/** What shapes an ADD result besides the allocation itself. */
export interface FormatOptions {
  version: CniVersion;
  ifName: string;
  ipam: IpamConfig;
  /** The network config's top-level `dns`, which wins over the service's. */
  dns?: CniDns;
}

/**
 * Builds the ADD result for the requested version (CNI-1, CNI-4).
 *
 * - `ips[].address` is `ip/prefix` of the subnet; `version` is added for 0.3.x/0.4.0 and left out for 1.x.
 * - routes: the service's, then `ipam.routes`, then (unless `default_route: false`) a default route per
 *   family via that family's gateway, skipped when a route to the same destination is already listed.
 * - MAC: an IPAM result normally has no `interfaces`; when a MAC is allocated we report it as
 *   `interfaces: [{name: CNI_IFNAME, mac}]` with `ips[].interface: 0`. Debian's bridge and macvlan
 *   (1.1.1) accept this and replace `interfaces` with their own (test/cni/cni-plugins.test.ts proves it),
 *   so the MAC is informational for them; a runtime calling ipkeeper directly sees it.
 */
export function formatAddResult(allocation: CniAllocation, options: FormatOptions): CniResult {
  const legacy = isLegacyResultVersion(options.version);
  const withMac = allocation.mac !== undefined;
  const ips = allocation.ips.map((ip) => {
    // Built in spec key order (version, address, gateway, interface) so output diffs cleanly with host-local.
    const out: CniResultIp = legacy ? { version: ip.family === 4 ? '4' : '6', address: '' } : { address: '' };
    out.address = `${ip.address}/${ip.prefixLength}`;
    if (ip.gateway) out.gateway = ip.gateway;
    if (withMac) out.interface = 0;
    return out;
  });
  const routes = routesFor(allocation, options.ipam);
  const cniVersion = options.version;
  const result: CniResult =
    allocation.mac === undefined
      ? { cniVersion, ips, routes }
      : { cniVersion, interfaces: [{ name: options.ifName, mac: allocation.mac }], ips, routes };
  const dns = options.dns ?? allocation.dns;
  if (dns && Object.keys(dns).length > 0) result.dns = dns;
  return result;
}

function routesFor(allocation: CniAllocation, ipam: IpamConfig): CniRoute[] {
  const routes: CniRoute[] = [];
  const seen = new Set<string>();
  const add = (route: CniRoute): void => {
    if (seen.has(route.dst)) return;
    seen.add(route.dst);
    routes.push(route);
  };
  allocation.routes.forEach(add);
  ipam.routes.forEach(add);
  if (ipam.defaultRoute) {
    for (const ip of allocation.ips) {
      if (ip.gateway) add({ dst: ip.family === 4 ? '0.0.0.0/0' : '::/0', gw: ip.gateway });
    }
  }
  return routes;
}
