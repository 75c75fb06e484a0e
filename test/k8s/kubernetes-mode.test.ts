/**
 * Kubernetes mode on the real one-node cluster (test/support/k8s-cluster.ts): the API server, controller
 * manager and scheduler built from Debian's source, containerd and a kubelet running real pods through
 * Debian's `bridge` with the built `bin/ipkeeper` as its IPAM, and a real ipkeeperd in Kubernetes mode
 * (its own credentials, the permissions docs/kubernetes.md lists). Pods' state is read from the API
 * server, the daemon's with kubectl against the daemon. Cases that need exact control (pods whose sandbox
 * never runs, a daemon down while pods are deleted) call the plugin as containerd does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pluginFile, tag as uniqueTag } from '../cni-e2e/cni-e2e-support.js';
import { seedPath } from '../e2e/e2e-support.js';
import {
  createNamespace,
  deploymentManifest,
  getPod,
  k8sPrerequisites,
  listPods,
  podEvents,
  podManifest,
  sleep,
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
import { KubeDaemon, cniAddOk, cniCall, type PodRef } from './k8s-mode-support.js';

const skip = k8sPrerequisites();
// Ranges clear of the uplink's 192.0.2.0/24, fd00::/64, its DNS 10.255.255.53, and of the other suites'.
const DEFAULT_CIDR = '10.214.0.0/16';
const NS = 'default';
const GRACE_S = 3;

describe('Kubernetes mode on a real cluster: pods, workloads, namespaces, GC', { skip }, () => {
  const t = uniqueTag();
  const nodeName = `ipk-k8s-${t}`;
  let cp: ControlPlane;
  let node: TestNode;
  let d: KubeDaemon;

  before(async () => {
    cp = await startControlPlane();
    // The daemon's own --node-name differs from the kubelet's node: IP objects must carry the pod's node.
    d = await KubeDaemon.start(cp, {
      nodeName: `ipkd-${t}`,
      defaultSubnet: DEFAULT_CIDR,
      gcGrace: GRACE_S,
      gcInterval: 2,
    });
    node = await startNode(cp, {
      name: nodeName,
      cni: {
        cniVersion: '1.0.0',
        name: `ipk-k8s-${t}`,
        plugins: [
          {
            type: 'bridge',
            bridge: `ipkk${t}`,
            // Debian's bridge 1.1.1 holds one IPv4 gateway per bridge, and these pods use several subnets
            // and pools; the pods only need their addresses, not a route off the node.
            isGateway: false,
            capabilities: { 'io.kubernetes.cri.pod-annotations': true },
            ipam: { type: 'ipkeeper', socket: d.socket, mac: 'chained' },
          },
          // STA-2: bridge ignores an IPAM MAC; the chained step puts it on eth0 (through tuning).
          { type: 'ipkeeper', socket: d.socket },
        ],
      },
      cniPlugins: { ipkeeper: pluginFile() },
    });
  });

  after(async () => {
    await node?.stop();
    await d?.close();
    await cp?.stop();
  });

  const apply = (obj: Record<string, unknown>): Promise<string> =>
    cp.kubectlOk(['apply', '-f', '-'], JSON.stringify(obj));
  const ip = (name: string) => d.e.get('ip', name);
  const running = runningPods;
  /**
   * A pod that never runs: no node matches its selector, so it stays Pending and nothing deletes it but the
   * test (a pod bound to a missing node would be collected by the pod GC controller). Its addresses come
   * from plugin calls, as containerd would make them.
   */
  const ghostPod = async (name: string, namespace = NS): Promise<PodRef> => {
    const manifest = podManifest(name, namespace) as { spec: Record<string, unknown> };
    manifest.spec['nodeSelector'] = { 'ipkeeper.test/no-such-node': t };
    await apply(manifest);
    const pod = await getPod(cp, namespace, name);
    return { namespace, name, uid: pod!.metadata.uid };
  };
  /** Deletes a running pod and waits until it is gone (kubectl's own wait gives up after 30 s under load). */
  const deletePod = async (name: string, namespace = NS): Promise<void> => {
    await cp.kubectlOk(['delete', 'pod', name, '-n', namespace, '--wait=false']);
    await waitForPodGone(cp, namespace, name, { timeoutMs: 180_000 });
  };
  const forceDelete = (name: string, namespace = NS) =>
    cp.kubectlOk(['delete', 'pod', name, '-n', namespace, '--force', '--grace-period=0', '--wait=false']);

  test('K8S-2 K8S-4 K8S-5 STA-1 STA-2 a pod annotated with ip_address and mac_address: that address, the result annotations, node and container on the IP object', async () => {
    const name = `static-${t}`;
    await apply(
      podManifest(name, NS, {
        annotations: {
          'ovn.kubernetes.io/ip_address': '10.214.0.15',
          'ovn.kubernetes.io/mac_address': '00:00:00:53:6B:B6',
        },
      }),
    );
    const pod = await waitForPodRunning(cp, NS, name);
    assert.equal(pod.status.podIP, '10.214.0.15');
    const a = pod.metadata.annotations ?? {};
    assert.deepEqual(
      [
        a['ovn.kubernetes.io/allocated'],
        a['ovn.kubernetes.io/ip_address'],
        a['ovn.kubernetes.io/cidr'],
        a['ovn.kubernetes.io/gateway'],
        a['ovn.kubernetes.io/mac_address'],
        a['ovn.kubernetes.io/logical_switch'],
      ],
      ['true', '10.214.0.15', '10.214.0.0/16', '10.214.0.1', '00:00:00:53:6b:b6', 'ovn-default'],
    );
    const obj = await d.e.must('ip', `${name}.${NS}`);
    assert.equal(obj.spec['v4IpAddress'], '10.214.0.15');
    assert.equal(obj.spec['macAddress'], '00:00:00:53:6b:b6');
    assert.equal(obj.spec['nodeName'], nodeName);
    assert.equal(obj.metadata.labels?.['ovn.kubernetes.io/node-name'], nodeName);
    // The container ID is the pod's sandbox, as containerd knows it.
    const sandboxes = await node.ctr(['containers', 'ls', '-q']);
    assert.ok(
      sandboxes.split('\n').includes(String(obj.spec['containerID'])),
      `${String(obj.spec['containerID'])} is a container`,
    );
    const wide = await d.e.ok(['get', 'ip', `${name}.${NS}`, '-o', 'wide', '--no-headers']);
    assert.match(wide, new RegExp(`10\\.214\\.0\\.15\\s.*${nodeName}\\s+ovn-default`));
    // STA-2: the MAC the IP object claims is the MAC the pod's interface has.
    const eth0 = await cp.kubectlOk(['exec', '-n', NS, name, '--', 'cat', '/sys/class/net/eth0/address']);
    assert.equal(eth0.trim(), '00:00:00:53:6b:b6');
  });

  test('STA-3 K8S-4 a pod asking for a held address: Warning event AcquireAddressFailed and the sandbox error, nothing allocated', async () => {
    const name = `thief-${t}`;
    await apply(podManifest(name, NS, { annotations: { 'ovn.kubernetes.io/ip_address': '10.214.0.15' } }));
    const event = await waitForPodEvent(cp, NS, name, 'AcquireAddressFailed');
    assert.equal(event.type, 'Warning');
    assert.match(event.message, /10\.214\.0\.15 is already held by static-/);
    await waitForPodEvent(cp, NS, name, 'FailedCreatePodSandBox', { message: /already held by static-/ });
    assert.equal(await ip(`${name}.${NS}`), undefined, 'a failed ADD records nothing');
    await deletePod(name);
  });

  test('K8S-4 bad input: an invalid pod annotation and a namespace annotation naming a missing pool — a clear event, nothing allocated', async () => {
    const bad = `badann-${t}`;
    await apply(podManifest(bad, NS, { annotations: { 'ovn.kubernetes.io/ip_address': '10.214.0.300' } }));
    const e1 = await waitForPodEvent(cp, NS, bad, 'AcquireAddressFailed');
    assert.match(e1.message, /ovn\.kubernetes\.io\/ip_address/);
    const ns = `badns-${t}`;
    await createNamespace(cp, ns, {}, { 'ipam.spidernet.io/default-ipv4-ippool': `["missing-${t}"]` });
    await apply(podManifest('p', ns));
    const e2 = await waitForPodEvent(cp, ns, 'p', 'AcquireAddressFailed');
    assert.match(e2.message, new RegExp(`SpiderIPPool missing-${t} does not exist`));
    assert.equal(await ip(`${bad}.${NS}`), undefined);
    assert.equal(await ip(`p.${ns}`), undefined);
    await cp.kubectlOk(['delete', 'pod', bad, '-n', NS, '--wait=false']);
    await cp.kubectlOk(['delete', 'namespace', ns, '--wait=false']);
  });

  test('STA-6 STA-5 a Deployment of 4 with a 3-entry ip_pool: three get the entries, the fourth fails until a pod is deleted, then takes the freed entry', async () => {
    const name = `pool-${t}`;
    const entries = ['10.214.1.101', '10.214.1.102', '10.214.1.103'];
    await apply(
      deploymentManifest(name, NS, 4, { annotations: { 'ovn.kubernetes.io/ip_pool': entries.join(',') } }),
    );
    const four = await waitForRunningSplit(cp, NS, `app=${name}`, 4, 3);
    assert.deepEqual(
      running(four)
        .map((p) => p.status.podIP)
        .sort(),
      entries,
    );
    const waiting = four.find((p) => p.status.phase !== 'Running')!;
    const event = await waitForPodEvent(cp, NS, waiting.metadata.name, 'AcquireAddressFailed', {
      message: /no free entry in ovn\.kubernetes\.io\/ip_pool/,
    });
    assert.equal(event.type, 'Warning');
    assert.equal(await ip(`${waiting.metadata.name}.${NS}`), undefined);
    // The replacement pod stays unscheduled (cordoned node): the freed entry must go to the waiting pod.
    const gone = running(four)[1]!;
    await cp.kubectlOk(['cordon', nodeName]);
    try {
      await deletePod(gone.metadata.name);
      const retried = await waitForPodRunning(cp, NS, waiting.metadata.name, { timeoutMs: 180_000 });
      assert.equal(retried.status.podIP, gone.status.podIP);
    } finally {
      await cp.kubectlOk(['uncordon', nodeName]);
    }
    await cp.kubectlOk(['delete', 'deployment', name, '-n', NS]);
  });

  test('IPR-7 IPR-8 IPR-9 the reservation vm-dynamic-01.default: the pod of that name gets it, and it stays when the pod goes', async () => {
    await d.e.ok(['apply', '-f', seedPath('01-dynamic.yaml')]);
    const reserved = String((await d.e.must('ip', 'vm-dynamic-01.default')).spec['v4IpAddress']);
    await apply(podManifest('vm-dynamic-01', NS));
    const pod = await waitForPodRunning(cp, NS, 'vm-dynamic-01');
    assert.equal(pod.status.podIP, reserved);
    await deletePod('vm-dynamic-01');
    // Past two collector sweeps and a grace period: still there, still holding the address.
    await sleep((GRACE_S * 2 + 3) * 1000);
    const kept = await d.e.must('ip', 'vm-dynamic-01.default');
    assert.equal(kept.spec['v4IpAddress'], reserved);
    assert.equal(kept.metadata.labels?.['ovn.kubernetes.io/ip_reserved'], 'true');
  });

  test('SPR-1 the Spiderpool reserved-IP walkthrough with a real Deployment of 3: one gets .50, two wait with "all IP addresses used out", then .41 and .42', async () => {
    await d.e.ok(['apply', '-f', seedPath('test-ipv4-ippool.yaml')]);
    await d.e.ok(['apply', '-f', seedPath('test-ipv4-reservedip.yaml')]);
    const name = `spider-${t}`;
    await apply(
      deploymentManifest(name, NS, 3, {
        annotations: { 'ipam.spidernet.io/ippool': '{"ipv4": ["test-ipv4-ippool"]}' },
      }),
    );
    const pods = await waitUntil(
      'one pod of three to run',
      async () => {
        const all = await listPods(cp, NS, `app=${name}`);
        return all.length === 3 && running(all).length === 1 ? all : undefined;
      },
      { timeoutMs: 180_000 },
    );
    assert.equal(running(pods)[0]!.status.podIP, '172.18.42.50');
    for (const p of pods.filter((x) => x.status.phase !== 'Running'))
      await waitForPodEvent(cp, NS, p.metadata.name, 'AcquireAddressFailed', {
        message: /all IP addresses used out/,
      });
    await d.e.ok(['delete', '-f', seedPath('test-ipv4-reservedip.yaml')]);
    const all = await waitUntil(
      'the two waiting pods to run after the reservation is gone',
      async () => {
        const now = await listPods(cp, NS, `app=${name}`);
        return running(now).length === 3 ? now : undefined;
      },
      { timeoutMs: 180_000 },
    );
    assert.deepEqual(all.map((p) => p.status.podIP).sort(), ['172.18.42.41', '172.18.42.42', '172.18.42.50']);
    await cp.kubectlOk(['delete', 'deployment', name, '-n', NS]);
  });

  test('POOL-3 SUB-8 SPP-6 namespaces: bound pools only and no fallback, then every bound subnet in order; a namespace default SpiderIPPool', async () => {
    const ns = `bound-${t}`;
    await d.e.ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'kubeovn.io/v1',
            kind: 'Subnet',
            metadata: { name: `first-${t}` },
            spec: { cidrBlock: '10.215.0.0/30', namespaces: [ns] },
          },
          {
            apiVersion: 'kubeovn.io/v1',
            kind: 'Subnet',
            metadata: { name: `second-${t}` },
            spec: { cidrBlock: '10.215.1.0/24', namespaces: [ns] },
          },
          {
            apiVersion: 'kubeovn.io/v1',
            kind: 'IPPool',
            metadata: { name: `pool-${t}` },
            spec: { subnet: `second-${t}`, ips: ['10.215.1.50'], namespaces: [ns] },
          },
        ],
      }),
    );
    await createNamespace(cp, ns);
    await apply(podManifest('a', ns));
    assert.equal(
      (await waitForPodRunning(cp, ns, 'a')).status.podIP,
      '10.215.1.50',
      'POOL-3: the bound pool first',
    );
    await apply(podManifest('b', ns));
    const exhausted = await waitForPodEvent(cp, ns, 'b', 'AcquireAddressFailed');
    assert.match(
      exhausted.message,
      new RegExp(`IPPools pool-${t} bound to namespace ${ns} are all exhausted`),
    );
    assert.equal(await ip(`b.${ns}`), undefined, 'no fallback to the rest of the subnet');
    // Without the pool, pods draw from the bound subnets in order: the /30 holds one, then the next.
    await d.e.ok(['delete', 'ippool', `pool-${t}`]);
    assert.equal((await waitForPodRunning(cp, ns, 'b', { timeoutMs: 180_000 })).status.podIP, '10.215.0.2');
    await apply(podManifest('c', ns));
    assert.equal(
      (await waitForPodRunning(cp, ns, 'c')).status.podIP,
      '10.215.1.2',
      'SUB-8: not only the first bound subnet',
    );

    const spns = `spdef-${t}`;
    await d.e.ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'spiderpool.spidernet.io/v2beta1',
        kind: 'SpiderIPPool',
        metadata: { name: `ns-pool-${t}` },
        spec: { subnet: '172.19.7.0/24', ips: ['172.19.7.20-172.19.7.29'] },
      }),
    );
    await createNamespace(cp, spns, {}, { 'ipam.spidernet.io/default-ipv4-ippool': `["ns-pool-${t}"]` });
    await apply(podManifest('s', spns));
    assert.equal(
      (await waitForPodRunning(cp, spns, 's')).status.podIP,
      '172.19.7.20',
      'SPP-6: the namespace default pool',
    );
    await cp.kubectlOk(['delete', 'namespace', ns, spns, '--wait=false']);
  });

  test('GC-1 GC-3 IPR-9 pods deleted while the daemon is down: released after the restart, once orphaned a grace period; reservations and live pods kept', async () => {
    const gone = [await ghostPod(`gc-a-${t}`), await ghostPod(`gc-b-${t}`)];
    const kept = await ghostPod(`gc-live-${t}`);
    await d.e.ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'kubeovn.io/v1',
        kind: 'IP',
        metadata: { name: `gc-res-${t}.${NS}` },
        spec: { subnet: 'ovn-default', namespace: NS, podName: `gc-res-${t}` },
      }),
    );
    const res = await ghostPod(`gc-res-${t}`);
    for (const p of [...gone, kept, res]) await cniAddOk(d.socket, p, `sandbox-${p.name}`);
    const reservedAddress = (await d.e.must('ip', `gc-res-${t}.${NS}`)).spec['v4IpAddress'];

    await d.stop();
    for (const p of [...gone, res]) await forceDelete(p.name);
    for (const p of [...gone, res]) await waitForPodGone(cp, NS, p.name);
    await d.start();
    // Nothing is dropped at start: the orphans wait a whole grace period first.
    for (const p of gone) assert.ok(await ip(`${p.name}.${NS}`), `${p.name} kept at start`);
    await d.waitReady();
    await waitUntil(
      'the collector to release the deleted pods',
      async () =>
        (await ip(`${gone[0]!.name}.${NS}`)) === undefined &&
        (await ip(`${gone[1]!.name}.${NS}`)) === undefined,
      { timeoutMs: 60_000, detail: async () => d.e.daemon.stderr().slice(-3000) },
    );
    await sleep(GRACE_S * 1000 + 2500);
    assert.ok(await ip(`${kept.name}.${NS}`), 'the live pod keeps its address');
    const reservation = await d.e.must('ip', `gc-res-${t}.${NS}`);
    assert.equal(
      reservation.spec['v4IpAddress'],
      reservedAddress,
      'IPR-9: the reservation stays with its address',
    );
    assert.ok(await ip(`static-${t}.${NS}`), 'running pods keep theirs');
    await forceDelete(kept.name);
  });

  test('GC-1 a pod deleted and re-created with the same name between ADD and GC keeps its new address', async () => {
    const name = `same-${t}`;
    const first = await ghostPod(name);
    const before = await cniAddOk(d.socket, first, `sandbox-1-${t}`);
    await forceDelete(name);
    await waitForPodGone(cp, NS, name);
    const second = await ghostPod(name);
    assert.notEqual(second.uid, first.uid);
    const now = await cniAddOk(d.socket, second, `sandbox-2-${t}`);
    // The deletion of the first pod was seen; the collector runs every 2 s with a 3 s grace.
    await sleep((GRACE_S * 2 + 4) * 1000);
    const obj = await d.e.must('ip', `${name}.${NS}`);
    assert.equal(obj.spec['v4IpAddress'], now);
    assert.equal(obj.metadata.annotations?.['ipkeeper.io/pod-uid'], second.uid);
    assert.equal(obj.spec['containerID'], `sandbox-2-${t}`);
    assert.ok(before);
    await forceDelete(name);
  });

  test('K8S-2 K8S-1 the API server down: ADD answers 11 and allocates nothing; restarted, the daemon catches up without a restart of its own', async () => {
    const waiting = await ghostPod(`down-${t}`);
    const doomed = await ghostPod(`doomed-${t}`);
    await cniAddOk(d.socket, doomed, `sandbox-doomed-${t}`);
    await cp.stopApiServer();
    try {
      const r = await cniCall(d.socket, 'ADD', waiting, `sandbox-down-${t}`);
      assert.equal(r.json.code, 11, r.stdout);
      assert.match(r.json.msg ?? '', /Kubernetes API server is unreachable|did not answer in time/);
      assert.equal(await ip(`down-${t}.${NS}`), undefined, 'nothing allocated');
    } finally {
      await cp.startApiServer();
    }
    // The watch resumed by itself: a pod deleted now is released at once (its delete event, GC-1).
    await forceDelete(doomed.name);
    await waitUntil(
      'the deleted pod to be released through the resumed watch',
      async () => (await ip(`doomed-${t}.${NS}`)) === undefined,
      {
        timeoutMs: 90_000,
        detail: async () => d.e.daemon.stderr().slice(-3000),
      },
    );
    assert.match(await cniAddOk(d.socket, waiting, `sandbox-down-${t}`), /^10\.214\./);
    assert.equal(
      (await getPod(cp, NS, waiting.name))?.metadata.annotations?.['ovn.kubernetes.io/allocated'],
      'true',
    );
    assert.deepEqual(
      (await podEvents(cp, NS, waiting.name)).filter((e) => e.reason === 'AcquireAddressFailed'),
      [],
      'an unreachable API server is not the pod’s fault: no event',
    );
    await forceDelete(waiting.name);
  });
});
