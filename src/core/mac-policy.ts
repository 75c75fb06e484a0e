import { ErrorCode, IpamError } from './errors.js';
import { formatMac } from './mac.js';

/**
 * What in a CNI chain puts an allocated MAC on the pod's interface (STA-2). An IPAM plugin cannot see the
 * rest of its chain, so the network config declares it (the ipam key `mac`, docs/cni.md):
 * - `none`: nothing does. Debian's `bridge`, `macvlan` and `ipvlan` ignore an IPAM result's MAC, and an
 *   `ipvlan` interface always carries its parent's MAC.
 * - `chained`: a `{"type": "ipkeeper"}` entry after the main plugin applies it (it hands the allocated MAC
 *   to the reference `tuning` plugin inside the pod's namespace).
 */
export type MacApplication = 'none' | 'chained';

/** Every {@link MacApplication}, for parsers and messages. */
export const MAC_APPLICATIONS: readonly MacApplication[] = ['none', 'chained'];

/** A MAC the caller asked for, and where the request came from (named when it is refused). */
export interface MacRequest {
  mac: number;
  /** e.g. `annotation ovn.kubernetes.io/mac_address`, `runtimeConfig.mac`, `CNI_ARGS MAC`. */
  source: string;
  /**
   * The main plugin puts this MAC on the interface itself: the runtime's own request (`runtimeConfig.mac`,
   * `MAC=` in CNI_ARGS) is read by the main plugin as well — Debian's `bridge` and `macvlan` set it (podman's
   * `--mac-address` arrives this way). A pod annotation is read by no main plugin.
   */
  appliedByMainPlugin?: boolean;
}

/**
 * What to do about an attachment's MAC:
 * - `subnet`: no MAC asked for and the chain applies one — the allocator gives one where the subnet hands
 *   out MACs (OVN subnets, SpiderIPPools: random, unique; other providers none, ENG-6);
 * - `static`: the MAC asked for;
 * - `none`: record no MAC, for nothing would put it on the interface;
 * - `refuse`: a MAC was asked for that nothing would apply — refusing beats an IP object claiming a MAC
 *   the interface does not have.
 */
export type MacDecision =
  | { kind: 'subnet' }
  | { kind: 'static'; mac: number }
  | { kind: 'none' }
  | { kind: 'refuse'; request: MacRequest };

/**
 * The decision table (STA-2): the chain's declaration × whether a MAC was asked for, and by whom.
 *
 * | chain     | nothing asked | asked, main plugin applies it | asked otherwise |
 * |-----------|---------------|-------------------------------|-----------------|
 * | `chained` | subnet        | static                        | static          |
 * | `none`    | none          | static                        | refuse          |
 */
export function decideMac(application: MacApplication, requested: MacRequest | undefined): MacDecision {
  if (!requested) return application === 'chained' ? { kind: 'subnet' } : { kind: 'none' };
  if (application === 'chained' || requested.appliedByMainPlugin === true)
    return { kind: 'static', mac: requested.mac };
  return { kind: 'refuse', request: requested };
}

/**
 * {@link decideMac} as the allocator's `mac` request: a number (that MAC), `undefined` (the subnet's rule)
 * or `null` (none). A refusal throws `InvalidInput` naming the request's source and how to enable MACs.
 */
export function macToAllocate(
  application: MacApplication,
  requested: MacRequest | undefined,
): number | null | undefined {
  const decision = decideMac(application, requested);
  switch (decision.kind) {
    case 'subnet':
      return undefined;
    case 'static':
      return decision.mac;
    case 'none':
      return null;
    case 'refuse':
      throw macRefused(decision.request);
  }
}

function macRefused(request: MacRequest): IpamError {
  const mac = formatMac(request.mac);
  return new IpamError(
    ErrorCode.InvalidInput,
    `${request.source} asks for MAC ${mac}, but nothing in this network's CNI chain puts an IPAM MAC on ` +
      `the interface (bridge, macvlan and ipvlan ignore it), so the pod would not have it. To apply MACs, ` +
      `add {"type": "ipkeeper"} after the main plugin in the conflist and set "mac": "chained" in its ipam ` +
      `section (docs/cni.md, "MAC addresses"); ipvlan interfaces always carry the parent's MAC`,
    { field: request.source, value: mac },
  );
}
