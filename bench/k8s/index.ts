/**
 * Kubernetes-mode benchmark: 1,000 pods in 100 Deployments of 10, created by the real controller-manager and
 * bound by the real scheduler to 10 Node objects this benchmark creates (no kubelet runs them: one real
 * kubelet here cannot run 1,000 pods). The benchmark plays the container runtime of every node: as soon as
 * its watch sees a pod bound it execs `bin/ipkeeper` ADD with the K8S_POD_* arguments containerd passes,
 * 16 at a time, against a real ipkeeperd in Kubernetes mode (SQLite with fsync, pod facts from its
 * informers, result annotations written on every pod). Then it deletes the Deployments and, for every pod
 * that turns Terminating, execs DEL and removes the pod object, as the kubelet would.
 *
 * Figures (the last stdout line is one JSON object): latency from a pod's binding (as the watch saw it) to
 * its address, p50/p99; the wall time of all ADDs (first binding to last address) and of all DELs (first
 * deletion seen to last DEL); the control plane's own time to create and bind the pods; the daemon's RSS
 * after the ADDs and after the DELs, and its memory by kind (resident anonymous and file pages, V8's heap
 * by space, external) before, after the ADDs, after the DELs and after a quiet spell. The CPU and latency
 * figures are the first round's.
 *
 * Run: `npm run bench -- k8s [--deployments 100] [--replicas 10] [--parallel 16]` and, to study memory,
 * `--rounds N` (N rounds of ADDs then DELs, each with new Deployments: a leak grows round after round, a
 * high-water mark does not), `--settle-seconds S` (the quiet spell, default 20), `--heap-snapshots DIR`
 * (the daemon writes a V8 heap snapshot there before the first round and after each round's ADDs and
 * DELs; they inflate its RSS, so memory figures of such a run are not comparable) and
 * `--daemon-node-args=FLAGS` (Node/V8 flags added to bin/ipkeeperd's, to measure their effect).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { KubeHttp } from '../../src/k8s/http.js';
import { Informer } from '../../src/k8s/informer.js';
import { loadKubeConfig } from '../../src/k8s/kubernetes-mode.js';
import { type RawPod } from '../../src/k8s/objects.js';
import { execCni } from '../../test/support/cni-exec.js';
import { runKubectl } from '../../test/support/kubectl.js';
import {
  DAEMON,
  REPO,
  removeDir,
  startDaemon,
  tempDir,
  type RunningDaemon,
} from '../../test/support/daemon.js';
import {
  type ControlPlane,
  createFakeNodes,
  createNamespace,
  deploymentManifest,
  k8sPrerequisites,
  startControlPlane,
  waitUntil,
} from '../../test/support/k8s-cluster.js';
import { quantile } from '../cni/index.js';
import { type DaemonMemory, daemonMemory, daemonMetric, statusMb } from './memory.js';

const SUBNET = '10.100.0.0/16';
const NS = 'bench';

export interface K8sBenchFigures {
  pods: number;
  deployments: number;
  nodes: number;
  parallel: number;
  /** Binding seen → ADD answered with the address. */
  add_p50_ms: number;
  add_p99_ms: number;
  /** First binding seen → last address. */
  adds_wall_s: number;
  /** Deployments created → last pod bound (the control plane's share). */
  control_plane_bind_s: number;
  /** Deployments deleted → first pod Terminating seen (the control plane's share). */
  control_plane_delete_s: number;
  /** First Terminating pod seen → last DEL answered. */
  dels_wall_s: number;
  del_p50_ms: number;
  del_p99_ms: number;
  /** ADDs answered code 11 (daemon's cache behind and the live GET raced) and retried, as the kubelet does. */
  add_retries: number;
  daemon_rss_after_adds_mb: number;
  daemon_rss_after_dels_mb: number;
  daemon_peak_rss_mb: number;
  /** The daemon's memory by kind once its informers synced, before any pod. */
  daemon_memory_before_mb: DaemonMemory;
  /** The same, one entry per round (`--rounds`): after its ADDs, after its DELs, and after a quiet spell
   * (`--settle-seconds`) following the DELs. */
  daemon_memory_after_adds_mb: DaemonMemory[];
  daemon_memory_after_dels_mb: DaemonMemory[];
  daemon_memory_settled_mb: DaemonMemory[];
  /** CPU seconds each part used from the Deployments' creation to the last address (2 cores here). */
  adds_cpu_s: Record<string, number>;
  dels_cpu_s: Record<string, number>;
  /** The daemon's CPU per ADD (facts from its cache, allocation, SQLite commit, the pod's annotations). */
  daemon_cpu_ms_per_add: number;
  /** One `bin/ipkeeper` process: Node start-up, the call, exit. */
  plugin_cpu_ms_per_call: number;
  /** ipkeeper's share of the ADDs: daemon plus plugin CPU seconds (divide by the cores for a floor). */
  ipkeeper_add_cpu_s: number;
  cores: number;
}

/** A work queue of pods for 16 runtime workers. */
class Runtime {
  private readonly queue: { pod: RawPod; seenAt: number }[] = [];
  private readonly idle: (() => void)[] = [];
  readonly latencies: number[] = [];
  retries = 0;
  lastDone = 0;

  constructor(
    private readonly plugin: string,
    private readonly socket: string,
    private readonly command: 'ADD' | 'DEL',
    private readonly after: (pod: RawPod) => Promise<void> = async () => undefined,
  ) {}

  push(pod: RawPod): void {
    this.queue.push({ pod, seenAt: performance.now() });
    this.idle.shift()?.();
  }

  /** Runs until `total` pods are done. */
  async run(total: number, parallel: number): Promise<void> {
    const worker = async (): Promise<void> => {
      while (this.latencies.length < total) {
        const job = this.queue.shift();
        if (!job) {
          await new Promise<void>((ok) => this.idle.push(ok));
          continue;
        }
        await this.call(job.pod);
        this.latencies.push(performance.now() - job.seenAt);
        this.lastDone = performance.now();
        await this.after(job.pod);
      }
      for (const wake of this.idle.splice(0)) wake();
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  private async call(pod: RawPod): Promise<void> {
    const m = pod.metadata;
    const env = {
      CNI_COMMAND: this.command,
      // containerd names sandboxes by a 64-hex ID; one per pod here.
      CNI_CONTAINERID: sandboxId(m.uid ?? ''),
      CNI_NETNS: `/var/run/netns/cni-${m.uid}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/usr/lib/cni',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${m.namespace};K8S_POD_NAME=${m.name};K8S_POD_INFRA_CONTAINER_ID=${sandboxId(m.uid ?? '')};K8S_POD_UID=${m.uid}`,
    };
    const conf = JSON.stringify({
      cniVersion: '1.0.0',
      name: 'bench',
      type: 'bridge',
      ipam: { type: 'ipkeeper', socket: this.socket },
    });
    for (let attempt = 0; ; attempt++) {
      const r = await execCni(this.plugin, env, conf);
      if (r.code === 0) return;
      const code = (JSON.parse(r.stdout || '{}') as { code?: number }).code;
      if (code !== 11 || attempt >= 20) throw new Error(`${this.command} ${m.name}: ${r.stdout}${r.stderr}`);
      this.retries++;
      await new Promise((ok) => setTimeout(ok, 200));
    }
  }
}

const sandboxes = new Map<string, string>();
function sandboxId(uid: string): string {
  let id = sandboxes.get(uid);
  if (!id) sandboxes.set(uid, (id = randomBytes(32).toString('hex')));
  return id;
}

/** One round of ADDs then DELs of every pod, and when each phase began and ended. */
interface Round {
  adds: Runtime;
  dels: Runtime;
  added: Set<string>;
  deleting: Set<string>;
  created: number;
  firstBound: number;
  lastBound: number;
  deleted: number;
  firstTerminating: number;
  cpuBefore: Record<string, number>;
  cpuAfterAdds: Record<string, number>;
  cpuAfterDels: Record<string, number>;
}

function newRound(plugin: string, socket: string, http: KubeHttp): Round {
  return {
    adds: new Runtime(plugin, socket, 'ADD'),
    dels: new Runtime(plugin, socket, 'DEL', async (pod) => {
      // The kubelet confirms the deletion once the sandbox is gone.
      await http.request({
        method: 'DELETE',
        path: `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}`,
        body: { gracePeriodSeconds: 0 },
      });
    }),
    added: new Set(),
    deleting: new Set(),
    created: 0,
    firstBound: 0,
    lastBound: 0,
    deleted: 0,
    firstTerminating: 0,
    cpuBefore: {},
    cpuAfterAdds: {},
    cpuAfterDels: {},
  };
}

/** CPU seconds (user + system) a process has used, and the same for the waited-for children. */
function cpuSeconds(pid: number): { self: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // Fields 14–17 of /proc/PID/stat (utime, stime, cutime, cstime), in clock ticks of 1/100 s.
  return { self: (f[11]! + f[12]!) / 100, children: (f[13]! + f[14]!) / 100 };
}

/** Processes this benchmark started, by command name (the control plane runs as our children). */
function childrenByName(): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.set(comm, Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

function cpuDelta(from: Record<string, number>, to: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(to).map((k) => [k, round(to[k]! - (from[k] ?? 0))]));
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<K8sBenchFigures> {
  const { values } = parseArgs({
    args: argv,
    options: {
      deployments: { type: 'string' },
      replicas: { type: 'string' },
      parallel: { type: 'string' },
      rounds: { type: 'string' },
      'settle-seconds': { type: 'string' },
      'heap-snapshots': { type: 'string' },
      'daemon-node-args': { type: 'string' },
    },
  });
  const deployments = Number(values.deployments ?? 100);
  const replicas = Number(values.replicas ?? 10);
  const parallel = Number(values.parallel ?? 16);
  const roundCount = Number(values.rounds ?? 1);
  const settleMs = Number(values['settle-seconds'] ?? 20) * 1000;
  const total = deployments * replicas;
  const nodes = 10;
  const missing = k8sPrerequisites();
  if (missing) throw new Error(`bench/k8s needs the test cluster: ${missing}`);
  if (!existsSync(DAEMON)) throw new Error(`${DAEMON} missing: npm run build`);
  const plugin = realpathSync(join(REPO, 'bin', 'ipkeeper'));
  const dir = tempDir('ipk-bench-k8s-');
  let cp: ControlPlane | undefined;
  let daemon: RunningDaemon | undefined;
  let informer: Informer<RawPod> | undefined;
  let http: KubeHttp | undefined;
  try {
    // The controller-manager's default 20 requests/s alone would take 50 s for 1,000 pods; fake nodes have
    // no kubelet to heartbeat, so the node lifecycle controller (which would taint them NotReady) is off.
    cp = await startControlPlane({
      controllers: ['*', '-nodelifecycle'],
      controllerManagerQps: 500,
      controllerManagerBurst: 1000,
      schedulerQps: 500,
      schedulerBurst: 1000,
    });
    await createFakeNodes(
      cp,
      Array.from({ length: nodes }, (_, i) => `bench-node-${i}`),
      { pods: 200 },
    );
    await createNamespace(cp, NS);
    const snapshots = values['heap-snapshots'];
    daemon = await startDaemon({
      dataDir: join(dir, 'ipkeeperd'),
      // --heap-snapshots DIR: the daemon writes a V8 heap snapshot there after each round's ADDs and DELs.
      // --daemon-node-args=FLAGS (space-separated): Node/V8 flags added to bin/ipkeeperd's, to measure them.
      nodeArgs: [
        ...(values['daemon-node-args']?.split(' ').filter(Boolean) ?? []),
        ...(snapshots !== undefined
          ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshots}`]
          : []),
      ],
      args: [
        '--kubeconfig',
        cp.kubeconfig,
        '--socket',
        join(dir, 'ipkeeper.sock'),
        '--default-subnet',
        SUBNET,
        '--node-name',
        'bench',
        '--log-level',
        'warn',
      ],
    });
    const d = daemon;
    await waitUntil(
      'ipkeeperd /readyz (its informers synced)',
      async () => (await runKubectl(['get', '--raw', '/readyz'], { kubeconfig: d.kubeconfig })).code === 0,
      { timeoutMs: 60_000 },
    );
    http = new KubeHttp(loadKubeConfig({ kind: 'kubeconfig', path: cp.kubeconfig }), 10_000);
    informer = new Informer<RawPod>({ name: 'bench-pods', path: `/api/v1/namespaces/${NS}/pods`, http });
    const rounds: Round[] = [];
    informer.on((type, pod) => {
      const r = rounds.at(-1);
      if (type === 'delete' || !r) return;
      const uid = pod.metadata.uid ?? '';
      if (pod.metadata.deletionTimestamp) {
        if (!r.deleting.has(uid) && r.added.has(uid)) {
          r.deleting.add(uid);
          r.firstTerminating ||= performance.now();
          r.dels.push(pod);
        }
        return;
      }
      if (pod.spec?.nodeName && !r.added.has(uid)) {
        r.added.add(uid);
        r.firstBound ||= performance.now();
        r.lastBound = performance.now();
        r.adds.push(pod);
      }
    });
    informer.start();
    await informer.whenSynced();

    const procs = childrenByName();
    const watched: Record<string, number | undefined> = {
      daemon: d.pid,
      apiserver: procs.get('kube-apiserver'),
      controller_manager: procs.get('kube-controller'),
      scheduler: procs.get('kube-scheduler'),
      etcd: procs.get('etcd'),
    };
    const cpuNow = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [k, pid] of Object.entries(watched)) if (pid) out[k] = cpuSeconds(pid).self;
      const me = cpuSeconds(process.pid);
      out['bench'] = me.self;
      // The plugin processes are this process's waited-for children (the control plane has not exited).
      out['plugins'] = me.children;
      return out;
    };
    const snapshot = (label: string): void => {
      if (values['heap-snapshots'] === undefined) return;
      log(`heap snapshot of the daemon ${label}`);
      process.kill(d.pid, 'SIGUSR2');
    };
    const memoryBefore = await daemonMemory(d);
    snapshot('before the first round');
    const memoryAfterAdds: DaemonMemory[] = [];
    const memoryAfterDels: DaemonMemory[] = [];
    const memorySettled: DaemonMemory[] = [];
    for (let n = 0; n < roundCount; n++) {
      const r = newRound(plugin, d.socket, http);
      rounds.push(r);
      r.cpuBefore = cpuNow();
      r.created = performance.now();
      // Each round its own Deployments (and so pod names), as a cluster's pods come and go.
      const items = Array.from({ length: deployments }, (_, i) =>
        deploymentManifest(n === 0 ? `web-${i}` : `web-${n}-${i}`, NS, replicas),
      );
      await cp.kubectlOk(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
      log(
        `round ${n + 1}: created ${deployments} Deployments of ${replicas}; waiting for ${total} bindings and ADDs`,
      );
      await r.adds.run(total, parallel);
      r.cpuAfterAdds = cpuNow();
      memoryAfterAdds.push(await daemonMemory(d));
      snapshot(`after the ADDs of round ${n + 1}`);
      log(`CPU seconds during the ADDs: ${JSON.stringify(cpuDelta(r.cpuBefore, r.cpuAfterAdds))}`);
      r.deleted = performance.now();
      await cp.kubectlOk(['delete', 'deployments', '--all', '-n', NS, '--wait=false']);
      await r.dels.run(total, parallel);
      r.cpuAfterDels = cpuNow();
      memoryAfterDels.push(await daemonMemory(d));
      const leases = await daemonMetric(d, 'ipkeeper_leases');
      if (leases !== 0) throw new Error(`after every DEL the daemon still holds ${leases} leases`);
      // A quiet spell: what the daemon gives back once nothing happens (V8's memory reducer, malloc trim).
      await new Promise((ok) => setTimeout(ok, settleMs));
      memorySettled.push(await daemonMemory(d));
      snapshot(`after the DELs of round ${n + 1}`);
      log(
        `round ${n + 1}: daemon memory after ADDs ${JSON.stringify(memoryAfterAdds.at(-1))}, after DELs ${JSON.stringify(memoryAfterDels.at(-1))}, ${settleMs / 1000} s later ${JSON.stringify(memorySettled.at(-1))}`,
      );
    }
    const first = rounds[0]!;
    const addsCpu = cpuDelta(first.cpuBefore, first.cpuAfterAdds);
    const delsCpu = cpuDelta(first.cpuAfterAdds, first.cpuAfterDels);
    const figures: K8sBenchFigures = {
      pods: total,
      deployments,
      nodes,
      parallel,
      add_p50_ms: Math.round(quantile(first.adds.latencies, 0.5)),
      add_p99_ms: Math.round(quantile(first.adds.latencies, 0.99)),
      adds_wall_s: round((first.adds.lastDone - first.firstBound) / 1000),
      control_plane_bind_s: round((first.lastBound - first.created) / 1000),
      control_plane_delete_s: round((first.firstTerminating - first.deleted) / 1000),
      dels_wall_s: round((first.dels.lastDone - first.firstTerminating) / 1000),
      del_p50_ms: Math.round(quantile(first.dels.latencies, 0.5)),
      del_p99_ms: Math.round(quantile(first.dels.latencies, 0.99)),
      add_retries: first.adds.retries,
      daemon_rss_after_adds_mb: memoryAfterAdds[0]!.rss,
      daemon_rss_after_dels_mb: memoryAfterDels[0]!.rss,
      daemon_peak_rss_mb: statusMb(d.pid, 'VmHWM'),
      daemon_memory_before_mb: memoryBefore,
      daemon_memory_after_adds_mb: memoryAfterAdds,
      daemon_memory_after_dels_mb: memoryAfterDels,
      daemon_memory_settled_mb: memorySettled,
      adds_cpu_s: addsCpu,
      dels_cpu_s: delsCpu,
      daemon_cpu_ms_per_add: round((addsCpu['daemon']! * 1000) / total),
      plugin_cpu_ms_per_call: round((addsCpu['plugins']! * 1000) / total),
      ipkeeper_add_cpu_s: round(addsCpu['daemon']! + addsCpu['plugins']!),
      cores: availableParallelism(),
    };
    log(
      `DELs: ${total} in ${figures.dels_wall_s} s; daemon RSS ${figures.daemon_rss_after_adds_mb} MB after ADDs`,
    );
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return figures;
  } finally {
    await informer?.stop();
    http?.close();
    await daemon?.stop();
    await cp?.stop();
    removeDir(dir);
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function log(line: string): void {
  process.stderr.write(`bench/k8s: ${line}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
