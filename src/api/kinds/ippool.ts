/** Kube-OVN `IPPool` (`ippools.kubeovn.io`, cluster-scoped): a named subset of one Subnet. */
import { at, bool, count, int, obj, selectorValue, str, strList } from './schema-helpers.js';
import type { KindDefinition, Schema } from './types.js';

const spec: Schema = obj(
  'The addresses of the pool.',
  {
    subnet: str('The Subnet the pool is carved from. Required and immutable.'),
    ips: strList('Addresses of the pool: "ip", "cidr" or "a..b", both families.'),
    namespaces: strList('Namespaces bound to the pool: their pods draw only from bound pools, in order.'),
    enableAddressSet: bool('Create an OVN address set for the pool.'),
  },
  { required: ['subnet', 'ips'] },
);

const status: Schema = obj('Observed usage of the pool.', {
  v4AvailableIPs: count('IPv4 addresses still available.'),
  v4AvailableIPRange: str('IPv4 available ranges.'),
  v4UsingIPs: count('IPv4 addresses in use.'),
  v4UsingIPRange: str('IPv4 ranges in use.'),
  v6AvailableIPs: count('IPv6 addresses still available (may exceed 2^53).'),
  v6AvailableIPRange: str('IPv6 available ranges.'),
  v6UsingIPs: count('IPv6 addresses in use.'),
  v6UsingIPRange: str('IPv6 ranges in use.'),
  conditions: {
    type: 'array',
    description: 'Observed conditions (Ready, Error).',
    items: obj('One condition.', {
      type: str('Condition type.'),
      status: str('True, False or Unknown.'),
      reason: str('Reason of the last transition.'),
      message: str('Detail.'),
      lastUpdateTime: str('Last write.', { format: 'date-time' }),
      lastTransitionTime: str('Last change.', { format: 'date-time' }),
      observedGeneration: int('Generation observed.'),
    }),
  },
});

export const ippoolKind: KindDefinition = {
  kind: 'IPPool',
  group: 'kubeovn.io',
  version: 'v1',
  plural: 'ippools',
  singular: 'ippool',
  shortNames: ['ippool'],
  categories: ['ipkeeper'],
  description:
    'IPPool is a named subset of one Subnet, optionally bound to namespaces. Its addresses are given only to requests that name the pool or come from a bound namespace.',
  spec,
  status,
  columns: [
    {
      name: 'SUBNET',
      type: 'string',
      priority: 0,
      jsonPath: '.spec.subnet',
      description: 'Subnet of the pool.',
    },
    {
      name: 'ENABLEADDRESSSET',
      type: 'boolean',
      priority: 1,
      jsonPath: '.spec.enableAddressSet',
      description: 'OVN address set.',
    },
    {
      name: 'IPS',
      type: 'string',
      priority: 0,
      jsonPath: '.spec.ips',
      description: 'Addresses of the pool.',
    },
    {
      name: 'V4USED',
      type: 'number',
      priority: 0,
      jsonPath: '.status.v4UsingIPs',
      description: 'IPv4 in use.',
    },
    {
      name: 'V4AVAILABLE',
      type: 'number',
      priority: 0,
      jsonPath: '.status.v4AvailableIPs',
      description: 'IPv4 available.',
    },
    {
      name: 'V6USED',
      type: 'number',
      priority: 0,
      jsonPath: '.status.v6UsingIPs',
      description: 'IPv6 in use.',
    },
    {
      name: 'V6AVAILABLE',
      type: 'number',
      priority: 0,
      jsonPath: '.status.v6AvailableIPs',
      description: 'IPv6 available.',
    },
  ],
  fieldSelectors: { 'spec.subnet': (o) => selectorValue(at(o, 'spec', 'subnet')) },
};
