/**
 * Standalone CNI mode under a real kubelet: a real control plane and node (test/support/k8s-cluster.ts),
 * containerd calling Debian's `bridge` with the built `bin/ipkeeper` as its IPAM, and a real ipkeeperd that
 * knows nothing of Kubernetes: the pod's annotations reach it only through containerd's
 * `io.kubernetes.cri.pod-annotations` capability (runtimeConfig). What this proves must keep working when
 * Kubernetes mode lands. The daemon's state is read with kubectl against the daemon; the pods' with kubectl
 * against the API server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { E2E, pluginFile, tag as uniqueTag } from '../cni-e2e/cni-e2e-support.js';
import {
  deploymentManifest,
  k8sPrerequisites,
  podManifest,
  startControlPlane,
  startNode,
  waitForPodEvent,
  waitForPodGone,
  waitForPodRunning,
  runningPods,
  waitForRunningSplit,
  waitUntil,
  type ControlPlane,
  type TestNode,
} from '../support/k8s-cluster.js';

const skip = k8sPrerequisites();
// The bridge takes the gateway on the host (isGateway): a range clear of the uplink's 192.0.2.0/24, fd00::/64,
// its DNS 10.255.255.53, and of the other suites' bridges.
const CIDR = '10.213.0.0/24';
const GATEWAY = '10.213.0.1';
const NS = 'default';

describe('k8s standalone: a real kubelet, containerd and bridge with ipkeeper as IPAM', { skip }, () => {
  const t = uniqueTag();
  let e: E2E;
  let cp: ControlPlane;
  let node: TestNode;

  before(async () => {
    e = await E2E.start({ args: ['--default-subnet', CIDR] });
    cp = await startControlPlane();
    node = await startNode(cp, {
      cni: {
        cniVersion: '1.0.0',
        name: `ipk-standalone-${t}`,
        plugins: [
          {
            type: 'bridge',
            bridge: `ipkbr${t}`,
            isGateway: true,
            // containerd passes the pod's annotations in runtimeConfig; bridge hands its whole config to IPAM.
            capabilities: { 'io.kubernetes.cri.pod-annotations': true },
            ipam: { type: 'ipkeeper', socket: e.daemon.socket },
          },
        ],
      },
      cniPlugins: { ipkeeper: pluginFile() },
    });
  });

  after(async () => {
    await node?.stop();
    await cp?.stop();
    await e?.close();
  });

  /** `kubectl apply -f -` against the API server. */
  const apply = (obj: Record<string, unknown>): Promise<string> =>
    cp.kubectlOk(['apply', '-f', '-'], JSON.stringify(obj));

  test('STA-1 CNI-6 a pod annotated with ip_address gets exactly that address: podIP, eth0 inside the pod, the IP object', async () => {
    const name = `static-${t}`;
    await apply(podManifest(name, NS, { annotations: { 'ovn.kubernetes.io/ip_address': '10.213.0.15' } }));
    const pod = await waitForPodRunning(cp, NS, name);
    assert.equal(pod.status.podIP, '10.213.0.15');
    assert.equal(
      JSON.parse(await cp.kubectlOk(['get', 'pod', name, '-n', NS, '-o', 'json'])).status.podIP,
      '10.213.0.15',
    );

    // Inside the pod (kubectl exec through the API server and the kubelet): the address on eth0, the
    // bridge's gateway answers.
    const addr = await cp.kubectlOk(['exec', '-n', NS, name, '--', 'ip', '-4', 'addr', 'show', 'eth0']);
    assert.match(addr, /inet 10\.213\.0\.15\/24 /);
    await cp.kubectlOk(['exec', '-n', NS, name, '--', 'ping', '-c', '1', '-W', '5', GATEWAY]);

    // The daemon recorded it for this pod (IPR-10: pod allocations are IP objects).
    const ip = await e.must('ip', `${name}.${NS}`);
    assert.equal(ip.spec['v4IpAddress'], '10.213.0.15');
    assert.equal(ip.spec['podName'], name);
    assert.equal(ip.spec['namespace'], NS);

    // Deleting the pod releases the address (CNI DEL from the kubelet's teardown).
    await cp.kubectlOk(['delete', 'pod', name, '-n', NS, '--wait=true']);
    await waitUntil(
      'the IP object of the deleted pod to go',
      async () => (await e.get('ip', `${name}.${NS}`)) === undefined,
      { timeoutMs: 60_000 },
    );
  });

  test('STA-6 a Deployment of 4 with a 3-entry ip_pool: three get the entries, the fourth waits with a clear sandbox error and takes an entry freed by a deleted pod', async () => {
    const name = `pool-${t}`;
    const entries = ['10.213.0.101', '10.213.0.102', '10.213.0.103'];
    await apply(
      deploymentManifest(name, NS, 4, { annotations: { 'ovn.kubernetes.io/ip_pool': entries.join(',') } }),
    );

    const running = runningPods;
    const three = await waitForRunningSplit(cp, NS, `app=${name}`, 4, 3);
    assert.deepEqual(
      running(three)
        .map((p) => p.status.podIP)
        .sort(),
      entries,
    );

    const waiting = three.find((p) => p.status.phase !== 'Running')!;
    const event = await waitForPodEvent(cp, NS, waiting.metadata.name, 'FailedCreatePodSandBox', {
      message: /no free entry in ovn\.kubernetes\.io\/ip_pool/,
    });
    assert.match(event.message, /all 3 are held by other owners/);
    assert.equal(waiting.status.podIP, undefined);
    assert.equal(
      await e.get('ip', `${waiting.metadata.name}.${NS}`),
      undefined,
      'a failed ADD records nothing',
    );

    // Free one entry. The node is cordoned first so the ReplicaSet's replacement pod stays unscheduled:
    // the entry must go to the pod that has been waiting, on the kubelet's retry.
    const gone = running(three)[1]!;
    await cp.kubectlOk(['cordon', node.name]);
    try {
      await cp.kubectlOk(['delete', 'pod', gone.metadata.name, '-n', NS, '--wait=true']);
      await waitForPodGone(cp, NS, gone.metadata.name);
      const retried = await waitForPodRunning(cp, NS, waiting.metadata.name, { timeoutMs: 180_000 });
      assert.equal(retried.status.podIP, gone.status.podIP);
      const ip = await e.must('ip', `${waiting.metadata.name}.${NS}`);
      assert.equal(ip.spec['v4IpAddress'], gone.status.podIP);
    } finally {
      await cp.kubectlOk(['uncordon', node.name]);
    }
    await cp.kubectlOk(['delete', 'deployment', name, '-n', NS]);
  });
});
