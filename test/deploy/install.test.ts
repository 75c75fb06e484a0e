/**
 * The whole install on the real one-node cluster (test/support/k8s-cluster.ts: kube-apiserver 1.20,
 * controller-manager, scheduler, containerd, a kubelet): the daemon image (scripts/image.sh) imported into
 * containerd, `kubectl apply -k` of deploy/ through an overlay that points the DaemonSet's hostPaths at the
 * node's private directories (never the machine's /etc/cni/net.d, /opt/cni/bin, /var/lib or /run) and its
 * network at a subnet of this test. The init container installs the plugin and the conflist; the node's
 * pods then get their addresses from ipkeeper through containerd and `bridge`; the documented uninstall
 * (`kubectl debug node/… -- install-cni uninstall`) removes exactly those two files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pluginFile } from '../cni-e2e/cni-e2e-support.js';
import { shQuiet, uniqueTag } from '../support/cni-netns.js';
import { DAEMON, removeDir, tempDir } from '../support/daemon.js';
import { DEPLOY_DIR, one, podSpecOf, renderDeploy } from '../support/deploy-manifests.js';
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
    overlay = await writeOverlay();
  });
  after(async () => {
    await node?.stop();
    await cp?.stop();
    await podman?.cleanup();
    shQuiet('ip', 'link', 'del', bridge);
    if (dir) removeDir(dir);
  });

  /** deploy/ as is, but on this node's directories, this test's subnet and a free API port. */
  async function writeOverlay(): Promise<string> {
    const pod = podSpecOf(one(await renderDeploy(), 'DaemonSet', 'ipkeeperd'));
    const daemon = pod.containers.find((c) => c.name === 'ipkeeperd')!;
    const port = 20000 + Math.floor(Math.random() * 20000);
    const help = spawnSync(process.execPath, [DAEMON, '--help'], { encoding: 'utf8' }).stdout;
    const args = (daemon.args ?? [])
      // A build without Kubernetes mode runs the DaemonSet in standalone CNI mode.
      .filter((a) => a !== '--kubeconfig=in-cluster' || help.includes('in-cluster'))
      .map((a) => (a.startsWith('--listen=') ? a.replace(/:\d+$/, `:${port}`) : a))
      .concat(`--default-subnet=${CIDR}`);
    for (const d of ['overlay', 'state', 'run']) mkdirSync(join(dir, d));
    const base = JSON.parse(readFileSync(join(DEPLOY_DIR, 'cni/10-ipkeeper.conflist'), 'utf8')) as {
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
    const out = join(dir, 'overlay');
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
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [relative(out, DEPLOY_DIR)],
      configMapGenerator: [{ name: 'ipkeeper-cni', behavior: 'replace', files: ['10-ipkeeper.conflist'] }],
      patches: [{ patch: JSON.stringify(patch) }],
    };
    writeFileSync(join(out, 'kustomization.yaml'), JSON.stringify(kustomization, null, 2));
    return out;
  }

  /** kubectl against the daemon the DaemonSet runs (its kubeconfig is in the state hostPath). */
  async function daemonKubectl(...args: string[]): Promise<string> {
    const r = await runKubectl(args, { kubeconfig: join(dir, 'state', 'kubeconfig') });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.stderr}`);
    return r.stdout;
  }

  test('DEP-2 kubectl apply -k: the DaemonSet runs, its init container installs the plugin and the conflist, /readyz says ready', async () => {
    await cp.kubectlOk(['apply', '-k', overlay]);
    const pod = await waitUntil('the ipkeeperd pod', async () => (await listPods(cp, NS, DAEMON_PODS))[0], {
      timeoutMs: 120_000,
    });
    await waitForPodRunning(cp, NS, pod.metadata.name, { timeoutMs: 180_000 });
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

  test('CNI-6 DEP-1 a pod on the node gets its address from ipkeeper through containerd and bridge; deleting it releases', async () => {
    await waitForServiceAccountToken(cp.api, 'default');
    const name = `web-${t}`;
    await cp.kubectlOk(['apply', '-f', '-'], JSON.stringify(podManifest(name, 'default')));
    const pod = await waitForPodRunning(cp, 'default', name, { timeoutMs: 180_000 });
    assert.match(pod.status.podIP ?? '', /^10\.214\.0\.\d+$/);
    const ip = JSON.parse(await daemonKubectl('get', 'ip', `${name}.default`, '-o', 'json')) as {
      spec: Record<string, unknown>;
    };
    assert.equal(ip.spec['v4IpAddress'], pod.status.podIP);
    assert.equal(ip.spec['nodeName'], node.name, '--node-name=$(NODE_NAME) from the pod spec');
    await cp.kubectlOk(['delete', 'pod', name, '-n', 'default', '--wait=false']);
    await waitForPodGone(cp, 'default', name);
    await waitUntil('the IP object to be released', async () => {
      const r = await runKubectl(['get', 'ip', `${name}.default`], {
        kubeconfig: join(dir, 'state', 'kubeconfig'),
      });
      return r.code !== 0 && /NotFound/.test(r.stderr);
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
