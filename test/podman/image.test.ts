/**
 * The daemon's OCI image (scripts/image.sh: from scratch, this machine's Node.js, dist/, production
 * node_modules, the CNI plugin and its installer) run by Debian's podman with runc, on the host network as
 * the DaemonSet runs it: it prints its ready line, answers the real kubectl, keeps its state in a mounted
 * directory across a container restart, and `install-cni` (the DaemonSet's init container) puts a plugin
 * on the "node" that works against it and takes away exactly what it put there.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pluginFile, parseCall } from '../cni-e2e/cni-e2e-support.js';
import { execCni } from '../support/cni-exec.js';
import { uniqueTag } from '../support/cni-netns.js';
import { removeDir, tempDir } from '../support/daemon.js';
import { runKubectl } from '../support/kubectl.js';
import { Podman, podmanSkipReason } from '../support/podman.js';

const READY = /^ipkeeperd ready api=(\S+) socket=(\S+) kubeconfig=(\S+)$/;
const skip = podmanSkipReason();

describe('the daemon image under podman', { skip }, () => {
  const t = uniqueTag();
  const name = `ipkeeperd-${t}`;
  let podman: Podman;
  let image: string;
  /** Host directories mounted as the container's /var/lib/ipkeeper and /run/ipkeeper. */
  let host: string;
  const state = (): string => join(host, 'state');
  const socket = (): string => join(host, 'run', 'ipkeeper.sock');

  before(async () => {
    podman = Podman.create();
    image = await podman.loadDaemonImage();
    host = tempDir('ipkeeper-image-');
    for (const d of ['state', 'run', 'node-bin', 'node-net.d', 'cni-src']) mkdirSync(join(host, d));
  });
  after(async () => {
    await podman?.cleanup();
    if (host) removeDir(host);
  });

  /** The ready lines the container printed so far (one per start). */
  async function readyLines(): Promise<string[]> {
    const logs = await podman.podman(['logs', name]);
    return logs.stdout.split('\n').filter((l) => READY.test(l));
  }

  /** Waits until the container printed its `count`-th ready line; returns it. */
  async function waitReady(count: number): Promise<string> {
    for (let i = 0; i < 1200; i++) {
      const lines = await readyLines();
      if (lines.length >= count) return lines[count - 1]!;
      const st = (await podman.ok(['inspect', '--format', '{{.State.Status}}', name])).trim();
      if (st === 'exited') {
        const logs = await podman.podman(['logs', name]);
        assert.fail(`the daemon container exited before ready:\n${logs.stdout}${logs.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`no ready line #${count} from ${name}`);
  }

  async function kubectl(...args: string[]): Promise<string> {
    const r = await runKubectl(args, { kubeconfig: join(state(), 'kubeconfig') });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.stderr}`);
    return r.stdout;
  }

  test('DEP-1 the image runs Node.js >= 20 from scratch; the daemon starts, prints its ready line and answers kubectl', async (tc) => {
    const node = await podman.run([
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      '/usr/bin/node',
      image,
      '--version',
    ]);
    assert.equal(node.code, 0, node.stderr);
    assert.ok(Number(/^v(\d+)\./.exec(node.stdout)?.[1]) >= 20, `node in the image: ${node.stdout}`);

    const started = Date.now();
    const r = await podman.run([
      '-d',
      '--name',
      name,
      '--network',
      'host',
      // As deploy/base/daemonset.yaml runs it: read-only root file system, no capabilities.
      '--read-only',
      '--cap-drop',
      'ALL',
      '-v',
      `${state()}:/var/lib/ipkeeper`,
      '-v',
      `${join(host, 'run')}:/run/ipkeeper`,
      image,
      '--data-dir',
      '/var/lib/ipkeeper',
      '--socket',
      '/run/ipkeeper/ipkeeper.sock',
      '--listen',
      '127.0.0.1:0',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const ready = READY.exec(await waitReady(1))!;
    tc.diagnostic(`podman run to ready line: ${Date.now() - started} ms`);
    assert.equal(ready[2], '/run/ipkeeper/ipkeeper.sock');
    assert.equal(ready[3], '/var/lib/ipkeeper/kubeconfig');
    const subnets = JSON.parse(await kubectl('get', 'subnets', '-o', 'json')) as {
      items: { metadata: { name: string } }[];
    };
    assert.deepEqual(
      subnets.items.map((s) => s.metadata.name),
      ['ovn-default'],
    );
    const size = (await podman.ok(['image', 'inspect', '--format', '{{.Size}}', image])).trim();
    tc.diagnostic(`image size: ${(Number(size) / 1e6).toFixed(1)} MB`);
  });

  test('DEP-1 install-cni (the init container) puts the plugin and the conflist on the node; the plugin works; uninstall removes only those', async () => {
    const bin = join(host, 'node-bin');
    const netd = join(host, 'node-net.d');
    // What the node already has, which the install must leave alone.
    writeFileSync(join(bin, 'bridge'), 'not ours');
    writeFileSync(join(netd, '87-podman-bridge.conflist'), '{}');
    const conflist = {
      cniVersion: '1.0.0',
      name: 'ipkeeper',
      plugins: [{ type: 'bridge', bridge: 'ipkeeper0', ipam: { type: 'ipkeeper', socket: socket() } }],
    };
    writeFileSync(join(host, 'cni-src', '10-ipkeeper.conflist'), JSON.stringify(conflist));
    const installer = (command: string): Promise<{ code: number; stdout: string; stderr: string }> =>
      podman.run([
        '--rm',
        '--network',
        'none',
        '-v',
        `${bin}:/host/opt/cni/bin`,
        '-v',
        `${netd}:/host/etc/cni/net.d`,
        '-v',
        `${join(host, 'cni-src')}:/etc/ipkeeper/cni:ro`,
        '--entrypoint',
        '/usr/local/bin/install-cni',
        image,
        command,
      ]);

    const install = await installer('install');
    assert.equal(install.code, 0, install.stderr);
    assert.deepEqual(readdirSync(bin).sort(), ['bridge', 'ipkeeper']);
    assert.deepEqual(readdirSync(netd).sort(), ['10-ipkeeper.conflist', '87-podman-bridge.conflist']);
    assert.deepEqual(JSON.parse(readFileSync(join(netd, '10-ipkeeper.conflist'), 'utf8')), conflist);
    assert.ok(
      readFileSync(join(bin, 'ipkeeper')).equals(readFileSync(pluginFile())),
      'the installed plugin is bin/ipkeeper as built',
    );

    // The plugin copied out of the image, exec'd as a runtime would, against the daemon in the container.
    const plugin = join(bin, 'ipkeeper');
    const env = (command: string): Record<string, string> => ({
      CNI_COMMAND: command,
      CNI_CONTAINERID: `image-${t}`,
      CNI_NETNS: `/var/run/netns/image-${t}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: bin,
    });
    const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'ipkeeper', ipam: conflist.plugins[0]!.ipam });
    const version = parseCall(await execCni(plugin, env('VERSION'), conf));
    assert.equal(version.code, 0, version.stdout + version.stderr);
    assert.ok((version.json['supportedVersions'] as string[]).includes('1.0.0'));
    const add = parseCall(await execCni(plugin, env('ADD'), conf));
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const address = add.json.ips?.[0]?.address.split('/')[0];
    const ip = JSON.parse(await kubectl('get', 'ip', `image-${t}.eth0`, '-o', 'json')) as {
      spec: Record<string, unknown>;
    };
    assert.equal(ip.spec['v4IpAddress'], address);

    const uninstall = await installer('uninstall');
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assert.deepEqual(readdirSync(bin), ['bridge']);
    assert.deepEqual(readdirSync(netd), ['87-podman-bridge.conflist']);
    assert.equal(readFileSync(join(bin, 'bridge'), 'utf8'), 'not ours');
  });

  test('DUR-1 the state lives in the mounted directory: after a container restart the reservation and the attachment keep their addresses', async () => {
    const reservation = {
      apiVersion: 'kubeovn.io/v1',
      kind: 'IP',
      metadata: { name: 'keep.default' },
      spec: { subnet: 'ovn-default', podName: 'keep', namespace: 'default' },
    };
    const r = await runKubectl(['apply', '-f', '-'], {
      kubeconfig: join(state(), 'kubeconfig'),
      input: JSON.stringify(reservation),
    });
    assert.equal(r.code, 0, r.stderr);
    const before = JSON.parse(await kubectl('get', 'ips', '-o', 'json')) as {
      items: { metadata: { name: string }; spec: Record<string, unknown> }[];
    };
    const held = Object.fromEntries(before.items.map((o) => [o.metadata.name, o.spec['v4IpAddress']]));
    assert.ok(held['keep.default'], 'the reservation has an address');
    assert.ok(held[`image-${t}.eth0`], 'the CNI attachment of the previous test is there');

    await podman.ok(['restart', '--time', '30', name]);
    await waitReady(2);
    const after = JSON.parse(await kubectl('get', 'ips', '-o', 'json')) as typeof before;
    assert.deepEqual(
      Object.fromEntries(after.items.map((o) => [o.metadata.name, o.spec['v4IpAddress']])),
      held,
    );
    const exits = await podman.ok(['stop', '--time', '30', name]);
    assert.match(exits, new RegExp(name));
    const code = (await podman.ok(['inspect', '--format', '{{.State.ExitCode}}', name])).trim();
    assert.equal(code, '0', 'SIGTERM stops the daemon cleanly (it is PID 1 in the container)');
  });
});
