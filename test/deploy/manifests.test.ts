/**
 * deploy/ (DEP-2) against what the daemon, the image and the plugin actually accept: the manifests are
 * rendered by the real kubectl's kustomize; the DaemonSet's options are checked against `ipkeeperd --help`
 * and then run — the built daemon is started with those arguments (the hostPath mounts mapped to
 * temporary directories, `$(NODE_NAME)` expanded as the kubelet does, `--kubeconfig=in-cluster` left out:
 * there is no pod here), its probes are asked, and the built
 * plugin reaches it through the socket path the installed network config names. The server-side dry run
 * on a real API server is test/deploy/dry-run.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseCall, pluginFile } from '../cni-e2e/cni-e2e-support.js';
import { execCni } from '../support/cni-exec.js';
import { DAEMON, REPO, removeDir, tempDir } from '../support/daemon.js';
import {
  type Container,
  type Manifest,
  type PodSpec,
  hostPathOf,
  one,
  podSpecOf,
  renderDeploy,
} from '../support/deploy-manifests.js';
import { KUBECTL, runKubectl } from '../support/kubectl.js';

const skip =
  spawnSync(KUBECTL, ['version', '--client'], { stdio: 'ignore' }).status === 0
    ? undefined
    : `needs kubectl (v1.32, for its built-in kustomize) at ${KUBECTL}`;

/** `ipkeeperd --help`'s options: name → whether it takes a value. */
function helpOptions(): Map<string, boolean> {
  const help = spawnSync(process.execPath, [DAEMON, '--help'], { encoding: 'utf8' }).stdout;
  const options = new Map<string, boolean>();
  for (const m of help.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)(?: (\S+))?(?: {2,}|$)/gm))
    options.set(m[1]!, m[2] !== undefined);
  assert.ok(options.has('--data-dir') && options.has('--help'), `could not read the options of:\n${help}`);
  return options;
}

/** `--name=value` / `--name value` pairs of an argument list, checked against the daemon's options. */
function parseOptions(args: string[], known: Map<string, boolean>): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    assert.ok(known.has(name), `${arg}: ipkeeperd --help has no option ${name}`);
    if (!known.get(name)) continue;
    const value = eq < 0 ? args[++i] : arg.slice(eq + 1);
    assert.ok(value !== undefined && value !== '', `${name} needs a value`);
    out.set(name, value);
  }
  return out;
}

/** GET over HTTPS without a token (probes send none), not verifying the self-signed certificate. */
function probe(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('DEP-2 deploy/ manifests match the daemon, the image and the plugin', { skip }, () => {
  let objects: Manifest[];
  let pod: PodSpec;
  let daemon: Container;
  let init: Container;

  before(async () => {
    objects = await renderDeploy();
    pod = podSpecOf(one(objects, 'DaemonSet', 'ipkeeperd'));
    const d = pod.containers.find((c) => c.name === 'ipkeeperd');
    const i = pod.initContainers?.find((c) => c.name === 'install-cni');
    assert.ok(d && i, 'the DaemonSet has the ipkeeperd container and the install-cni init container');
    [daemon, init] = [d, i];
  });

  test('DEP-2 one namespace for everything namespaced; API versions both kube-apiserver 1.20 and current serve', () => {
    const namespaced = objects.filter(
      (o) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind),
    );
    assert.deepEqual([...new Set(namespaced.map((o) => o.metadata.namespace))], ['ipkeeper']);
    assert.equal(one(objects, 'Namespace').metadata.name, 'ipkeeper');
    for (const o of objects)
      assert.ok(
        ['v1', 'apps/v1', 'rbac.authorization.k8s.io/v1'].includes(o.apiVersion),
        `${o.kind} ${o.apiVersion}`,
      );
    const binding = one(objects, 'ClusterRoleBinding') as Manifest & {
      subjects: { name: string; namespace: string }[];
    };
    assert.deepEqual(
      binding.subjects.map((s) => `${s.namespace}/${s.name}`),
      ['ipkeeper/ipkeeper'],
    );
    assert.equal(pod.serviceAccountName, 'ipkeeper');
    assert.equal(pod.hostNetwork, true, 'on the host network: the node-local API and probes on loopback');
  });

  test('DEP-2 the image is the one scripts/image.sh builds; the init container runs install-cni', () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const c of [daemon, init]) assert.equal(c.image, `localhost/ipkeeper:${version}`);
    assert.equal(daemon.command, undefined, "the image's entry point is ipkeeperd");
    assert.deepEqual(init.command, ['/usr/local/bin/install-cni', 'install']);
    const script = readFileSync(join(REPO, 'scripts/image.sh'), 'utf8');
    assert.match(script, /scripts\/install-cni\.sh "\$root\/usr\/local\/bin\/install-cni"/);
    for (const c of [daemon, init]) {
      assert.ok(
        c.resources?.requests?.['memory'] && c.resources.limits?.['memory'],
        `${c.name}: memory request and limit`,
      );
      assert.ok(
        c.resources?.requests?.['cpu'] && c.resources.limits?.['cpu'],
        `${c.name}: cpu request and limit`,
      );
    }
  });

  test("DEP-2 install-cni: its directories are the node's CNI directories, its config the ConfigMap's conflist, naming the daemon's socket", () => {
    const env = Object.fromEntries((init.env ?? []).map((e) => [e.name, e.value ?? '']));
    assert.equal(hostPathOf(pod, init, env['CNI_BIN_DIR']!), '/opt/cni/bin');
    assert.equal(hostPathOf(pod, init, env['CNI_CONF_DIR']!), '/etc/cni/net.d');
    const source = env['CNI_CONF_SOURCE']!;
    const mount = init.volumeMounts?.find((m) => m.mountPath === dirname(source));
    const volume = pod.volumes?.find((v) => v.name === mount?.name);
    assert.ok(volume?.configMap, `${dirname(source)} is a ConfigMap mount`);
    const configMap = one(objects, 'ConfigMap', volume.configMap.name) as Manifest & {
      data: Record<string, string>;
    };
    const conflist = JSON.parse(configMap.data[basename(source)]!) as {
      plugins: { type: string; ipam?: { type: string; socket?: string } }[];
    };
    const ipam = conflist.plugins.find((p) => p.ipam?.type === 'ipkeeper')?.ipam;
    assert.ok(ipam, 'the conflist uses ipkeeper as an IPAM');
    const socket = parseOptions(daemon.args ?? [], helpOptions()).get('--socket')!;
    assert.equal(
      ipam.socket,
      hostPathOf(pod, daemon, socket),
      "the plugin on the node finds the daemon's socket",
    );
  });

  describe("DEP-2 the daemon runs with the DaemonSet's arguments", () => {
    let dir: string;
    let child: ReturnType<typeof spawn> | undefined;
    let ready: { api: string; socket: string };
    const mapped = new Map<string, string>();

    before(async () => {
      dir = tempDir('ipkeeper-deploy-');
      const options = parseOptions(daemon.args ?? [], helpOptions());
      // Each hostPath the container mounts becomes a directory of ours, as the kubelet would bind it.
      for (const m of daemon.volumeMounts ?? []) {
        mapped.set(m.mountPath, join(dir, m.name));
        mkdirSync(join(dir, m.name));
      }
      const mapPath = (p: string): string => {
        for (const [inside, outside] of mapped)
          if (p.startsWith(`${inside}/`) || p === inside) return outside + p.slice(inside.length);
        assert.fail(`${p} is not under any volume mount of the ipkeeperd container`);
      };
      assert.ok(
        hostPathOf(pod, daemon, options.get('--data-dir')!),
        '--data-dir is on a hostPath: state survives the pod',
      );
      const env: Record<string, string> = { NODE_NAME: 'node-1' };
      // Outside a pod there is no service account: the daemon runs here in standalone mode; the
      // Kubernetes-mode option is checked against --help (parseOptions above) and left out.
      const args = (daemon.args ?? [])
        .filter((a) => a !== '--kubeconfig=in-cluster')
        .map((a) => {
          const expanded = a.replace(
            /\$\((\w+)\)/g,
            (_, v: string) => env[v] ?? assert.fail(`$(${v}) is not set`),
          );
          const [name, value] = [expanded.split('=')[0]!, expanded.slice(expanded.indexOf('=') + 1)];
          if (name === '--data-dir' || name === '--socket') return `${name}=${mapPath(value)}`;
          if (name === '--listen') return `--listen=${value.replace(/:\d+$/, ':0')}`; // the machine is shared
          return expanded;
        });
      child = spawn(process.execPath, [DAEMON, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const line = await new Promise<string>((ok, fail) => {
        let out = '';
        child!.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const l = out.split('\n').find((x) => x.startsWith('ipkeeperd ready '));
          if (l) ok(l);
        });
        child!.once('exit', (code) =>
          fail(new Error(`ipkeeperd ${args.join(' ')} exited ${code}:\n${stderr}`)),
        );
      });
      ready = {
        api: /api=(\S+)/.exec(line)![1]!,
        socket: /socket=(\S+)/.exec(line)![1]!,
      };
    });
    after(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((ok) => child!.once('exit', ok));
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
      if (dir) removeDir(dir);
    });

    test("DEP-2 AGG-4 the probes' host, port and scheme are where the daemon listens; /livez and /readyz answer without a token", async () => {
      const listen = parseOptions(daemon.args ?? [], helpOptions()).get('--listen')!;
      const port = Number(new URL(ready.api).port);
      for (const p of [daemon.startupProbe, daemon.livenessProbe, daemon.readinessProbe]) {
        const get = p?.httpGet;
        assert.ok(get, 'an httpGet probe');
        assert.equal(`${get.host}:${get.port}`, listen);
        assert.equal(get.scheme, 'HTTPS', 'the API is HTTPS only');
        assert.equal(await probe(port, get.path), 200, get.path);
      }
      assert.equal(daemon.readinessProbe?.httpGet?.path, '/readyz');
      assert.equal(daemon.ports?.[0]?.containerPort, Number(listen.split(':')[1]));
    });

    test("DEP-2 the plugin reaches the daemon at the socket the DaemonSet gives it; --node-name comes from the pod's node", async () => {
      assert.equal(
        ready.socket,
        mapped.get(dirname(parseOptions(daemon.args ?? [], helpOptions()).get('--socket')!)) +
          '/ipkeeper.sock',
      );
      const env = {
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: 'deploy-1',
        CNI_NETNS: '/var/run/netns/x',
        CNI_IFNAME: 'eth0',
        CNI_PATH: '/usr/lib/cni',
      };
      const conf = {
        cniVersion: '1.0.0',
        name: 'ipkeeper',
        ipam: { type: 'ipkeeper', socket: ready.socket },
      };
      const add = parseCall(await execCni(pluginFile(), env, JSON.stringify(conf)));
      assert.equal(add.code, 0, add.stdout + add.stderr);
      const dataDir = parseOptions(daemon.args ?? [], helpOptions()).get('--data-dir')!;
      const kubeconfig = join(mapped.get(dataDir)!, 'kubeconfig');
      const r = await runKubectl(['get', 'ip', 'deploy-1.eth0', '-o', 'jsonpath={.spec.nodeName}'], {
        kubeconfig,
      });
      assert.equal(r.stdout, 'node-1', r.stderr);
    });
  });
});
