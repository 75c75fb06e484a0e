/**
 * A real Kubernetes control plane for tests: Debian's etcd and the kube-apiserver, kube-controller-manager
 * and kube-scheduler built by scripts/k8s/build.sh, all on 127.0.0.1 with ports picked at run time, in a
 * temp dir of their own. Several can run at once (one per suite); each is isolated (own dir, ports, etcd).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKubectl, type KubectlResult } from '../kubectl.js';
import { ApiClient } from './api-client.js';
import { writeKubeconfig } from './kubeconfig.js';
import { DEBIAN_BIN, K8S_BIN } from './paths.js';
import { createCa, createServiceAccountKeys, issueCert, type CertFiles } from './pki.js';
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

/** The first address of an IPv4 CIDR plus one: the `kubernetes` service's cluster IP. */
function firstServiceIp(cidr: string): string {
  const [net] = cidr.split('/');
  const parts = net!.split('.').map(Number);
  parts[3] = parts[3]! + 1;
  return parts.join('.');
}

/** Starts etcd, the API server, then the controller-manager and scheduler; resolves once all are healthy. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  removeStaleDirs();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const services: Service[] = [];
  let apiserver: Service | undefined;
  const stopAll = async (): Promise<void> => {
    await apiserver?.stop(2_000);
    for (const s of services.reverse()) await s.stop();
    if (process.env['IPKEEPER_K8S_KEEP'] !== '1') rmSync(dir, { recursive: true, force: true });
  };
  try {
    return await boot(dir, options, services, (s) => (apiserver = s), stopAll);
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

async function boot(
  dir: string,
  options: ControlPlaneOptions,
  services: Service[],
  setApiServer: (s: Service | undefined) => void,
  stopAll: () => Promise<void>,
): Promise<ControlPlane> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const serviceCidr = options.serviceCidr ?? DEFAULT_SERVICE_CIDR;
  const pki = join(dir, 'pki');
  mkdirSync(pki);
  const [etcdPort, peerPort, apiPort, kcmPort, schedPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const server = `https://127.0.0.1:${apiPort}`;
  const logs = {
    etcd: join(dir, 'etcd.log'),
    apiserver: join(dir, 'kube-apiserver.log'),
    controllerManager: join(dir, 'kube-controller-manager.log'),
    scheduler: join(dir, 'kube-scheduler.log'),
  };

  const ca = createCa(pki, 'ca');
  const frontProxyCa = createCa(pki, 'front-proxy-ca');
  const sa = createServiceAccountKeys(pki);
  const serving = issueCert(ca, pki, 'apiserver', {
    cn: 'kube-apiserver',
    usage: 'server',
    ips: ['127.0.0.1', firstServiceIp(serviceCidr)],
    dns: [
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ],
  });
  const kubeletClient = issueCert(ca, pki, 'apiserver-kubelet-client', {
    cn: 'kube-apiserver-kubelet-client',
    groups: ['system:masters'],
  });
  const frontProxyClient = issueCert(frontProxyCa, pki, 'front-proxy-client', { cn: 'front-proxy-client' });
  const credentials = (
    name: string,
    user: string,
    groups: string[] = [],
  ): { cert: CertFiles; kubeconfig: string } => {
    const cert = issueCert(ca, pki, name, { cn: user, groups });
    return {
      cert,
      kubeconfig: writeKubeconfig(join(dir, `${name}.kubeconfig`), {
        server,
        caCert: ca.cert,
        client: cert,
        user,
      }),
    };
  };
  const admin = credentials('admin', 'admin', ['system:masters']);
  const api = new ApiClient(server, ca.cert, admin.cert);

  // etcd: one member, plain HTTP on loopback (only this cluster's API server talks to it).
  const etcd = spawnService(
    'etcd',
    DEBIAN_BIN.etcd,
    [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--initial-cluster-state=new',
    ],
    logs.etcd,
  );
  services.push(etcd);
  await waitUntil('etcd /health', async () => (await probe(`http://127.0.0.1:${etcdPort}/health`)) === 200, {
    timeoutMs,
    detail: () => etcd.logTail(),
  });

  const apiArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    '--insecure-port=0',
    '--advertise-address=127.0.0.1',
    // The `kubernetes` Endpoints would name 127.0.0.1, which validation refuses: keep no endpoints.
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${serving.cert}`,
    `--tls-private-key-file=${serving.key}`,
    `--client-ca-file=${ca.cert}`,
    `--service-cluster-ip-range=${serviceCidr}`,
    `--service-account-key-file=${sa.publicKey}`,
    `--service-account-signing-key-file=${sa.privateKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    `--kubelet-client-certificate=${kubeletClient.cert}`,
    `--kubelet-client-key=${kubeletClient.key}`,
    '--kubelet-preferred-address-types=InternalIP',
    // Aggregation (APIService objects): the front proxy's CA and client; endpoints routed to directly
    // because there is no kube-proxy.
    `--requestheader-client-ca-file=${frontProxyCa.cert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${frontProxyClient.cert}`,
    `--proxy-client-key-file=${frontProxyClient.key}`,
    '--enable-aggregator-routing=true',
    '--profiling=false',
    ...(options.apiServerArgs ?? []),
  ];
  const adminTls = {
    ca: readFileSync(ca.cert),
    cert: readFileSync(admin.cert.cert),
    key: readFileSync(admin.cert.key),
  };
  let apiserver: Service | undefined;
  const startApiServer = async (): Promise<void> => {
    if (apiserver?.running()) return;
    const s = spawnService('kube-apiserver', K8S_BIN.apiserver, apiArgs, logs.apiserver);
    apiserver = s;
    setApiServer(s);
    await waitUntil(
      'kube-apiserver /readyz',
      async () => {
        if (!s.running()) throw new Error(`kube-apiserver exited (${await s.exited}):\n${s.logTail()}`);
        return (await probe(`${server}/readyz`, adminTls)) === 200;
      },
      { timeoutMs, detail: () => s.logTail() },
    );
  };
  // SIGTERM, then SIGKILL after 2 s: on SIGTERM the 1.20 server waits up to a minute for open watches (the
  // controller-manager's, the kubelet's) to end before it exits.
  const stopApiServer = async (): Promise<void> => {
    await apiserver?.stop(2_000);
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
    const kcm = credentials('controller-manager', 'system:kube-controller-manager');
    const s = spawnService(
      'kube-controller-manager',
      K8S_BIN.controllerManager,
      [
        `--kubeconfig=${kcm.kubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        '--port=0',
        '--leader-elect=false',
        '--use-service-account-credentials=false',
        `--service-account-private-key-file=${sa.privateKey}`,
        `--root-ca-file=${ca.cert}`,
        `--cluster-signing-cert-file=${ca.cert}`,
        `--cluster-signing-key-file=${ca.key}`,
        `--controllers=${(options.controllers ?? ['*']).join(',')}`,
        `--kube-api-qps=${options.controllerManagerQps ?? 20}`,
        `--kube-api-burst=${options.controllerManagerBurst ?? 30}`,
        '--profiling=false',
        ...(options.controllerManagerArgs ?? []),
      ],
      logs.controllerManager,
    );
    services.push(s);
    await waitUntil(
      'kube-controller-manager /healthz',
      async () => (await probe(`https://127.0.0.1:${kcmPort}/healthz`)) === 200,
      {
        timeoutMs,
        detail: () => s.logTail(),
      },
    );
    // Pods of the default namespace are refused until its service account has a token.
    await waitForServiceAccountToken(api, 'default', timeoutMs);
  }

  if (options.scheduler !== false) {
    const sched = credentials('scheduler', 'system:kube-scheduler');
    const s = spawnService(
      'kube-scheduler',
      K8S_BIN.scheduler,
      [
        `--kubeconfig=${sched.kubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${schedPort}`,
        '--port=0',
        '--leader-elect=false',
        `--kube-api-qps=${options.schedulerQps ?? 50}`,
        `--kube-api-burst=${options.schedulerBurst ?? 100}`,
        '--profiling=false',
        ...(options.schedulerArgs ?? []),
      ],
      logs.scheduler,
    );
    services.push(s);
    await waitUntil(
      'kube-scheduler /healthz',
      async () => (await probe(`https://127.0.0.1:${schedPort}/healthz`)) === 200,
      {
        timeoutMs,
        detail: () => s.logTail(),
      },
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
    ca,
    api,
    logs,
    kubectl,
    kubectlOk: async (args, input) => {
      const r = await kubectl(args, input === undefined ? {} : { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
      return r.stdout;
    },
    credentials,
    stopApiServer,
    startApiServer,
    restartApiServer: async () => {
      await stopApiServer();
      await startApiServer();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopAll();
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
