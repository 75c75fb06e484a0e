/**
 * What a running test node changed on the machine, written to /run/ipkeeper-k8s/node.json as it goes, so
 * that its own stop() — or the next startNode() after a crash — can undo exactly that.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { NODE_RECORD_FILE } from './paths.js';

export interface NodeRecord {
  /** The node's temp dir (everything under it is removed). */
  dir: string;
  nodeName: string;
  /** Pids of this node's kubelet and containerd (checked against their command line before a kill). */
  kubeletPid?: number;
  containerdPid?: number;
  containerdSocket: string;
  runcRoot: string;
  /** Links to delete (the node's veth; bridges the CNI config made). */
  links: string[];
  /** `ip route del` arguments of routes this node added. */
  routes: string[][];
  /** iptables rules this node added: table and the rule (as given to -A). */
  iptables: { table: string; rule: string[] }[];
  /** Kernel settings the kubelet changes at start, with the values to restore. */
  sysctls: Record<string, string>;
  /** CNI network names (for libcni's cache, /var/lib/cni/results/NAME-*). */
  cniNetworks: string[];
  /** Entries that existed before the node started, in directories the kubelet/containerd write to. */
  before: Record<string, string[]>;
  /** Machine paths the kubelet/containerd create that did not exist before the node started. */
  created: string[];
}

export function readNodeRecord(): NodeRecord | undefined {
  if (!existsSync(NODE_RECORD_FILE)) return undefined;
  try {
    return JSON.parse(readFileSync(NODE_RECORD_FILE, 'utf8')) as NodeRecord;
  } catch {
    return undefined;
  }
}

export function writeNodeRecord(record: NodeRecord): void {
  writeFileSync(NODE_RECORD_FILE, JSON.stringify(record, null, 1));
}

export function removeNodeRecord(): void {
  rmSync(NODE_RECORD_FILE, { force: true });
}
