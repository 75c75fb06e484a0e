/** Spiderpool `SpiderIPPool` (`spiderippools.spiderpool.spidernet.io`, cluster-scoped). */
import { at, bool, int, labelSelector, obj, selectorValue, str, strList } from './schema-helpers.js';
import type { KindDefinition, Schema } from './types.js';

const spec: Schema = obj(
  'The address set of the pool and who may use it.',
  {
    ipVersion: int('4 or 6. Derived from subnet; immutable.', { enum: [4, 6] }),
    subnet: str(
      'Canonical CIDR of the pool (network address form, e.g. "172.18.42.0/24"). Required; immutable.',
    ),
    ips: strList(
      'Allocatable addresses: "ip" or "start-end" inside subnet (no CIDR, no spaces). Stored merged and sorted.',
    ),
    excludeIPs: strList('Addresses subtracted from ips, same syntax.'),
    gateway: str('Gateway handed to pods.'),
    routes: {
      type: 'array',
      description: 'Extra routes handed to pods.',
      items: obj(
        'One route.',
        { dst: str('Destination CIDR.'), gw: str('Next hop.') },
        { required: ['dst', 'gw'] },
      ),
    },
    podAffinity: labelSelector('Pod labels that may use the pool.'),
    namespaceAffinity: labelSelector('Namespace labels that may use the pool.'),
    namespaceName: strList('Namespaces that may use the pool; wins over namespaceAffinity.'),
    nodeAffinity: labelSelector("Node labels of the pod's node."),
    nodeName: strList('Nodes that may use the pool; wins over nodeAffinity.'),
    multusName: strList('Allowed Multus network attachments ("ns/name").'),
    default: bool('A cluster-default pool.'),
    disable: bool('No new allocations from a disabled pool.'),
  },
  { required: ['subnet'] },
);

const status: Schema = obj('Observed usage of the pool.', {
  allocatedIPs: str('JSON text mapping each held address to {"pod":"<ns>/<name>","podUid":"<uid>"}.'),
  allocatedIPCount: int('Addresses held.'),
  totalIPCount: int('Size of ips minus excludeIPs, capped at 9223372036854775807.'),
});

export const spiderIPPoolKind: KindDefinition = {
  kind: 'SpiderIPPool',
  group: 'spiderpool.spidernet.io',
  version: 'v2beta1',
  plural: 'spiderippools',
  singular: 'spiderippool',
  shortNames: ['sp'],
  categories: ['spiderpool', 'ipkeeper'],
  description:
    "SpiderIPPool is a pool with its own subnet CIDR, ips and excludeIPs. A pool whose subnet equals a Subnet's CIDR is a pool of that Subnet.",
  spec,
  status,
  columns: [
    { name: 'VERSION', type: 'string', priority: 0, jsonPath: '.spec.ipVersion', description: 'IP version.' },
    { name: 'SUBNET', type: 'string', priority: 0, jsonPath: '.spec.subnet', description: 'Subnet CIDR.' },
    {
      name: 'ALLOCATED-IP-COUNT',
      type: 'integer',
      priority: 0,
      jsonPath: '.status.allocatedIPCount',
      description: 'Addresses held.',
    },
    {
      name: 'TOTAL-IP-COUNT',
      type: 'integer',
      priority: 0,
      jsonPath: '.status.totalIPCount',
      description: 'Addresses in the pool.',
    },
    {
      name: 'DEFAULT',
      type: 'boolean',
      priority: 0,
      jsonPath: '.spec.default',
      description: 'Cluster-default pool.',
    },
    {
      name: 'DISABLE',
      type: 'boolean',
      priority: 1,
      jsonPath: '.spec.disable',
      description: 'Disabled pool.',
    },
    {
      name: 'NodeName',
      type: 'string',
      priority: 1,
      jsonPath: '.spec.nodeName',
      description: 'Allowed nodes.',
    },
    {
      name: 'MultusName',
      type: 'string',
      priority: 1,
      jsonPath: '.spec.multusName',
      description: 'Allowed network attachments.',
    },
    {
      name: 'APP-NAMESPACE',
      type: 'string',
      priority: 1,
      jsonPath: ".spec.podAffinity.matchLabels['ipam.spidernet.io/app-namespace']",
      description: 'Namespace of an auto-created pool.',
    },
  ],
  fieldSelectors: {
    'spec.subnet': (o) => selectorValue(at(o, 'spec', 'subnet')),
    'spec.ipVersion': (o) => selectorValue(at(o, 'spec', 'ipVersion')),
    'spec.default': (o) => selectorValue(at(o, 'spec', 'default') ?? false),
  },
};
