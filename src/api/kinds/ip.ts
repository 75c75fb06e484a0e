/** Kube-OVN `IP` (`ips.kubeovn.io`, cluster-scoped): one allocation record; user-created ones are reservations. */
import { at, obj, selectorValue, str, strList } from './schema-helpers.js';
import type { KindDefinition, Schema } from './types.js';

// Every scalar is nullable: seed 02-static.yaml writes `v6IpAddress:` (null) and must apply unchanged;
// the service stores null as "".
const nstr = (description: string, extra: Partial<Schema> = {}): Schema =>
  str(description, { nullable: true, ...extra });

const spec: Schema = obj(
  'The owner and addresses of the allocation. Once set, subnet, namespace, podName, podType, v4IpAddress, v6IpAddress and macAddress cannot change.',
  {
    podName: nstr('Name of the pod or VirtualMachine that owns (or will own) the address.'),
    namespace: nstr('Namespace of that pod or VirtualMachine.'),
    subnet: nstr('The Subnet the address comes from. Required.'),
    attachSubnets: strList('Subnets of attachment interfaces.', { nullable: true }),
    nodeName: nstr('Node of the owning pod ("" while unscheduled).'),
    ipAddress: nstr('Deprecated combined form "v4", "v6" or "v4,v6"; written by the server.'),
    v4IpAddress: nstr(
      'The IPv4 address. Give one to reserve exactly that address; leave empty to get the lowest free one.',
    ),
    v6IpAddress: nstr(
      'The IPv6 address. Give one to reserve exactly that address; leave empty to get the lowest free one.',
    ),
    attachIps: strList('Addresses of attachment interfaces.', { nullable: true }),
    macAddress: nstr('MAC address; chosen by the server when empty (ovn provider only).'),
    attachMacs: strList('MACs of attachment interfaces.', { nullable: true }),
    containerID: nstr('Container ID of the owning pod sandbox.'),
    podType: nstr('Owner type: "", "StatefulSet" or "VirtualMachine".', {
      enum: ['', 'StatefulSet', 'VirtualMachine', null],
    }),
  },
  { required: ['subnet'] },
);

export const ipKind: KindDefinition = {
  kind: 'IP',
  group: 'kubeovn.io',
  version: 'v1',
  plural: 'ips',
  singular: 'ip',
  shortNames: ['ip'],
  categories: ['ipkeeper'],
  description:
    'IP is one allocation record, named "<podName>.<namespace>" (or "<podName>.<namespace>.<provider>" for a non-ovn provider). An IP created by a user is a reservation: its address is held until the IP object is deleted.',
  spec,
  status: undefined,
  columns: [
    {
      name: 'V4IP',
      type: 'string',
      priority: 0,
      jsonPath: '.spec.v4IpAddress',
      description: 'IPv4 address.',
    },
    {
      name: 'V6IP',
      type: 'string',
      priority: 0,
      jsonPath: '.spec.v6IpAddress',
      description: 'IPv6 address.',
    },
    { name: 'MAC', type: 'string', priority: 0, jsonPath: '.spec.macAddress', description: 'MAC address.' },
    {
      name: 'NODE',
      type: 'string',
      priority: 0,
      jsonPath: '.spec.nodeName',
      description: 'Node of the owner.',
    },
    { name: 'SUBNET', type: 'string', priority: 0, jsonPath: '.spec.subnet', description: 'Subnet.' },
  ],
  fieldSelectors: Object.fromEntries(
    ['subnet', 'namespace', 'podName', 'podType', 'nodeName', 'v4IpAddress', 'v6IpAddress', 'macAddress'].map(
      (k) => [`spec.${k}`, (o) => selectorValue(at(o, 'spec', k))],
    ),
  ),
};
