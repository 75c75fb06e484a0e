/**
 * The whole install on the real one-node cluster (test/support/k8s-cluster.ts: kube-apiserver 1.20,
 * controller-manager, scheduler, containerd, a kubelet): the daemon image (scripts/image.sh) imported into
 * containerd, `kubectl apply -k` of deploy/ through an overlay that points the DaemonSet's hostPaths at the
 * node's private directories (never the machine's /etc/cni/net.d, /opt/cni/bin, /var/lib or /run) and its
 * network at a subnet of this test. The init container installs the plugin and the conflist; the node's
 * pods then get their addresses from ipkeeper through containerd and `bridge`. Then the install is switched
 * to deploy/etcd/ (through the same kind of overlay, its endpoints those of an etcd started here with client
 * TLS, the Secret made as docs/deploy.md says): the DaemonSet rolls to a daemon on etcd, and a pod's IP
 * object is in etcd under the prefix. The documented uninstall (`kubectl debug node/… -- install-cni
 * uninstall`) removes exactly the two files the install added.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pluginFile } from '../cni-e2e/cni-e2e-support.js';
import { shQuiet, uniqueTag } from '../support/cni-netns.js';
import { DAEMON, removeDir, tempDir } from '../support/daemon.js';
import {
  DEPLOY_BASE_DIR,
  DEPLOY_DIR,
  DEPLOY_ETCD_DIR,
  one,
  podSpecOf,
  renderDeploy,
} from '../support/deploy-manifests.js';
import { type EtcdCluster } from '../support/etcd.js';
import {
  type EtcdCertificates,
  makeEtcdCertificates,
  readEtcdKey,
  startTlsEtcd,
} from '../support/etcd-tls.js';
import {
  k8sPrerequisites,
  listPods,
  podManifest,
  startControlPlane,
  startNode,
  waitForPod,
  waitForPodGone,
  waitForPodRunning,
  waitForServiceAccountToken,
  waitUntil,
  type ControlPlane,
  type PodObject,
  type TestNode,
} from '../support/k8s-cluster.js';
import { runKubectl } from '../support/kubectl.js';
import { DAEMON_IMAGE, Podman, podmanSkipReason } from '../support/podman.js';

const skip = k8sPrerequisites() ?? podmanSkipReason();
// bridge with isGateway puts 10.214.0.1 on a host bridge: clear of the uplink's 192.0.2.0/24, fd00::/64,
// 10.255.255.53 and of the other suites' subnets.
const CIDR = '10.214.0.0/24';
const NS = 'ipkeeper';
const DAEMON_PODS = 'app.kubernetes.io/component=ipam-daemon';

describe('DEP-1 DEP-2 the whole install on a one-node cluster', { skip }, () => {
  const t = uniqueTag();
  const bridge = `ipkin${t}`;
  let cp: ControlPlane;
  let node: TestNode;
  let podman: Podman;
  let dir: string;
  let overlay: string;
  let conflist: Record<string, unknown>;
  let etcd: EtcdCluster;
  let certs: EtcdCertificates;
  const port = 20000 + Math.floor(Math.random() * 20000);

  before(async () => {
    dir = tempDir('ipkeeper-install-');
    podman = Podman.create(); // buildah's storage for the image build, when the cache has no archive yet
    const archive = await podman.daemonImageArchive();
    cp = await startControlPlane();
    // The node starts with a loopback-only network of its own (containerd needs one to be Ready); the
    // install's 10-ipkeeper.conflist sorts first and becomes the pods' network.
    node = await startNode(cp, {
      cni: { cniVersion: '1.0.0', name: `ipk-boot-${t}`, plugins: [{ type: 'loopback' }] },
      images: [archive],
    });
    for (const d of ['state', 'run', 'pki']) mkdirSync(join(dir, d));
    overlay = await writeOverlay(DEPLOY_DIR, 'overlay');
    certs = makeEtcdCertificates(join(dir, 'pki'));
    etcd = await startTlsEtcd(certs);
  });
  after(async () => {
    await node?.stop();
    await cp?.stop();
    await etcd?.close();
    await podman?.cleanup();
    shQuiet('ip', 'link', 'del', bridge);
    if (dir) removeDir(dir);
  });

  /**
   * The install of `install` (deploy/ or deploy/etcd/) as is, but on this node's directories, this test's
   * subnet and a free API port; `kustomization` adds to the overlay's kustomization.yaml.
   */
  async function writeOverlay(
    install: string,
    name: string,
    kustomization: Record<string, unknown> = {},
  ): Promise<string> {
    const pod = podSpecOf(one(await renderDeploy(install), 'DaemonSet', 'ipkeeperd'));
    const daemon = pod.containers.find((c) => c.name === 'ipkeeperd')!;
    const help = spawnSync(process.execPath, [DAEMON, '--help'], { encoding: 'utf8' }).stdout;
    const args = (daemon.args ?? [])
      // A build without Kubernetes mode runs the DaemonSet in standalone CNI mode.
      .filter((a) => a !== '--kubeconfig=in-cluster' || help.includes('in-cluster'))
      .map((a) => (a.startsWith('--listen=') ? a.replace(/:\d+$/, `:${port}`) : a))
      .concat(`--default-subnet=${CIDR}`);
    const base = JSON.parse(readFileSync(join(DEPLOY_BASE_DIR, 'cni/10-ipkeeper.conflist'), 'utf8')) as {
      plugins: Record<string, unknown>[];
    };
    const main = base.plugins[0]!;
    conflist = {
      ...base,
      plugins: [
        {
          ...main,
          bridge,
          ipMasq: false,
          ipam: { ...(main['ipam'] as object), socket: join(dir, 'run', 'ipkeeper.sock') },
        },
      ],
    };
    const out = join(dir, name);
    mkdirSync(out);
    writeFileSync(join(out, '10-ipkeeper.conflist'), JSON.stringify(conflist, null, 2));
    const probe = { httpGet: { port } };
    const hostPath = (name: string, path: string): Record<string, unknown> => ({ name, hostPath: { path } });
    const patch = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'ipkeeperd' },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'ipkeeperd', args, startupProbe: probe, livenessProbe: probe, readinessProbe: probe },
            ],
            volumes: [
              hostPath('state', join(dir, 'state')),
              hostPath('run', join(dir, 'run')),
              hostPath('cni-bin', node.cniBinDir),
              hostPath('cni-conf', node.cniConfDir),
            ],
          },
        },
      },
    };
    const { configMapGenerator = [], ...more } = kustomization as { configMapGenerator?: unknown[] };
    const written = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [relative(out, install)],
      configMapGenerator: [
        { name: 'ipkeeper-cni', behavior: 'replace', files: ['10-ipkeeper.conflist'] },
        ...configMapGenerator,
      ],
      patches: [{ patch: JSON.stringify(patch) }],
      ...more,
    };
    writeFileSync(join(out, 'kustomization.yaml'), JSON.stringify(written, null, 2));
    return out;
  }

  /** kubectl against the daemon the DaemonSet runs (its kubeconfig is in the state hostPath). */
  async function daemonKubectl(...args: string[]): Promise<string> {
    const r = await runKubectl(args, { kubeconfig: join(dir, 'state', 'kubeconfig') });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.stderr}`);
    return r.stdout;
  }

  /** The DaemonSet's one pod once it runs and is ready, after `kubectl apply -k` of `dir` settled. */
  async function applyAndWait(dir: string): Promise<PodObject> {
    await cp.kubectlOk(['apply', '-k', dir]);
    await waitUntil('the ipkeeperd pod', async () => (await listPods(cp, NS, DAEMON_PODS))[0], {
      timeoutMs: 120_000,
    });
    // What docs/deploy.md has the user check: the rollout is complete (its pod Ready on /readyz).
    await cp.kubectlOk(['-n', NS, 'rollout', 'status', 'ds/ipkeeperd', '--timeout=240s']);
    // A replaced pod may still be terminating; the one that counts is the other.
    const pods = (await listPods(cp, NS, DAEMON_PODS)).filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(pods.length, 1, 'one daemon on the one node');
    return waitForPodRunning(cp, NS, pods[0]!.metadata.name, { timeoutMs: 180_000 });
  }

  test('DEP-2 kubectl apply -k: the DaemonSet runs, its init container installs the plugin and the conflist, /readyz says ready', async () => {
    await applyAndWait(overlay);
    assert.ok(
      readFileSync(join(node.cniBinDir, 'ipkeeper')).equals(readFileSync(pluginFile())),
      'the installed plugin is bin/ipkeeper',
    );
    assert.deepEqual(
      JSON.parse(readFileSync(join(node.cniConfDir, '10-ipkeeper.conflist'), 'utf8')),
      conflist,
    );
    const subnets = await daemonKubectl('get', 'subnets', '-o', 'jsonpath={.items[*].spec.cidrBlock}');
    assert.equal(subnets, CIDR);
  });

  /**
   * A pod on the node gets its address from the installed daemon; `stored` sees its IP object where the
   * install keeps it. Deleting the pod releases the address.
   */
  async function podGetsAnAddress(
    name: string,
    stored?: { present: (ipName: string, podIP: string) => Promise<boolean> },
  ): Promise<void> {
    await waitForServiceAccountToken(cp.api, 'default');
    await cp.kubectlOk(['apply', '-f', '-'], JSON.stringify(podManifest(name, 'default')));
    const pod = await waitForPodRunning(cp, 'default', name, { timeoutMs: 180_000 });
    const podIP = pod.status.podIP ?? '';
    assert.match(podIP, /^10\.214\.0\.\d+$/);
    const ip = JSON.parse(await daemonKubectl('get', 'ip', `${name}.default`, '-o', 'json')) as {
      spec: Record<string, unknown>;
    };
    assert.equal(ip.spec['v4IpAddress'], podIP);
    assert.equal(ip.spec['nodeName'], node.name, '--node-name=$(NODE_NAME) from the pod spec');
    if (stored) assert.ok(await stored.present(`${name}.default`, podIP), 'the IP object where it is kept');
    await cp.kubectlOk(['delete', 'pod', name, '-n', 'default', '--wait=false']);
    await waitForPodGone(cp, 'default', name);
    await waitUntil('the IP object to be released', async () => {
      const r = await runKubectl(['get', 'ip', `${name}.default`], {
        kubeconfig: join(dir, 'state', 'kubeconfig'),
      });
      return r.code !== 0 && /NotFound/.test(r.stderr);
    });
    if (stored)
      assert.equal(await stored.present(`${name}.default`, podIP), false, 'released from the store');
  }

  test('CNI-6 DEP-1 a pod on the node gets its address from ipkeeper through containerd and bridge; deleting it releases', async () => {
    await podGetsAnAddress(`web-${t}`);
  });

  test("DEP-2 DUR-1 switched to deploy/etcd/ (Secret ipkeeper-etcd-client as documented): the daemon runs on etcd, a pod's IP object is in etcd under the prefix", async () => {
    // docs/deploy.md: the client certificate's Secret, made before applying the overlay.
    await cp.kubectlOk([
      '-n',
      NS,
      'create',
      'secret',
      'generic',
      'ipkeeper-etcd-client',
      `--from-file=ca.crt=${certs.ca}`,
      `--from-file=tls.crt=${certs.client}`,
      `--from-file=tls.key=${certs.clientKey}`,
    ]);
    // The endpoints are this test's etcd (as a user edits etcd.env); the prefix stays the overlay's.
    const etcdOverlay = await writeOverlay(DEPLOY_ETCD_DIR, 'overlay-etcd', {
      configMapGenerator: [
        {
          name: 'ipkeeper-etcd',
          behavior: 'merge',
          literals: [`ETCD_ENDPOINTS=${etcd.endpoints.join(',')}`],
        },
      ],
    });
    const prefix = /^ETCD_PREFIX=(.*)$/m.exec(readFileSync(join(DEPLOY_ETCD_DIR, 'etcd.env'), 'utf8'))?.[1];
    assert.ok(prefix, 'deploy/etcd/etcd.env names the prefix');
    const daemonPod = await applyAndWait(etcdOverlay);
    const args = await cp.kubectlOk([
      '-n',
      NS,
      'get',
      'pod',
      daemonPod.metadata.name,
      '-o',
      'jsonpath={.spec.containers[0].args}',
    ]);
    assert.match(args, /"--store=etcd"/, 'the rolled pod runs on etcd');
    overlay = etcdOverlay; // the uninstall removes this install
    const subnets = await daemonKubectl('get', 'subnets', '-o', 'jsonpath={.items[*].spec.cidrBlock}');
    assert.equal(subnets, CIDR, 'the default subnet, created in etcd');
    await podGetsAnAddress(`web-etcd-${t}`, {
      present: async (ipName, podIP) =>
        (await readEtcdKey(etcd, certs, `${prefix}s/o/IP/${ipName}`))?.includes(`"${podIP}"`) ?? false,
    });
  });

  test('DEP-2 uninstall: kubectl debug node/… -- install-cni uninstall removes only the plugin and the conflist', async () => {
    const before = { bin: readdirSync(node.cniBinDir), conf: readdirSync(node.cniConfDir) };
    // kubectl debug mounts the node's root at /host; here the node's CNI directories are private ones.
    const out = await cp.kubectlOk([
      'debug',
      `node/${node.name}`,
      `--image=${DAEMON_IMAGE}`,
      `--env=CNI_BIN_DIR=/host${node.cniBinDir}`,
      `--env=CNI_CONF_DIR=/host${node.cniConfDir}`,
      '--',
      '/usr/local/bin/install-cni',
      'uninstall',
    ]);
    const debugPod = /pod (node-debugger-\S+)/.exec(out)?.[1];
    assert.ok(debugPod, `the debugging pod's name in: ${out}`);
    await waitForPod(cp, 'default', debugPod, 'to succeed', (p) => p.status.phase === 'Succeeded', {
      timeoutMs: 180_000,
    });
    assert.deepEqual(readdirSync(node.cniBinDir).sort(), before.bin.filter((f) => f !== 'ipkeeper').sort());
    assert.deepEqual(
      readdirSync(node.cniConfDir).sort(),
      before.conf.filter((f) => f !== '10-ipkeeper.conflist').sort(),
    );
    await cp.kubectlOk(['delete', 'pod', debugPod, '-n', 'default', '--wait=false']);
    await cp.kubectlOk(['delete', '-k', overlay, '--wait=false']);
  });
});
