/**
 * deploy/ and deploy/etcd/ (DEP-2) against what the daemon, the image and the plugin actually accept: the
 * manifests are rendered by the real kubectl's kustomize; each DaemonSet's options are checked against
 * `ipkeeperd --help` and then run — the built daemon is started with those arguments (every volume mount
 * mapped to a temporary directory, `$(VAR)`s expanded from the env as the kubelet does, `--kubeconfig=
 * in-cluster` left out: there is no pod here), its probes are asked, and the built plugin reaches it
 * through the socket path the installed network config names. deploy/etcd/'s daemon runs against a real
 * etcd started here with client TLS, its certificates where the Secret's files would be. The server-side
 * dry run on a real API server is test/deploy/dry-run.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseCall, pluginFile } from '../cni-e2e/cni-e2e-support.js';
import { execCni } from '../support/cni-exec.js';
import { REPO, type RunningDaemon, removeDir, startDaemon, tempDir } from '../support/daemon.js';
import {
  type Container,
  DEPLOY_DIR,
  DEPLOY_ETCD_DIR,
  type Manifest,
  type PodSpec,
  containerEnv,
  expandArgument,
  hostPathOf,
  one,
  parseDaemonArgs,
  podSpecOf,
  renderDeploy,
} from '../support/deploy-manifests.js';
import { type EtcdCluster, etcdMissing } from '../support/etcd.js';
import {
  type EtcdCertificates,
  makeEtcdCertificates,
  readEtcdKey,
  startTlsEtcd,
} from '../support/etcd-tls.js';
import { KUBECTL, runKubectl } from '../support/kubectl.js';

const skip =
  spawnSync(KUBECTL, ['version', '--client'], { stdio: 'ignore' }).status === 0
    ? undefined
    : `needs kubectl (v1.32, for its built-in kustomize) at ${KUBECTL}`;

/** The Secret deploy/etcd/ mounts, and which of its files is which (docs/deploy.md says how to make it). */
const ETCD_SECRET = 'ipkeeper-etcd-client';
const ETCD_SECRET_FILES: Record<string, 'ca.crt' | 'tls.crt' | 'tls.key'> = {
  '--etcd-cacert': 'ca.crt',
  '--etcd-cert': 'tls.crt',
  '--etcd-key': 'tls.key',
};
/** Options whose values are paths inside the container: each must be on one of its volumes. */
const PATH_OPTIONS = ['--data-dir', '--socket', ...Object.keys(ETCD_SECRET_FILES)];

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

/** The DaemonSet's pod, its daemon container and its init container, from rendered objects. */
function daemonSetParts(objects: Manifest[]): { pod: PodSpec; daemon: Container; init: Container } {
  const pod = podSpecOf(one(objects, 'DaemonSet', 'ipkeeperd'));
  const daemon = pod.containers.find((c) => c.name === 'ipkeeperd');
  const init = pod.initContainers?.find((c) => c.name === 'install-cni');
  assert.ok(daemon && init, 'the DaemonSet has the ipkeeperd container and the install-cni init container');
  return { pod, daemon, init };
}

for (const install of [
  { dir: DEPLOY_DIR, label: 'deploy/', etcd: false },
  { dir: DEPLOY_ETCD_DIR, label: 'deploy/etcd/', etcd: true },
])
  describe(`DEP-2 ${install.label} manifests match the daemon, the image and the plugin`, { skip }, () => {
    const { label } = install;
    let objects: Manifest[];
    let pod: PodSpec;
    let daemon: Container;
    let init: Container;

    before(async () => {
      objects = await renderDeploy(install.dir);
      ({ pod, daemon, init } = daemonSetParts(objects));
    });

    test(`DEP-2 ${label}: one namespace for everything namespaced; API versions both kube-apiserver 1.20 and current serve`, () => {
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

    test(`DEP-2 ${label}: the image is the one scripts/image.sh builds; the init container runs install-cni`, () => {
      const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
        version: string;
      };
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

    test(`DEP-2 ${label}: install-cni's directories are the node's CNI directories, its config the ConfigMap's conflist, naming the daemon's socket`, () => {
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
      const socket = parseDaemonArgs(daemon.args ?? []).get('--socket')!;
      assert.equal(
        ipam.socket,
        hostPathOf(pod, daemon, socket),
        "the plugin on the node finds the daemon's socket",
      );
    });

    test(`DEP-2 DUR-6 ${label}: --data-dir is on a hostPath: the node's API token, certificate, kubeconfig and one-daemon lock outlive the pod`, () => {
      const options = parseDaemonArgs(daemon.args ?? []);
      assert.equal(hostPathOf(pod, daemon, options.get('--data-dir')!), '/var/lib/ipkeeper');
    });

    if (!install.etcd)
      test('DEP-2 deploy/ keeps a SQLite store per node: no --store, or --store=sqlite', () => {
        assert.equal(parseDaemonArgs(daemon.args ?? []).get('--store') ?? 'sqlite', 'sqlite');
      });
    else {
      test(`DEP-2 DUR-2 deploy/etcd/: --store=etcd, endpoints and prefix from the ConfigMap ipkeeper-etcd, client TLS from the Secret ${ETCD_SECRET} mounted read-only`, () => {
        const env = containerEnv(objects, daemon, { 'spec.nodeName': 'node-1' });
        const options = parseDaemonArgs((daemon.args ?? []).map((a) => expandArgument(a, env)));
        assert.equal(options.get('--store'), 'etcd');
        const fromConfigMap = (name: string): string | undefined =>
          daemon.env?.find((e) => e.name === name)?.valueFrom?.configMapKeyRef?.name;
        for (const [option, variable] of [
          ['--etcd-endpoints', 'ETCD_ENDPOINTS'],
          ['--etcd-prefix', 'ETCD_PREFIX'],
        ] as const) {
          assert.ok(daemon.args?.includes(`${option}=$(${variable})`), `${option}=$(${variable})`);
          assert.match(fromConfigMap(variable) ?? '', /^ipkeeper-etcd-/, `${variable} from ipkeeper-etcd`);
        }
        // TLS options with http:// endpoints are refused by the daemon: the example must be https://.
        for (const url of options.get('--etcd-endpoints')!.split(','))
          assert.match(url, /^https:\/\/[^/]+:\d+$/, `--etcd-endpoints: ${url}`);
        assert.match(options.get('--etcd-prefix')!, /^\/.*\/$/);
        const volume = pod.volumes?.find((v) => v.secret?.secretName === ETCD_SECRET);
        assert.ok(volume, `a volume of the Secret ${ETCD_SECRET}`);
        const mount = daemon.volumeMounts?.find((m) => m.name === volume.name);
        assert.ok(mount?.readOnly, 'mounted read-only');
        assert.equal((volume.secret!.defaultMode ?? 0o644) & 0o077, 0, 'the key readable by its owner only');
        for (const [option, file] of Object.entries(ETCD_SECRET_FILES))
          assert.equal(options.get(option), `${mount.mountPath}/${file}`, option);
      });

      test('DEP-2 deploy/etcd/ is deploy/ with only the etcd store added', async () => {
        const base = await renderDeploy(DEPLOY_DIR);
        const isEtcdConfig = (o: Manifest): boolean =>
          o.kind === 'ConfigMap' && o.metadata.name.startsWith('ipkeeper-etcd-');
        assert.equal(objects.filter(isEtcdConfig).length, 1, 'one added ConfigMap');
        const rest = objects.filter((o) => !isEtcdConfig(o) && o.kind !== 'DaemonSet');
        assert.deepEqual(
          rest,
          base.filter((o) => o.kind !== 'DaemonSet'),
        );
        // The DaemonSet with the additions taken out is the base's, to the last field.
        const stripped = structuredClone(one(objects, 'DaemonSet'));
        const spec = podSpecOf(stripped);
        const d = spec.containers[0]!;
        d.args = d.args?.filter((a) => !a.startsWith('--store=') && !a.startsWith('--etcd-'));
        d.env = d.env?.filter((e) => !e.name.startsWith('ETCD_'));
        d.volumeMounts = d.volumeMounts?.filter((m) => m.name !== 'etcd-client');
        spec.volumes = spec.volumes?.filter((v) => v.secret?.secretName !== ETCD_SECRET);
        assert.deepEqual(stripped, one(base, 'DaemonSet'));
      });
    }

    describe(
      `DEP-2 ${label}: the daemon runs with the DaemonSet's arguments`,
      {
        skip: install.etcd ? etcdMissing() : undefined,
      },
      () => {
        let dir: string;
        let running: RunningDaemon | undefined;
        let options: Map<string, string>;
        let etcd: { cluster: EtcdCluster; certs: EtcdCertificates } | undefined;
        const mapped = new Map<string, string>();
        const mapPath = (p: string): string => {
          for (const [inside, outside] of mapped)
            if (p.startsWith(`${inside}/`) || p === inside) return outside + p.slice(inside.length);
          assert.fail(`${p} is not under any volume mount of the ipkeeperd container`);
        };

        before(async () => {
          dir = tempDir('ipkeeper-deploy-');
          // Each volume the container mounts becomes a directory of ours, as the kubelet would bind it.
          for (const m of daemon.volumeMounts ?? []) {
            mapped.set(m.mountPath, join(dir, m.name));
            mkdirSync(join(dir, m.name));
          }
          const env = containerEnv(objects, daemon, { 'spec.nodeName': 'node-1' });
          if (install.etcd) {
            mkdirSync(join(dir, 'pki'));
            const certs = makeEtcdCertificates(join(dir, 'pki'));
            etcd = { cluster: await startTlsEtcd(certs), certs };
            // The ConfigMap's example endpoints are not reachable from here (nothing leaves the machine):
            // this test's etcd stands in for them; the prefix is the ConfigMap's.
            env['ETCD_ENDPOINTS'] = etcd.cluster.endpoints.join(',');
          }
          const expanded = (daemon.args ?? []).map((a) => expandArgument(a, env));
          options = parseDaemonArgs(expanded);
          if (etcd) {
            // The Secret's files, where its volume is mounted (the client certificate as tls.crt/tls.key).
            const { ca, client, clientKey } = etcd.certs;
            const source = { 'ca.crt': ca, 'tls.crt': client, 'tls.key': clientKey };
            for (const [option, file] of Object.entries(ETCD_SECRET_FILES))
              copyFileSync(source[file], mapPath(options.get(option)!));
          }
          // Outside a pod there is no service account: the daemon runs here in standalone mode; the
          // Kubernetes-mode option is checked against --help (parseDaemonArgs above) and left out.
          const args = expanded
            .filter((a) => a !== '--kubeconfig=in-cluster')
            .map((a) => {
              const [name, value] = [a.split('=')[0]!, a.slice(a.indexOf('=') + 1)];
              if (PATH_OPTIONS.includes(name)) return `${name}=${mapPath(value)}`;
              if (name === '--listen') return `--listen=${value.replace(/:\d+$/, ':0')}`; // the machine is shared
              return a;
            });
          running = await startDaemon({
            dataDir: mapPath(options.get('--data-dir')!),
            args,
            argsOnly: true,
            timeoutMs: 60_000,
          });
        });
        after(async () => {
          await running?.stop();
          await etcd?.cluster.close();
          if (dir) removeDir(dir);
        });

        test(`DEP-2 AGG-4 ${label}: the probes' host, port and scheme are where the daemon listens; /livez and /readyz answer without a token`, async () => {
          const listen = options.get('--listen')!;
          const port = Number(new URL(running!.api).port);
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

        test(`DEP-2 ${label}: the plugin reaches the daemon at the socket the DaemonSet gives it; --node-name comes from the pod's node`, async () => {
          assert.equal(running!.socket, mapPath(options.get('--socket')!));
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
            ipam: { type: 'ipkeeper', socket: running!.socket },
          };
          const add = parseCall(await execCni(pluginFile(), env, JSON.stringify(conf)));
          assert.equal(add.code, 0, add.stdout + add.stderr);
          const kubeconfig = join(mapPath(options.get('--data-dir')!), 'kubeconfig');
          const r = await runKubectl(['get', 'ip', 'deploy-1.eth0', '-o', 'jsonpath={.spec.nodeName}'], {
            kubeconfig,
          });
          assert.equal(r.stdout, 'node-1', r.stderr);
        });

        test(
          install.etcd
            ? "DEP-2 DUR-1 deploy/etcd/: the allocation is in etcd under the ConfigMap's prefix, no SQLite file on the node"
            : "DEP-2 DUR-1 deploy/: the allocation is in the node's SQLite file under the state hostPath",
          async () => {
            const sqliteFile = join(mapPath(options.get('--data-dir')!), 'ipkeeper.db');
            assert.equal(existsSync(sqliteFile), !install.etcd, sqliteFile);
            if (!etcd) return;
            const key = `${options.get('--etcd-prefix')}s/o/IP/deploy-1.eth0`;
            const stored = await readEtcdKey(etcd.cluster, etcd.certs, key);
            assert.match(stored ?? '', /"nodeName":"node-1"/, `${key} in etcd`);
          },
        );
      },
    );
  });
