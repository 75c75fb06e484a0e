/**
 * The host networking of a test node, each change recorded before it is made so cleanup can undo it:
 *   - the node IP on the host end of a veth pair of its own (the kubelet refuses a loopback node IP; the
 *     uplink holds 192.0.2.0/24, so the node uses 198.51.100.0/24),
 *   - blackhole routes for the cloud metadata address (the kubelet's built-in ECR credential provider asks
 *     it at start) and the service CIDR (no kube-proxy: no packet to a service IP may leave the machine),
 *   - the `kubernetes` service's cluster IP made local and DNATed to the API server, for host-network pods
 *     using in-cluster config (what kube-proxy would do for them).
 */
import { spawnSync } from 'node:child_process';
import type { NodeRecord } from './node-record.js';

/** The node's address (host end of its veth) and the range it lives in. */
export const NODE_IP = '198.51.100.1';
const NODE_PREFIX = 24;
const METADATA_ADDRESS = '169.254.169.254/32';

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

function routeExists(args: string[]): boolean {
  const r = spawnSync('ip', ['route', 'show', ...args], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

/** Adds a route unless an equal one exists (then it is not ours to delete). */
function addRoute(record: NodeRecord, save: () => void, route: string[], show: string[]): void {
  if (routeExists(show)) return;
  record.routes.push(route);
  save();
  ip(['route', 'add', ...route]);
}

/** The first host address of an IPv4 CIDR (the `kubernetes` service's cluster IP). */
export function firstHost(cidr: string): string {
  const parts = cidr.split('/')[0]!.split('.').map(Number);
  parts[3] = parts[3]! + 1;
  return parts.join('.');
}

/** Creates the node's veth pair (`ipkn<tag>` holds the node IP) and its routes and rules. */
export function setUpNodeNetwork(
  record: NodeRecord,
  save: () => void,
  o: { tag: string; serviceCidr: string; apiPort: number; serviceVip: boolean },
): void {
  const host = `ipkn${o.tag}`;
  record.links.push(host);
  save();
  ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', `ipkp${o.tag}`]);
  ip(['addr', 'add', `${NODE_IP}/${NODE_PREFIX}`, 'dev', host]);
  ip(['link', 'set', host, 'up']);
  ip(['link', 'set', `ipkp${o.tag}`, 'up']);
  addRoute(record, save, ['blackhole', METADATA_ADDRESS], ['type', 'blackhole', METADATA_ADDRESS]);
  addRoute(record, save, ['blackhole', o.serviceCidr], ['type', 'blackhole', o.serviceCidr]);
  if (!o.serviceVip) return;
  const vip = firstHost(o.serviceCidr);
  addRoute(
    record,
    save,
    ['local', `${vip}/32`, 'dev', 'lo', 'table', 'local'],
    ['table', 'local', 'type', 'local', `${vip}/32`],
  );
  const rule = [
    'OUTPUT',
    '-d',
    `${vip}/32`,
    '-p',
    'tcp',
    '--dport',
    '443',
    '-j',
    'DNAT',
    '--to-destination',
    `127.0.0.1:${o.apiPort}`,
  ];
  record.iptables.push({ table: 'nat', rule });
  save();
  const r = spawnSync('iptables', ['-w', '-t', 'nat', '-A', ...rule], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`iptables -t nat -A ${rule.join(' ')}: ${r.stderr}`);
}
