/**
 * Shared pieces of the Kubernetes-mode suites: a real ipkeeperd in Kubernetes mode against the real test
 * control plane (test/support/k8s-cluster.ts), with its own credentials and the permissions
 * docs/kubernetes.md lists (so the suites prove that list is enough), restartable on its data dir; and the
 * plugin called the way containerd calls it, with the K8S_POD_* arguments, for cases that need exact
 * control (a pod whose sandbox never runs, a daemon down during a delete).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { E2E } from '../e2e/e2e-support.js';
import { type CniCall, parseCall, pluginFile } from '../cni-e2e/cni-e2e-support.js';
import { execCni } from '../support/cni-exec.js';
import { removeDir, tempDir } from '../support/daemon.js';
import { type ControlPlane, waitUntil } from '../support/k8s-cluster.js';

/** The permissions docs/kubernetes.md documents for ipkeeperd. */
export function ipkeeperRbac(user: string): Record<string, unknown>[] {
  const name = `ipkeeperd-${user}`;
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
        {
          apiGroups: ['apps'],
          resources: ['replicasets', 'deployments', 'statefulsets', 'daemonsets'],
          verbs: ['list', 'watch'],
        },
        { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['list', 'watch'] },
        {
          apiGroups: ['kubevirt.io'],
          resources: ['virtualmachines', 'virtualmachineinstances'],
          verbs: ['list', 'watch'],
        },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  ];
}

export interface KubeDaemonOptions {
  nodeName: string;
  /** CIDR of `ovn-default`. */
  defaultSubnet: string;
  /** Seconds (short in tests). */
  gcGrace?: number;
  gcInterval?: number;
}

/** A real ipkeeperd in Kubernetes mode, restartable on the same data dir and socket. */
export class KubeDaemon {
  private constructor(
    public e: E2E,
    private readonly args: string[],
    readonly dataDir: string,
    readonly socket: string,
  ) {}

  static async start(cp: ControlPlane, o: KubeDaemonOptions): Promise<KubeDaemon> {
    const user = `ipkeeperd-${o.nodeName}`;
    await cp.kubectlOk(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: ipkeeperRbac(user) }),
    );
    const { kubeconfig } = cp.credentials(user, user);
    const dataDir = tempDir('ipk-k8s-mode-');
    const socket = join(dataDir, 'ipkeeper.sock');
    const args = [
      '--kubeconfig',
      kubeconfig,
      '--node-name',
      o.nodeName,
      '--socket',
      socket,
      '--default-subnet',
      o.defaultSubnet,
      '--gc-grace',
      String(o.gcGrace ?? 3),
      '--gc-interval',
      String(o.gcInterval ?? 2),
    ];
    const e = await E2E.start({ dataDir, args });
    const d = new KubeDaemon(e, args, dataDir, socket);
    await d.waitReady();
    return d;
  }

  /** Waits until /readyz answers 200 (the informers are synced). */
  async waitReady(): Promise<void> {
    await waitUntil(
      'ipkeeperd /readyz',
      async () => (await this.e.http('GET', '/readyz', { token: null })).status === 200,
      {
        timeoutMs: 60_000,
        detail: async () => this.e.daemon.stderr().slice(-2000),
      },
    );
  }

  async stop(): Promise<void> {
    await this.e.daemon.stop();
  }

  /** Starts it again on the same data dir, socket and options. */
  async start(): Promise<void> {
    this.e = await E2E.start({ dataDir: this.dataDir, args: this.args });
  }

  /** Stops it and removes its data dir. */
  async close(): Promise<void> {
    await this.e.close();
    removeDir(this.dataDir);
  }
}

/** A pod as containerd names it to the plugin. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** The plugin, exec'd as containerd does for a pod sandbox (CNI_ARGS with K8S_POD_*). */
export async function cniCall(
  socket: string,
  command: 'ADD' | 'DEL',
  pod: PodRef,
  containerId: string,
  network = 'k8s-pod-network',
): Promise<CniCall> {
  const env = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: `/var/run/netns/cni-${containerId}`,
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/usr/lib/cni',
    CNI_ARGS: [
      'IgnoreUnknown=1',
      `K8S_POD_NAMESPACE=${pod.namespace}`,
      `K8S_POD_NAME=${pod.name}`,
      `K8S_POD_INFRA_CONTAINER_ID=${containerId}`,
      `K8S_POD_UID=${pod.uid}`,
    ].join(';'),
  };
  const conf = { cniVersion: '1.0.0', name: network, type: 'bridge', ipam: { type: 'ipkeeper', socket } };
  return parseCall(await execCni(pluginFile(), env, JSON.stringify(conf)));
}

/** An ADD that must succeed; answers the address. */
export async function cniAddOk(socket: string, pod: PodRef, containerId: string): Promise<string> {
  const r = await cniCall(socket, 'ADD', pod, containerId);
  assert.equal(r.code, 0, `ADD ${pod.namespace}/${pod.name}: ${r.stdout}${r.stderr}`);
  return r.json.ips![0]!.address.split('/')[0]!;
}
