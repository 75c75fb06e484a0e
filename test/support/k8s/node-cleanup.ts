/**
 * Removes everything a test node left on the machine, whatever state it is in (running, half-started,
 * crashed in an earlier run): its containers (runc, by its private runc root), containerd-shims and
 * processes (by pid, after checking their command line), mounts under its dir (the kubelet's volumes and
 * rshared root, overlay root file systems, /dev/shm and network-namespace bind mounts), pod cgroups,
 * links, routes, iptables rules, kernel settings, /var/log/pods entries, libcni's cache files, and its dir.
 * Every step tolerates what is already gone; none throws.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_BIN } from './paths.js';
import type { NodeRecord } from './node-record.js';

/** Directories the kubelet and containerd write to outside the node's dir (diffed against `before`). */
export const SHARED_DIRS = ['/var/log/pods', '/var/log/containers', '/run/containerd/s'];

/** libcni's result cache (containerd 1.6 cannot move it); podman's CNI networks write here too. */
const CNI_CACHE = '/var/lib/cni/results';

/**
 * Paths they create whatever their configuration says (the 1.20 kubelet's device-plugin socket dir and
 * pod log dirs are constants; the runc shim's socket dir is containerd's default state dir): removed
 * at cleanup when they did not exist before the node started.
 */
export const CREATED_PATHS = ['/var/lib/kubelet', '/var/log/pods', '/var/log/containers', '/run/containerd'];

function run(cmd: string, args: string[]): { code: number; stdout: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status ?? -1, stdout: r.stdout ?? '' };
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function killAndWait(pid: number, mustContain: string): void {
  if (!cmdline(pid).includes(mustContain)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  // A SIGKILLed process is gone within milliseconds; the zombie of a child of ours is reaped by node.
  for (let i = 0; i < 200 && cmdline(pid).includes(mustContain); i++) spawnSync('sleep', ['0.05']);
}

/** Every pid whose command line contains `text`. */
function pidsMatching(text: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && cmdline(pid).includes(text));
}

/** Mount points at or under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Removes a cgroup directory tree bottom-up (only empty cgroups can go; busy ones stay). */
function removeCgroupTree(path: string): void {
  let entries: string[];
  try {
    entries = readdirSync(path, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return;
  }
  for (const e of entries) removeCgroupTree(join(path, e));
  try {
    rmdirSync(path);
  } catch {
    // still has processes, or already gone
  }
}

/** The kubelet's pod cgroups (`kubepods`) in every hierarchy of /sys/fs/cgroup. */
function removePodCgroups(): void {
  let hierarchies: string[];
  try {
    hierarchies = readdirSync('/sys/fs/cgroup');
  } catch {
    return;
  }
  const roots = hierarchies.map((h) => join('/sys/fs/cgroup', h, 'kubepods'));
  if (existsSync('/sys/fs/cgroup/kubepods')) roots.push('/sys/fs/cgroup/kubepods');
  for (const root of roots) if (existsSync(root)) removeCgroupTree(root);
}

export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Undoes everything `record` lists. */
export function cleanupNode(record: NodeRecord): void {
  // 1. The kubelet first (so it restarts nothing), then every container of this node, their shims, and
  //    containerd.
  if (record.kubeletPid) killAndWait(record.kubeletPid, record.dir);
  // Sandbox ids, for libcni's cache files of containerd's loopback network (named after them).
  const sandboxes = new Set([
    ...listDir(join(record.dir, 'containerd', 'state', 'io.containerd.grpc.v1.cri', 'sandboxes')),
    ...listDir(join(record.runcRoot, 'k8s.io')),
  ]);
  const runcNamespaces = listDir(record.runcRoot);
  for (const ns of runcNamespaces) {
    const root = join(record.runcRoot, ns);
    for (const id of listDir(root)) run(DEBIAN_BIN.runc, ['--root', root, 'delete', '--force', id]);
  }
  for (const pid of pidsMatching(`-address ${record.containerdSocket}`))
    killAndWait(pid, record.containerdSocket);
  if (record.containerdPid) killAndWait(record.containerdPid, record.dir);

  // 2. Mounts (deepest first; lazily when busy), then the dir itself.
  for (const point of mountsUnder(record.dir)) {
    if (run('umount', [point]).code !== 0) run('umount', ['-l', point]);
  }
  removePodCgroups();

  // 3. Network: links (a bridge's pod-side veths went with the pods' namespaces), routes, rules.
  for (const link of record.links) run('ip', ['link', 'del', link]);
  for (const route of record.routes) run('ip', ['route', 'del', ...route]);
  for (const { table, rule } of record.iptables) run('iptables', ['-w', '-t', table, '-D', ...rule]);

  // 4. Kernel settings the kubelet changed.
  for (const [key, value] of Object.entries(record.sysctls)) {
    try {
      writeFileSync(`/proc/sys/${key}`, value);
    } catch {
      // not writable here: nothing to restore
    }
  }

  // 5. Files outside the dir: new pod log dirs and symlinks, shim sockets, libcni's result cache.
  for (const dir of SHARED_DIRS) {
    const before = new Set(record.before[dir] ?? []);
    for (const entry of listDir(dir))
      if (!before.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  for (const path of record.created ?? []) rmSync(path, { recursive: true, force: true });
  for (const entry of listDir(CNI_CACHE)) {
    const ours =
      record.cniNetworks.some((network) => entry.startsWith(`${network}-`)) ||
      [...sandboxes].some((id) => entry.startsWith(`cni-loopback-${id}-`));
    if (ours) rmSync(join(CNI_CACHE, entry), { force: true });
  }
  if (process.env['IPKEEPER_K8S_KEEP'] === '1') {
    // Keep the logs for reading; everything else goes.
    for (const entry of listDir(record.dir))
      if (entry !== 'logs') rmSync(join(record.dir, entry), { recursive: true, force: true });
  } else {
    rmSync(record.dir, { recursive: true, force: true });
  }
}
