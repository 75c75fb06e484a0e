/**
 * The Kubernetes client layer (src/k8s) in-process against a real API server (the test control plane,
 * without a node): informers that list, watch, relist after 410 Gone and catch up after the API server
 * restarts (K8S-1); optional APIs found when their CRDs appear; leader election on a real Lease (K8S-6).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClusterCache } from '../../src/k8s/cluster-cache.js';
import { KubeHttp } from '../../src/k8s/http.js';
import { Informer } from '../../src/k8s/informer.js';
import { loadKubeConfig } from '../../src/k8s/kubernetes-mode.js';
import { LeaseElector } from '../../src/k8s/lease-elector.js';
import { type RawPod } from '../../src/k8s/objects.js';
import {
  type ControlPlane,
  deploymentManifest,
  k8sPrerequisites,
  podManifest,
  startControlPlane,
  waitUntil,
} from '../support/k8s-cluster.js';

const skip = k8sPrerequisites();

/** A pod no node will ever run (nothing matches its selector). */
function parkedPod(name: string): Record<string, unknown> {
  const pod = podManifest(name, 'default') as { spec: Record<string, unknown> };
  pod.spec['nodeSelector'] = { 'ipkeeper.test/no-such-node': 'x' };
  return pod;
}

/** A KubeVirt-like CRD: just enough for discovery to serve the kind. */
function crd(plural: string, kind: string): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.kubevirt.io` },
    spec: {
      group: 'kubevirt.io',
      scope: 'Namespaced',
      names: { plural, kind, singular: kind.toLowerCase() },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

describe('K8S-1 K8S-6 the Kubernetes client layer against a real API server', { skip }, () => {
  let cp: ControlPlane;
  let http: KubeHttp;

  before(async () => {
    // Watches served from etcd, compacted every 2 s: a watch resumed from a resourceVersion a few seconds
    // old is answered 410 Gone (with the watch cache, 1.20 keeps events long enough to serve it).
    cp = await startControlPlane({
      scheduler: false,
      apiServerArgs: ['--watch-cache=false', '--etcd-compaction-interval=2s'],
    });
    http = new KubeHttp(loadKubeConfig({ kind: 'kubeconfig', path: cp.kubeconfig }), 5000);
  });

  after(async () => {
    http?.close();
    await cp?.stop();
  });

  const create = (obj: Record<string, unknown>) => cp.kubectlOk(['create', '-f', '-'], JSON.stringify(obj));

  test('K8S-1 an informer resumed after missed events relists on 410 Gone: its cache matches the cluster, vanished pods are deletes', async () => {
    await create(parkedPod('early'));
    const informer = new Informer<RawPod>({ name: 'pods', path: '/api/v1/pods', http });
    const deleted: string[] = [];
    informer.on((type, pod) => {
      if (type === 'delete') deleted.push(pod.metadata.name ?? '');
    });
    informer.start();
    await informer.whenSynced();
    assert.equal(informer.lists, 1);
    assert.ok(informer.get('default', 'early'));
    await informer.stop();
    // Missed while stopped, and compacted away before it resumes.
    await cp.kubectlOk(['delete', 'pod', 'early', '--wait=false']);
    for (let i = 0; i < 6; i++) await create(parkedPod(`late-${i}`));
    await new Promise((ok) => setTimeout(ok, 6000));
    informer.start();
    await waitUntil(
      'the informer to relist',
      async () => informer.lists >= 2 && informer.get('default', 'late-5') !== undefined,
      {
        timeoutMs: 30_000,
        detail: async () => `lists ${informer.lists}, last error ${informer.lastError ?? 'none'}`,
      },
    );
    assert.equal(informer.get('default', 'early'), undefined);
    assert.deepEqual(deleted, ['early'], 'the relist turned the pod that vanished into a delete event');
    await informer.stop();
  });

  test('K8S-1 the API server restarted: the caches catch up by themselves; CronJob found where 1.20 serves it; KubeVirt only once its CRDs exist', async () => {
    const cache = new ClusterCache({ http, rediscoverMs: 1000 });
    cache.start();
    await waitUntil('the cluster cache to sync', async () => cache.synced, {
      timeoutMs: 30_000,
      detail: async () => cache.notSyncedBecause,
    });
    assert.ok(cache.watching.includes('CronJob'), 'batch/v1beta1 cronjobs on Kubernetes 1.20');
    assert.ok(!cache.watching.includes('VirtualMachine'), 'no KubeVirt CRDs: not watched, and not an error');

    await cp.restartApiServer();
    await create(parkedPod('after-restart'));
    await waitUntil(
      'the pod created after the restart to reach the cache',
      async () => cache.pods.get('default', 'after-restart') !== undefined,
      {
        timeoutMs: 90_000,
        detail: async () => `pods: ${cache.pods.lastError ?? 'no error'}`,
      },
    );

    // Owner chains resolve through the owner caches: Pod → ReplicaSet → Deployment.
    await create(deploymentManifest('chain', 'default', 1));
    const chain = await waitUntil(
      "the Deployment's pod and its owners in the caches",
      async () => {
        const pod = cache.pods.list().find((p) => p.metadata.name?.startsWith('chain-'));
        const links = pod ? cache.ownerChain(pod) : [];
        return links.length === 2 ? links : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.deepEqual(
      chain.map((l) => [l.kind, l.name.replace(/-[a-z0-9]+$/, '')]),
      [
        ['ReplicaSet', 'chain'],
        ['Deployment', 'chain'],
      ],
    );

    await create(crd('virtualmachines', 'VirtualMachine'));
    await create(crd('virtualmachineinstances', 'VirtualMachineInstance'));
    await waitUntil(
      'the KubeVirt kinds to be watched',
      async () => cache.watching.includes('VirtualMachineInstance') && cache.synced,
      {
        timeoutMs: 60_000,
      },
    );
    await cache.stop();
  });

  test('K8S-6 one holder of the Lease; losing the API server ends leadership within the renew deadline; a stopped holder hands over', async () => {
    const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 };
    const changes: string[] = [];
    const elector = (id: string) =>
      new LeaseElector({
        http,
        namespace: 'kube-system',
        name: 'ipkeeper-gc-test',
        identity: id,
        ...timing,
        onChange: (leader) => changes.push(`${id}:${leader}`),
      });
    const a = elector('a');
    const b = elector('b');
    a.start();
    await waitUntil('a to lead', async () => a.isLeader(), { timeoutMs: 20_000 });
    b.start();
    await new Promise((ok) => setTimeout(ok, 2000));
    assert.deepEqual([a.isLeader(), b.isLeader()], [true, false], 'one holder at a time');

    await cp.stopApiServer();
    try {
      await new Promise((ok) => setTimeout(ok, timing.renewDeadlineMs + 500));
      assert.equal(a.isLeader(), false, 'a holder that cannot renew stops its duty');
    } finally {
      await cp.startApiServer();
    }
    await waitUntil('someone to lead again', async () => a.isLeader() || b.isLeader(), { timeoutMs: 30_000 });
    const [holder, other] = a.isLeader() ? [a, b] : [b, a];
    await holder.stop();
    await waitUntil('the other to take over', async () => other.isLeader(), { timeoutMs: 20_000 });
    await other.stop();
    assert.ok(changes.includes('a:true') && changes.includes('a:false'), changes.join(' '));
  });
});
