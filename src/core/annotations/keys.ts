/**
 * Annotation keys the engine understands. Kube-OVN keys carry a provider prefix (`ovn` for the default
 * network, `<nad>.<namespace>.<provider>` style names for attachments); Spiderpool keys are fixed.
 */

/** The Kube-OVN provider of the default network. */
export const DEFAULT_PROVIDER = 'ovn';

/** The Kube-OVN pod annotation keys for one provider, e.g. `ovn.kubernetes.io/ip_address`. */
export interface OvnKeys {
  readonly ipAddress: string;
  readonly macAddress: string;
  readonly ipPool: string;
  readonly logicalSwitch: string;
}

export function ovnKeys(provider: string = DEFAULT_PROVIDER): OvnKeys {
  const prefix = `${provider}.kubernetes.io/`;
  return {
    ipAddress: `${prefix}ip_address`,
    macAddress: `${prefix}mac_address`,
    ipPool: `${prefix}ip_pool`,
    logicalSwitch: `${prefix}logical_switch`,
  };
}

/** Kube-OVN keys of the default network. */
export const OVN_KEYS: OvnKeys = ovnKeys();

/** Spiderpool keys: the pod's single-NIC pool choice and the namespace's default pools. */
export const SPIDER_KEYS = {
  ipPool: 'ipam.spidernet.io/ippool',
  ipPools: 'ipam.spidernet.io/ippools',
  defaultIPv4Pool: 'ipam.spidernet.io/default-ipv4-ippool',
  defaultIPv6Pool: 'ipam.spidernet.io/default-ipv6-ippool',
} as const;
