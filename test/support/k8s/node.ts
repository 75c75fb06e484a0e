/**
 * One real Kubernetes node for tests: Debian's containerd (private root, state, socket, CNI directories)
 * and the kubelet built by scripts/k8s/build.sh, registered with a control plane from startControlPlane.
 * The caller supplies the CNI network config and extra plugins; the test images are imported at start.
 * One node at a time per machine (acquireNodeLock queues callers); stop() — or the next start after a
 * crash — removes everything the node did to the machine (node-cleanup.ts).
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { ControlPlane } from './control-plane.js';
import { acquireNodeLock } from './node-lock.js';
import { cleanupNode, CREATED_PATHS, listDir, SHARED_DIRS } from './node-cleanup.js';
import { containerdConfig, kubeletConfig, type NodeLayout } from './node-config.js';
import { NODE_IP, setUpNodeNetwork } from './node-network.js';
import { readNodeRecord, removeNodeRecord, writeNodeRecord, type NodeRecord } from './node-record.js';
import { DEBIAN_BIN, DEBIAN_CNI_DIR, IMAGES, K8S_BIN } from './paths.js';
import { issueCert } from './pki.js';
import { freePort, spawnService, waitUntil, type Service } from './processes.js';

const execFileAsync = promisify(execFile);

export interface NodeOptions {
  /**
   * The CNI network config the node's containerd loads: a conflist (`{ cniVersion, name, plugins: [...] }`)
   * or a single-plugin config, as an object or JSON text. Bridges it names (`bridge`, default `cni0`) are
   * deleted at stop.
   */
  cni: string | Record<string, unknown>;
  /** Extra plugin executables for the node's private CNI bin dir: file name there → source path (copied). */
  cniPlugins?: Record<string, string>;
  /** Node name (default `ipk-node-<tag>`). */
  name?: string;
  /** More docker-archive images to import (the pause and busybox test images always are). */
  images?: string[];
  /** The kubelet's maxPods (default 110). */
  maxPods?: number;
  /** Make the `kubernetes` service IP reach the API server from host-network pods (default true). */
  serviceVip?: boolean;
  /** Extra kubelet flags. */
  kubeletArgs?: string[];
  /** How long to wait for the node lock (default 30 min) and for the node to be Ready (default 180 s). */
  lockTimeoutMs?: number;
  timeoutMs?: number;
}

export interface TestNode {
  /** The Node object's name. */
  readonly name: string;
  /** The node's InternalIP (host end of its veth pair). */
  readonly ip: string;
  readonly dir: string;
  readonly cniConfDir: string;
  readonly cniBinDir: string;
  /** containerd's socket (for `ctr --address`). */
  readonly containerdSocket: string;
  readonly kubeletRootDir: string;
  readonly logs: { containerd: string; kubelet: string };
  /** `ctr --address SOCKET -n k8s.io ARGS` (stdout; rejects on failure). */
  ctr(args: string[]): Promise<string>;
  /** Imports a docker-archive (`buildah push … docker-archive:FILE`) into the node's containerd. */
  importImage(file: string): Promise<void>;
  /** Deletes this node's pods, stops the kubelet and containerd and removes everything; idempotent. */
  stop(): Promise<void>;
}

const KERNEL_SETTINGS = ['vm/overcommit_memory', 'kernel/panic', 'kernel/panic_on_oops'];

function layoutOf(dir: string): NodeLayout {
  return {
    dir,
    containerdRoot: join(dir, 'containerd', 'root'),
    containerdState: join(dir, 'containerd', 'state'),
    containerdSocket: join(dir, 'containerd', 'containerd.sock'),
    runcRoot: join(dir, 'containerd', 'runc'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniBinDir: join(dir, 'cni', 'bin'),
    kubeletRoot: join(dir, 'kubelet'),
    kubeletCertDir: join(dir, 'kubelet-pki'),
    resolvConf: join(dir, 'resolv.conf'),
    logDir: join(dir, 'logs'),
  };
}

/** The network names and bridge names of a CNI config. */
function describeCni(config: Record<string, unknown>): { names: string[]; bridges: string[] } {
  const plugins = Array.isArray(config['plugins'])
    ? (config['plugins'] as Record<string, unknown>[])
    : [config];
  const bridges = plugins
    .filter((p) => p['type'] === 'bridge')
    .map((p) => (typeof p['bridge'] === 'string' ? p['bridge'] : 'cni0'));
  return { names: typeof config['name'] === 'string' ? [config['name']] : [], bridges };
}

function linkExists(name: string): boolean {
  try {
    statSync(`/sys/class/net/${name}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a node for `cp` and resolves once its Node object is Ready. Waits for the machine-wide node lock
 * first; cleans what a crashed earlier node left.
 */
export async function startNode(cp: ControlPlane, options: NodeOptions): Promise<TestNode> {
  const lock = await acquireNodeLock(options.lockTimeoutMs);
  const stale = readNodeRecord();
  if (stale) {
    cleanupNode(stale);
    removeNodeRecord();
  }
  const tag = `${process.pid % 100000}${Math.floor(Math.random() * 100)}`;
  const name = options.name ?? `ipk-node-${tag}`;
  const l = layoutOf(mkdtempSync('/tmp/ipkeeper-k8s-node-'));
  const cni =
    typeof options.cni === 'string' ? (JSON.parse(options.cni) as Record<string, unknown>) : options.cni;
  const { names, bridges } = describeCni(cni);
  const record: NodeRecord = {
    dir: l.dir,
    nodeName: name,
    containerdSocket: l.containerdSocket,
    runcRoot: l.runcRoot,
    links: bridges.filter((b) => !linkExists(b)),
    routes: [],
    iptables: [],
    sysctls: {},
    cniNetworks: names,
    before: Object.fromEntries(SHARED_DIRS.map((d) => [d, listDir(d)])),
    created: CREATED_PATHS.filter((p) => !existsSync(p)),
  };
  const save = (): void => writeNodeRecord(record);
  save();
  const services: Service[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await drainPods(cp, name, join(l.containerdState, 'io.containerd.grpc.v1.cri', 'netns')).catch(
      () => undefined,
    );
    for (const s of services.reverse()) await s.stop(5_000).catch(() => undefined);
    cleanupNode(record);
    removeNodeRecord();
    await lock.release();
  };
  try {
    return await boot(cp, options, { l, tag, name, cni, record, save, services, stop });
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

interface BootContext {
  l: NodeLayout;
  tag: string;
  name: string;
  cni: Record<string, unknown>;
  record: NodeRecord;
  save: () => void;
  services: Service[];
  stop: () => Promise<void>;
}

async function boot(cp: ControlPlane, options: NodeOptions, c: BootContext): Promise<TestNode> {
  const { l, record, save, services } = c;
  const timeoutMs = options.timeoutMs ?? 180_000;
  for (const d of [
    l.containerdRoot,
    l.containerdState,
    l.runcRoot,
    l.cniConfDir,
    l.cniBinDir,
    l.kubeletRoot,
    l.kubeletCertDir,
    l.logDir,
  ])
    mkdirSync(d, { recursive: true });
  writeFileSync(l.resolvConf, 'nameserver 127.0.0.1\n');

  // CNI: Debian's plugins and the caller's, copied (never linked: an install into this directory must not
  // write through into /usr/lib/cni).
  for (const plugin of readdirSync(DEBIAN_CNI_DIR))
    copyFileSync(join(DEBIAN_CNI_DIR, plugin), join(l.cniBinDir, plugin));
  for (const [file, source] of Object.entries(options.cniPlugins ?? {})) {
    copyFileSync(source, join(l.cniBinDir, basename(file)));
    chmodSync(join(l.cniBinDir, basename(file)), 0o755);
  }
  const confFile = Array.isArray(c.cni['plugins']) ? '10-test.conflist' : '10-test.conf';
  writeFileSync(join(l.cniConfDir, confFile), JSON.stringify(c.cni, null, 1));

  setUpNodeNetwork(record, save, {
    tag: c.tag,
    serviceCidr: cp.serviceCidr,
    apiPort: Number(new URL(cp.server).port),
    serviceVip: options.serviceVip !== false,
  });
  for (const key of KERNEL_SETTINGS) record.sysctls[key] = readFileSync(`/proc/sys/${key}`, 'utf8').trim();
  save();

  const containerdConf = join(l.dir, 'containerd', 'config.toml');
  writeFileSync(containerdConf, containerdConfig(l));
  const containerd = spawnService(
    'containerd',
    DEBIAN_BIN.containerd,
    ['--config', containerdConf],
    join(l.logDir, 'containerd.log'),
  );
  services.push(containerd);
  record.containerdPid = containerd.pid;
  save();
  const ctr = async (args: string[]): Promise<string> =>
    (
      await execFileAsync(
        DEBIAN_BIN.ctr,
        ['--address', l.containerdSocket, '--namespace', 'k8s.io', ...args],
        { maxBuffer: 16 << 20 },
      )
    ).stdout;
  await waitUntil(
    'containerd to answer',
    async () => {
      if (!containerd.running())
        throw new Error(`containerd exited (${await containerd.exited}):\n${containerd.logTail()}`);
      return ctr(['version']).then(
        () => true,
        () => false,
      );
    },
    { timeoutMs, detail: () => containerd.logTail() },
  );
  const importImage = async (file: string): Promise<void> => {
    await ctr(['images', 'import', file]);
  };
  for (const file of [IMAGES.pause.file, IMAGES.busybox.file, ...(options.images ?? [])])
    await importImage(file);

  // The kubelet: client certificate as system:node:NAME, a serving certificate for the node IP from the
  // cluster CA (so the API server's logs/exec reach it), ports picked now.
  const client = cp.credentials(`kubelet-${c.name}`, `system:node:${c.name}`, ['system:nodes']);
  const serving = issueCert(cp.ca, l.kubeletCertDir, 'kubelet-serving', {
    cn: c.name,
    usage: 'server',
    ips: [NODE_IP],
    dns: [c.name],
  });
  const kubeletConf = join(l.dir, 'kubelet-config.yaml');
  writeFileSync(
    kubeletConf,
    kubeletConfig(l, {
      nodeIp: NODE_IP,
      ports: { port: await freePort(), healthzPort: await freePort() },
      caCert: cp.ca.cert,
      serving,
      maxPods: options.maxPods ?? 110,
    }),
  );
  const kubelet = spawnService(
    'kubelet',
    K8S_BIN.kubelet,
    [
      `--config=${kubeletConf}`,
      `--kubeconfig=${client.kubeconfig}`,
      `--root-dir=${l.kubeletRoot}`,
      `--cert-dir=${l.kubeletCertDir}`,
      '--container-runtime=remote',
      `--container-runtime-endpoint=unix://${l.containerdSocket}`,
      `--node-ip=${NODE_IP}`,
      `--hostname-override=${c.name}`,
      `--pod-infra-container-image=${IMAGES.pause.ref}`,
      '--v=2',
      ...(options.kubeletArgs ?? []),
    ],
    join(l.logDir, 'kubelet.log'),
    // No cloud metadata service may be asked (nothing leaves this machine).
    { env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } },
  );
  services.push(kubelet);
  record.kubeletPid = kubelet.pid;
  save();
  await waitUntil(
    `node ${c.name} to be Ready`,
    async () => {
      if (!kubelet.running())
        throw new Error(`kubelet exited (${await kubelet.exited}):\n${kubelet.logTail()}`);
      const node = await cp.api.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        `/api/v1/nodes/${c.name}`,
      );
      return node?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
    },
    {
      timeoutMs,
      intervalMs: 500,
      detail: () => `kubelet:\n${kubelet.logTail()}\ncontainerd:\n${containerd.logTail(15)}`,
    },
  );
  await liftNotReadyTaint(cp, c.name);
  // The kubelet sets these once at start (panic on oops, overcommit); put the machine's values back now.
  for (const [key, value] of Object.entries(record.sysctls)) writeFileSync(`/proc/sys/${key}`, value);

  return {
    name: c.name,
    ip: NODE_IP,
    dir: l.dir,
    cniConfDir: l.cniConfDir,
    cniBinDir: l.cniBinDir,
    containerdSocket: l.containerdSocket,
    kubeletRootDir: l.kubeletRoot,
    logs: { containerd: containerd.logFile, kubelet: kubelet.logFile },
    ctr,
    importImage,
    stop: c.stop,
  };
}

/**
 * Removes the `node.kubernetes.io/not-ready` taint admission put on the new Node, so it is schedulable as
 * soon as this returns (the node lifecycle controller would lift it within seconds, or never when a suite
 * turned that controller off for fake nodes).
 */
async function liftNotReadyTaint(cp: ControlPlane, name: string): Promise<void> {
  const node = await cp.api.get<{ spec?: { taints?: { key: string }[] } }>(`/api/v1/nodes/${name}`);
  const taints = node?.spec?.taints ?? [];
  const kept = taints.filter((t) => t.key !== 'node.kubernetes.io/not-ready');
  if (kept.length === taints.length) return;
  await cp.api.must(
    'PATCH',
    `/api/v1/nodes/${name}`,
    { spec: { taints: kept.length > 0 ? kept : null } },
    'application/merge-patch+json',
  );
}

/**
 * Cordons the node, force-deletes its pods and waits (up to 30 s) until the kubelet tore their sandboxes
 * down (CNI DEL included), then deletes the Node object. Best effort: cleanup follows regardless.
 */
async function drainPods(cp: ControlPlane, name: string, netnsDir: string): Promise<void> {
  const node = await cp.api.request('PATCH', `/api/v1/nodes/${name}`, {
    body: { spec: { unschedulable: true } },
    contentType: 'application/merge-patch+json',
    timeoutMs: 5_000,
  });
  if (node.status !== 200) return;
  const pods = await cp.api.get<{ items: { metadata: { namespace: string; name: string } }[] }>(
    `/api/v1/pods?fieldSelector=spec.nodeName%3D${name}`,
  );
  for (const p of pods?.items ?? []) {
    await cp.api.request('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, {
      body: { gracePeriodSeconds: 0 },
    });
  }
  if ((pods?.items.length ?? 0) > 0) {
    await waitUntil("the pods' network namespaces to go", () => listDir(netnsDir).length === 0, {
      timeoutMs: 30_000,
    }).catch(() => undefined);
  }
  await cp.api.request('DELETE', `/api/v1/nodes/${name}`);
}
