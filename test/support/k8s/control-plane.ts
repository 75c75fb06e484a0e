/**
 * A real Kubernetes control plane for tests: Debian's etcd and the kube-apiserver, kube-controller-manager
 * and kube-scheduler built by scripts/k8s/build.sh, all on 127.0.0.1 with ports picked at run time, in a
 * temp dir of their own. Several can run at once (one per suite); each is isolated (own dir, ports, etcd).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKubectl, type KubectlResult } from '../kubectl.js';
import { ApiClient } from './api-client.js';
import {
  apiServerArgs,
  componentArgs,
  controllerManagerArgs,
  etcdArgs,
  type ControlPlanePorts,
} from './control-plane-args.js';
import { createControlPlanePki } from './control-plane-pki.js';
import { DEBIAN_BIN, K8S_BIN } from './paths.js';
import type { CertFiles } from './pki.js';
import { probe } from './probes.js';
import { freePort, spawnService, waitUntil, type Service } from './processes.js';

export interface ControlPlaneOptions {
  /**
   * The service CIDR (default 198.19.0.0/24, in the benchmarking range no network here uses). Nothing
   * implements services (no kube-proxy); startNode blackholes it so no packet to it leaves the machine.
   */
  serviceCidr?: string;
  /** kube-controller-manager `--kube-api-qps`/`--kube-api-burst` (defaults 20/30: ~50 s for 1,000 pods). */
  controllerManagerQps?: number;
  controllerManagerBurst?: number;
  /** kube-scheduler `--kube-api-qps`/`--kube-api-burst` (defaults 50/100). */
  schedulerQps?: number;
  schedulerBurst?: number;
  /**
   * kube-controller-manager `--controllers` (default all). Fake Node objects without a kubelet need
   * `['*', '-nodelifecycle']`, or they turn NotReady and get tainted after 40 s.
   */
  controllers?: string[];
  /** Start kube-controller-manager / kube-scheduler (default both true). */
  controllerManager?: boolean;
  scheduler?: boolean;
  /** Extra flags per component. */
  apiServerArgs?: string[];
  controllerManagerArgs?: string[];
  schedulerArgs?: string[];
  /** Start-up timeout per component (default 120 s). */
  timeoutMs?: number;
}

export interface ControlPlane {
  /** The temp dir holding certificates, etcd data and the logs (`*.log`). */
  readonly dir: string;
  /** `https://127.0.0.1:PORT`. */
  readonly server: string;
  /** The admin's kubeconfig (user `admin`, group system:masters). */
  readonly kubeconfig: string;
  readonly serviceCidr: string;
  /** The cluster CA (signs every certificate; the kubelet trusts it for client certificates). */
  readonly ca: CertFiles;
  /** A client for polling, authenticated as the admin. */
  readonly api: ApiClient;
  /** The log file of each component. */
  readonly logs: Record<'etcd' | 'apiserver' | 'controllerManager' | 'scheduler', string>;
  /** The real kubectl (/usr/bin/kubectl) as the admin. Never rejects: a failure is a non-zero code. */
  kubectl(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** kubectl that must succeed; returns stdout (throws with stderr otherwise). */
  kubectlOk(args: string[], input?: string): Promise<string>;
  /** A client certificate of this cluster's CA for `user` in `groups`, and a kubeconfig using it. */
  credentials(name: string, user: string, groups?: string[]): { cert: CertFiles; kubeconfig: string };
  /**
   * Stops only the API server (etcd and the rest keep running): SIGTERM, SIGKILL after 2 s (the 1.20 server
   * otherwise waits up to a minute for open watches to end).
   */
  stopApiServer(): Promise<void>;
  /** Starts the API server again on the same port and data; resolves once /readyz answers 200. */
  startApiServer(): Promise<void>;
  /** stopApiServer() then startApiServer(). */
  restartApiServer(): Promise<void>;
  /** Stops everything and removes the dir (kept when IPKEEPER_K8S_KEEP=1, for reading the logs). */
  stop(): Promise<void>;
}

const DEFAULT_SERVICE_CIDR = '198.19.0.0/24';
const DIR_PREFIX = 'ipkeeper-k8s-cp-';

/**
 * Removes the dirs of control planes whose test process died without stop() (its servers died with it:
 * parent-death signal), so crashed runs do not pile etcd data up in /tmp.
 */
function removeStaleDirs(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue;
    }
    try {
      process.kill(owner, 0);
    } catch {
      if (process.env['IPKEEPER_K8S_KEEP'] !== '1') rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** The running servers of one control plane, stopped in reverse order (the API server first). */
class Servers {
  private readonly list: Service[] = [];
  apiserver: Service | undefined;

  constructor(
    private readonly dir: string,
    private readonly timeoutMs: number,
  ) {}

  /** Starts a server and resolves once `healthUrl` answers 200; fails at once if it exits. */
  async start(
    name: string,
    command: string,
    args: string[],
    healthUrl: string,
    tls: Parameters<typeof probe>[1] = {},
  ): Promise<Service> {
    const s = spawnService(name, command, args, join(this.dir, `${name}.log`));
    if (name === 'kube-apiserver') this.apiserver = s;
    else this.list.push(s);
    await waitUntil(
      `${name} ${new URL(healthUrl).pathname}`,
      async () => {
        if (!s.running()) throw new Error(`${name} exited (${await s.exited}):\n${s.logTail()}`);
        return (await probe(healthUrl, tls)) === 200;
      },
      { timeoutMs: this.timeoutMs, detail: () => s.logTail() },
    );
    return s;
  }

  /**
   * SIGTERM, then SIGKILL after 2 s: on SIGTERM the 1.20 API server waits up to a minute for open watches
   * (the controller-manager's, the kubelet's) to end before it exits.
   */
  async stopApiServer(): Promise<void> {
    await this.apiserver?.stop(2_000);
  }

  async stopAll(): Promise<void> {
    await this.stopApiServer();
    for (const s of this.list.reverse()) await s.stop();
    if (process.env['IPKEEPER_K8S_KEEP'] !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts etcd, the API server, then the controller-manager and scheduler; resolves once all are healthy. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  removeStaleDirs();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const servers = new Servers(dir, options.timeoutMs ?? 120_000);
  try {
    return await boot(dir, options, servers);
  } catch (err) {
    await servers.stopAll().catch(() => undefined);
    throw err;
  }
}

async function boot(dir: string, options: ControlPlaneOptions, servers: Servers): Promise<ControlPlane> {
  const serviceCidr = options.serviceCidr ?? DEFAULT_SERVICE_CIDR;
  const ports: ControlPlanePorts = {
    etcd: await freePort(),
    etcdPeer: await freePort(),
    apiserver: await freePort(),
    controllerManager: await freePort(),
    scheduler: await freePort(),
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const pki = createControlPlanePki(dir, server, serviceCidr);
  const admin = pki.credentials('admin', 'admin', ['system:masters']);
  const api = new ApiClient(server, pki.ca.cert, admin.cert);
  const adminTls = {
    ca: readFileSync(pki.ca.cert),
    cert: readFileSync(admin.cert.cert),
    key: readFileSync(admin.cert.key),
  };

  await servers.start('etcd', DEBIAN_BIN.etcd, etcdArgs(dir, ports), `http://127.0.0.1:${ports.etcd}/health`);
  const apiArgs = [...apiServerArgs(pki, ports, serviceCidr), ...(options.apiServerArgs ?? [])];
  const startApiServer = async (): Promise<void> => {
    if (servers.apiserver?.running()) return;
    await servers.start('kube-apiserver', K8S_BIN.apiserver, apiArgs, `${server}/readyz`, adminTls);
  };
  await startApiServer();

  if (options.controllerManager !== false) {
    // With --use-service-account-credentials=false every controller acts as this one user, and its default
    // role lacks what the deployment/replicaset controllers need: bind it to cluster-admin.
    await api.must('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'ipkeeper-test:kube-controller-manager' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:kube-controller-manager' },
      ],
    });
    const { kubeconfig } = pki.credentials('controller-manager', 'system:kube-controller-manager');
    await servers.start(
      'kube-controller-manager',
      K8S_BIN.controllerManager,
      [
        ...componentArgs(
          kubeconfig,
          ports.controllerManager,
          options.controllerManagerQps ?? 20,
          options.controllerManagerBurst ?? 30,
        ),
        ...controllerManagerArgs(pki, options.controllers ?? ['*']),
        ...(options.controllerManagerArgs ?? []),
      ],
      `https://127.0.0.1:${ports.controllerManager}/healthz`,
    );
    // Pods of the default namespace are refused until its service account has a token.
    await waitForServiceAccountToken(api, 'default', options.timeoutMs);
  }
  if (options.scheduler !== false) {
    const { kubeconfig } = pki.credentials('scheduler', 'system:kube-scheduler');
    await servers.start(
      'kube-scheduler',
      K8S_BIN.scheduler,
      [
        ...componentArgs(
          kubeconfig,
          ports.scheduler,
          options.schedulerQps ?? 50,
          options.schedulerBurst ?? 100,
        ),
        ...(options.schedulerArgs ?? []),
      ],
      `https://127.0.0.1:${ports.scheduler}/healthz`,
    );
  }

  const kubectl = (args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> =>
    runKubectl(args, { kubeconfig: admin.kubeconfig, ...o });
  let stopped = false;
  return {
    dir,
    server,
    kubeconfig: admin.kubeconfig,
    serviceCidr,
    ca: pki.ca,
    api,
    logs: {
      etcd: join(dir, 'etcd.log'),
      apiserver: join(dir, 'kube-apiserver.log'),
      controllerManager: join(dir, 'kube-controller-manager.log'),
      scheduler: join(dir, 'kube-scheduler.log'),
    },
    kubectl,
    kubectlOk: async (args, input) => {
      const r = await kubectl(args, input === undefined ? {} : { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
      return r.stdout;
    },
    credentials: pki.credentials,
    stopApiServer: () => servers.stopApiServer(),
    startApiServer,
    restartApiServer: async () => {
      await servers.stopApiServer();
      await startApiServer();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await servers.stopAll();
    },
  };
}

/** Waits until `namespace`'s `default` service account has its token secret (pods need it). */
export async function waitForServiceAccountToken(
  api: ApiClient,
  namespace: string,
  timeoutMs = 120_000,
): Promise<void> {
  await waitUntil(
    `the token of service account ${namespace}/default`,
    async () => {
      const sa = await api.get<{ secrets?: unknown[] }>(
        `/api/v1/namespaces/${namespace}/serviceaccounts/default`,
      );
      return (sa?.secrets?.length ?? 0) > 0;
    },
    { timeoutMs },
  );
}
