import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import type { CniService } from '../cni/cni-service.js';
import { type IpamService } from '../service/service.js';
import { leaseKeyOf } from '../service/cni-ops.js';
import { ClusterCache } from './cluster-cache.js';
import { EventRecorder } from './events.js';
import { KubeHttp } from './http.js';
import { type K8sLog } from './informer.js';
import { KubeCni } from './kube-cni.js';
import { LeaseElector } from './lease-elector.js';
import { PodGc } from './pod-gc.js';
import { PodSource } from './pod-source.js';

/** Where the cluster's credentials come from. */
export type ClusterSource = { kind: 'kubeconfig'; path: string } | { kind: 'in-cluster' };

export interface KubernetesModeOptions {
  service: IpamService;
  source: ClusterSource;
  nodeName: string;
  /** Deadline of each API request (default 5 s); a missed one is CNI code 11. */
  requestTimeoutMs?: number;
  /** GC-3: an orphan is released after this long (default 60 s). */
  gcGraceMs?: number;
  /** GC-3: every pod allocation is judged again this often (default 5 min). */
  gcIntervalMs?: number;
  /** K8S-6: the Lease that makes one daemon the collector. */
  lease: { namespace: string; name: string };
  /** Informer resync (default 10 min). */
  resyncMs?: number;
  log?: K8sLog;
}

export interface KubernetesMode {
  /** The CNI service the endpoint serves in Kubernetes mode. */
  cni: CniService;
  cache: ClusterCache;
  elector: LeaseElector;
  gc: PodGc;
  /** True once the informers are synced (/readyz). */
  ready(): boolean;
  close(): Promise<void>;
}

/** Reads the kubeconfig (or the pod's service account); throws with a message that says what to fix. */
export function loadKubeConfig(source: ClusterSource): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (source.kind === 'kubeconfig') kc.loadFromFile(source.path);
    else kc.loadFromCluster();
  } catch (e) {
    const where =
      source.kind === 'kubeconfig' ? `--kubeconfig ${source.path}` : 'the in-cluster service account';
    throw new Error(`cannot read ${where}: ${(e as Error).message}`);
  }
  if (!kc.getCurrentCluster())
    throw new Error(
      source.kind === 'kubeconfig'
        ? `--kubeconfig ${source.path} names no current cluster (set current-context)`
        : 'the in-cluster service account gives no API server (KUBERNETES_SERVICE_HOST/PORT)',
    );
  return kc;
}

/**
 * Kubernetes mode (SPEC §14): informers for Pods, Namespaces and the owner kinds (K8S-1), CNI ADD with the
 * pod's facts from the cluster and Kube-OVN's result annotations and events (K8S-2, K8S-4), and the pod
 * collector under a Lease (GC-1, GC-3, K8S-6). Returns at once: the informers sync in the background
 * (`ready()`), and an API server that is down now is caught up with when it comes back.
 */
export function startKubernetesMode(o: KubernetesModeOptions): KubernetesMode {
  const kc = loadKubeConfig(o.source);
  const http = new KubeHttp(kc, o.requestTimeoutMs ?? 5000);
  const log = o.log;
  const cache = new ClusterCache({
    http,
    ...(o.resyncMs !== undefined ? { resyncMs: o.resyncMs } : {}),
    ...(log ? { log } : {}),
  });
  const allocations = o.service.podAllocations;
  // The collector asks the elector before every release; the elector starts a sweep when it takes over.
  const gc: PodGc = new PodGc({
    allocations,
    cache,
    isLeader: () => elector.isLeader(),
    graceMs: o.gcGraceMs ?? 60_000,
    intervalMs: o.gcIntervalMs ?? 300_000,
    ...(log ? { log } : {}),
  });
  const elector: LeaseElector = new LeaseElector({
    http,
    namespace: o.lease.namespace,
    name: o.lease.name,
    identity: `${o.nodeName}_${randomBytes(4).toString('hex')}`,
    onChange: (leader) => {
      if (leader) gc.sweep();
    },
    ...(log ? { log } : {}),
  });
  const cni = new KubeCni({
    inner: o.service.cniService,
    pods: new PodSource(http, cache),
    events: new EventRecorder(http, 'ipkeeper', o.nodeName),
    http,
    keyOf: (owner, ifName) => leaseKeyOf(owner, ifName),
    holderOf: (key) => allocations.holder(key),
    release: (key, guard, reason) => allocations.release(key, guard, reason),
    ...(log ? { log } : {}),
  });
  cache.start();
  elector.start();
  gc.start();
  return {
    cni,
    cache,
    elector,
    gc,
    ready: () => cache.synced,
    close: async () => {
      await gc.close();
      await elector.stop();
      await cache.stop();
      http.close();
    },
  };
}
