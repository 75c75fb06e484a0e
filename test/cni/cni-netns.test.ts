// CNI-6 and friends with real parts: the built plugin executable, Debian's bridge and macvlan plugins,
// real network namespaces. The daemon side is the CNI endpoint with the real service on the memory store
// (test/support/cni-memory-daemon.ts). Skipped only without root or /usr/lib/cni/bridge.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPluginForTest, execCni } from '../support/cni-exec.js';
import {
  NetnsScope,
  addParentLink,
  hasCommand,
  inNetns,
  netnsSkipReason,
  uniqueTag,
} from '../support/cni-netns.js';
import { startMemoryDaemon, type MemoryDaemon } from '../support/cni-memory-daemon.js';

const skip = netnsSkipReason();

describe('CNI with real plugins and network namespaces', { skip }, () => {
  const tag = uniqueTag();
  const bridge = `ipkbr${tag}`;
  const scope = new NetnsScope(`ipk-${tag}`, [bridge]);
  let dir: string;
  let binDir: string;
  let daemon: MemoryDaemon;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ipk-netns-'));
    binDir = join(dir, 'bin');
    mkdirSync(binDir);
    buildPluginForTest(binDir);
    for (const plugin of ['bridge', 'macvlan']) symlinkSync(`/usr/lib/cni/${plugin}`, join(binDir, plugin));
    daemon = await startMemoryDaemon(join(dir, 'run', 'ipkeeper.sock'), {
      defaultSubnet: { name: 'pods', cidrBlock: '10.123.0.0/24,fd12:3::/64' },
      subnets: { flat: '10.124.0.0/24' },
    });
  });

  after(async () => {
    scope.cleanup();
    await daemon?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const netns = (suffix: string): { name: string; path: string } => scope.netns(suffix);

  function env(command: string, containerId: string, nsPath: string, extra: Record<string, string> = {}) {
    return {
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: nsPath,
      CNI_IFNAME: 'eth0',
      CNI_PATH: binDir,
      ...extra,
    };
  }

  function bridgeConf(cniVersion: string, extra: Record<string, unknown> = {}) {
    return {
      cniVersion,
      name: `br-${tag}`,
      type: 'bridge',
      bridge,
      isGateway: true,
      ipam: { type: 'ipkeeper', socket: daemon.socketPath },
      ...extra,
    };
  }

  it('CNI-6 bridge + ipkeeper: address on eth0 in the namespace, gateway answers ping, DEL removes it', async (t) => {
    const ns = netns('a');
    const conf = JSON.stringify(bridgeConf('1.0.0'));
    const add = await execCni(join(binDir, 'bridge'), env('ADD', 'ctr-a', ns.path), conf);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const result = JSON.parse(add.stdout);
    assert.equal(result.ips[0].address, '10.123.0.2/24');
    assert.equal(result.ips[1].address, 'fd12:3::2/64');
    const addr = inNetns(ns.name, 'ip', '-o', 'addr', 'show', 'dev', 'eth0');
    assert.match(addr, /inet 10\.123\.0\.2\/24/);
    assert.match(addr, /inet6 fd12:3::2\/64/);
    assert.match(inNetns(ns.name, 'ip', 'route'), /default via 10\.123\.0\.1 dev eth0/);
    if (hasCommand('ping')) inNetns(ns.name, 'ping', '-c', '1', '-W', '3', '10.123.0.1');
    else t.diagnostic('ping not installed (apt-get install iputils-ping): gateway reachability not checked');

    const del = await execCni(join(binDir, 'bridge'), env('DEL', 'ctr-a', ns.path), conf);
    assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.throws(() => inNetns(ns.name, 'ip', 'link', 'show', 'eth0'));
    assert.equal(daemon.service.size, 0);
  });

  for (const version of ['0.3.1', '0.4.0']) {
    it(`CNI-1 CNI-6 bridge accepts ipkeeper's ${version} result; CHECK via bridge with prevResult`, async () => {
      const ns = netns(`v${version.replace(/\./g, '')}`);
      const conf = bridgeConf(version);
      const add = await execCni(
        join(binDir, 'bridge'),
        env('ADD', `ctr-${version}`, ns.path),
        JSON.stringify(conf),
      );
      assert.equal(add.code, 0, add.stdout + add.stderr);
      const result = JSON.parse(add.stdout);
      assert.equal(result.ips[0].version, '4');
      assert.match(
        inNetns(ns.name, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'),
        /inet 10\.123\.0\.\d+\/24/,
      );
      if (version === '0.4.0') {
        const checkConf = JSON.stringify({ ...conf, prevResult: result });
        const check = await execCni(
          join(binDir, 'bridge'),
          env('CHECK', `ctr-${version}`, ns.path),
          checkConf,
        );
        assert.equal(check.code, 0, check.stdout + check.stderr);
      }
      const del = await execCni(
        join(binDir, 'bridge'),
        env('DEL', `ctr-${version}`, ns.path),
        JSON.stringify(conf),
      );
      assert.equal(del.code, 0, del.stdout);
    });
  }

  it('CNI-6 macvlan + ipkeeper on a parent link', async () => {
    const { parent, cleanup } = addParentLink(tag);
    scope.track(...cleanup);
    const ns = netns('m');
    const conf = JSON.stringify({
      cniVersion: '1.0.0',
      name: `mv-${tag}`,
      type: 'macvlan',
      master: parent,
      mode: 'bridge',
      ipam: { type: 'ipkeeper', socket: daemon.socketPath, subnet: 'flat', default_route: false },
    });
    const add = await execCni(join(binDir, 'macvlan'), env('ADD', 'ctr-m', ns.path), conf);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    assert.deepEqual(JSON.parse(add.stdout).routes ?? [], [], 'default_route: false → no routes');
    assert.match(inNetns(ns.name, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'), /inet 10\.124\.0\.2\/24/);
    const del = await execCni(join(binDir, 'macvlan'), env('DEL', 'ctr-m', ns.path), conf);
    assert.equal(del.code, 0, del.stdout);
    assert.equal(daemon.service.size, 0);
  });

  it('CNI-1 VERSION from the executable', async () => {
    const r = await execCni(join(binDir, 'ipkeeper'), { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.1.0"}');
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout).supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
  });

  it('CNI-5 bad input from the executable: 6, 4, 1, and no state change', async () => {
    const plugin = join(binDir, 'ipkeeper');
    const calls = daemon.service.calls.length;
    const ok = JSON.stringify(bridgeConf('1.0.0'));
    // Unparseable stdin hides ipam.socket from the plugin too, so the socket comes from the environment.
    const socketEnv = { IPKEEPER_SOCKET: daemon.socketPath };
    const malformed = await execCni(
      plugin,
      env('ADD', 'bad-1', '/run/netns/none', socketEnv),
      '{"cniVersion":',
    );
    const noEnv = await execCni(plugin, { CNI_COMMAND: 'ADD', IPKEEPER_SOCKET: daemon.socketPath }, ok);
    const version = await execCni(
      plugin,
      env('ADD', 'bad-3', '/run/netns/none'),
      JSON.stringify(bridgeConf('0.2.0')),
    );
    for (const [r, code] of [
      [malformed, 6],
      [noEnv, 4],
      [version, 1],
    ] as const) {
      assert.equal(r.code, 1, r.stdout);
      assert.equal(JSON.parse(r.stdout).code, code, r.stdout);
    }
    assert.equal(daemon.service.calls.length, calls);
    assert.equal(daemon.service.size, 0);
  });

  it('CNI-5 daemon not running → 11 naming the socket', async () => {
    const socket = join(dir, 'run', 'absent.sock');
    const conf = JSON.stringify({ ...bridgeConf('1.0.0'), ipam: { type: 'ipkeeper', socket } });
    const r = await execCni(join(binDir, 'ipkeeper'), env('ADD', 'ctr-x', '/run/netns/none'), conf);
    assert.equal(r.code, 1);
    const error = JSON.parse(r.stdout);
    assert.equal(error.code, 11);
    assert.ok(error.msg.includes(socket), error.msg);
  });

  it('GC-4 GC from the executable releases attachments not listed', async () => {
    const plugin = join(binDir, 'ipkeeper');
    const before = daemon.service.size;
    const conf = {
      cniVersion: '1.1.0',
      name: `gc-${tag}`,
      ipam: { type: 'ipkeeper', socket: daemon.socketPath },
    };
    for (const id of ['keep', 'drop']) {
      const r = await execCni(plugin, env('ADD', id, '/run/netns/none'), JSON.stringify(conf));
      assert.equal(r.code, 0, r.stdout);
    }
    const gcConf = { ...conf, 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] };
    const gc = await execCni(plugin, { CNI_COMMAND: 'GC', CNI_PATH: binDir }, JSON.stringify(gcConf));
    assert.deepEqual([gc.code, gc.stdout], [0, '']);
    assert.equal(daemon.service.size, before + 1);
    await execCni(plugin, env('DEL', 'keep', '/run/netns/none'), JSON.stringify(conf));
  });
});
