/**
 * CNI end to end with real parts only: Debian's bridge, macvlan and ipvlan plugins delegating to the built
 * `bin/ipkeeper`, a real ipkeeperd, real network namespaces. Assertions read the resulting state: the address
 * inside the namespace, `kubectl get ip`, `kubectl get subnet` counters, the plugin's stdout and exit code.
 * Skipped only without root or /usr/lib/cni/bridge.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execCni } from '../support/cni-exec.js';
import { NetnsScope, addParentLink, hasCommand, inNetns, netnsSkipReason } from '../support/cni-netns.js';
import {
  CniHarness,
  E2E,
  firstAddress,
  macOf,
  parseCall,
  podCniArgs,
  cniPathDir,
  tag as uniqueTag,
  type CniCall,
  type Pod,
} from './cni-e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

const skip = netnsSkipReason() ?? kubectlSkipReason();
// A subnet no other suite uses: bridge with isGateway puts the gateway on a host bridge (host route).
const CIDR = '10.241.0.0/24';
const GATEWAY = '10.241.0.1';

/** `ip -j addr show dev IF` inside a namespace → the IPv4 addresses as `a.b.c.d/len`. */
function addrsIn(ns: string, ifName = 'eth0'): string[] {
  const links = JSON.parse(inNetns(ns, 'ip', '-j', 'addr', 'show', 'dev', ifName)) as {
    addr_info: { family: string; local: string; prefixlen: number }[];
  }[];
  return links.flatMap((l) =>
    l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
  );
}

function linkExists(ns: string, ifName = 'eth0'): boolean {
  try {
    inNetns(ns, 'ip', 'link', 'show', ifName);
    return true;
  } catch {
    return false;
  }
}

describe('CNI e2e: Debian plugins + bin/ipkeeper + real ipkeeperd in network namespaces', { skip }, () => {
  const t = uniqueTag();
  const bridgeName = `ipkb${t}`;
  const scope = new NetnsScope(`ipke-${t}`, [bridgeName]);
  let e: E2E;
  let h: CniHarness;
  let dir: string;
  let binDir: string;

  before(async () => {
    e = await E2E.start({ args: ['--default-subnet', CIDR] });
    h = new CniHarness(e, `br-${t}`);
    // The runtime's CNI_PATH: the main plugins and ipkeeper side by side, as installed on a node.
    ({ dir, binDir } = cniPathDir(h.plugin, ['bridge', 'macvlan']));
  });

  after(async () => {
    scope.cleanup();
    await e?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const netns = (suffix: string): { name: string; path: string } => scope.netns(suffix);

  function env(command: string, containerId: string, nsPath: string, pod?: Pod): Record<string, string> {
    return {
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: nsPath,
      CNI_IFNAME: 'eth0',
      CNI_PATH: binDir,
      ...(pod ? { CNI_ARGS: podCniArgs(pod, containerId) } : {}),
    };
  }

  function bridgeConf(cniVersion: string): Record<string, unknown> {
    return {
      cniVersion,
      name: h.network,
      type: 'bridge',
      bridge: bridgeName,
      isGateway: true,
      ipam: { type: 'ipkeeper', socket: h.socket },
    };
  }

  async function viaBridge(
    command: string,
    cid: string,
    nsPath: string,
    conf: object,
    pod?: Pod,
  ): Promise<CniCall> {
    return parseCall(
      await execCni(join(binDir, 'bridge'), env(command, cid, nsPath, pod), JSON.stringify(conf)),
    );
  }

  test('CNI-6 CNI-2 IPR-10 ENG-4 GC-2 bridge: address on eth0, gateway pings, IP object from CNI_ARGS, ADD twice idempotent, DEL releases', async (tc) => {
    const ns = netns('a');
    const pod: Pod = { namespace: 'web', name: `nginx-${t}`, uid: `uid-${t}` };
    const cid = `ctr-a-${t}`;
    const used0 = await h.used('ovn-default');
    const conf = bridgeConf('1.0.0');

    const add = await viaBridge('ADD', cid, ns.path, conf, pod);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const address = firstAddress(add.json);
    assert.equal(add.json.ips![0]!.gateway, GATEWAY);
    // CNI-6: the address the daemon gave is on eth0 inside the namespace, the default route via the gateway.
    assert.deepEqual(addrsIn(ns.name), [`${address}/24`]);
    assert.match(
      inNetns(ns.name, 'ip', 'route'),
      new RegExp(`default via ${GATEWAY.replace(/\./g, '\\.')} dev eth0`),
    );
    if (hasCommand('ping')) inNetns(ns.name, 'ping', '-c', '1', '-W', '3', GATEWAY);
    else tc.diagnostic('ping not installed: gateway reachability not checked');

    // IPR-10 / CNI-2: the pod's allocation is an IP object named pod.namespace, podName/namespace from CNI_ARGS.
    const ip = await h.ip(`${pod.name}.${pod.namespace}`);
    assert.ok(ip, 'IP object of the pod');
    assert.equal(ip.metadata.labels?.['ovn.kubernetes.io/ip_reserved'], 'false');
    assert.equal(ip.spec['podName'], pod.name);
    assert.equal(ip.spec['namespace'], pod.namespace);
    assert.equal(ip.spec['containerID'], cid);
    assert.equal(ip.spec['v4IpAddress'], address);
    assert.equal(ip.spec['subnet'], 'ovn-default');
    assert.equal(await h.used('ovn-default'), used0 + 1);

    // ENG-4: ADD again for the same attachment (the runtime retrying) returns the same address and MAC and
    // changes nothing. Through the plugin directly: bridge itself refuses a second eth0 in the namespace.
    const again = await h.add({ containerId: cid, netns: ns.path, pod });
    assert.equal(again.code, 0, again.stdout);
    assert.equal(firstAddress(again.json), address);
    // STA-2: bridge alone puts no IPAM MAC on eth0, and this config declares no MAC step: none recorded.
    assert.equal(macOf(again.json), undefined);
    assert.equal(ip.spec['macAddress'], '');
    assert.equal(
      (await h.ip(`${pod.name}.${pod.namespace}`))!.metadata.resourceVersion,
      ip.metadata.resourceVersion,
    );
    assert.equal(await h.used('ovn-default'), used0 + 1);

    // GC-2: DEL removes the interface, the IP object and the count.
    const del = await viaBridge('DEL', cid, ns.path, conf, pod);
    assert.deepEqual([del.code, del.stdout], [0, ''], del.stderr);
    assert.equal(linkExists(ns.name), false, 'eth0 is gone');
    assert.equal(await h.ip(`${pod.name}.${pod.namespace}`), undefined, 'the IP object is gone');
    assert.equal(await h.used('ovn-default'), used0);
    // DEL of nothing succeeds.
    const delAgain = await viaBridge('DEL', cid, ns.path, conf, pod);
    assert.equal(delAgain.code, 0, delAgain.stdout);
  });

  for (const version of ['0.3.1', '0.4.0', '1.0.0']) {
    test(`CNI-1 CNI-6 bridge with cniVersion ${version}: result shape, address in the namespace, CHECK, DEL`, async () => {
      const ns = netns(`v${version.replace(/\./g, '')}`);
      const cid = `ctr-v${version}-${t}`;
      const conf = bridgeConf(version);
      const add = await viaBridge('ADD', cid, ns.path, conf);
      assert.equal(add.code, 0, add.stdout + add.stderr);
      assert.equal(add.json.cniVersion, version);
      const first = add.json.ips![0]!;
      if (version.startsWith('0.')) assert.equal(first.version, '4');
      else assert.equal(first.version, undefined, '1.x results have no ips[].version');
      assert.deepEqual(addrsIn(ns.name), [first.address]);
      // CNI-2: without K8S args the owner is the container: IP object containerid.ifname.
      const ip = await h.ip(`${cid.toLowerCase()}.eth0`);
      assert.equal(ip?.spec['v4IpAddress'], firstAddress(add.json));
      if (version !== '0.3.1') {
        const check = await viaBridge('CHECK', cid, ns.path, { ...conf, prevResult: add.json });
        assert.deepEqual([check.code, check.stdout], [0, ''], check.stderr);
      }
      const del = await viaBridge('DEL', cid, ns.path, conf);
      assert.equal(del.code, 0, del.stdout);
      assert.equal(await h.ip(`${cid.toLowerCase()}.eth0`), undefined);
    });
  }

  test('CNI-1 1.1.0 by calling bin/ipkeeper: VERSION, ADD, CHECK, STATUS, GC keeps the listed attachment, DEL', async () => {
    const cid = `ctr-11-${t}`;
    const network = `v11-${t}`;
    const a = { containerId: cid, network, cniVersion: '1.1.0' };
    const version = await h.raw({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.1.0"}');
    assert.equal(version.code, 0);
    assert.deepEqual(version.json['supportedVersions'], ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);

    const add = await h.add(a);
    assert.equal(add.code, 0, add.stdout);
    assert.equal(add.json.cniVersion, '1.1.0');
    const address = firstAddress(add.json);
    const check = await h.call('CHECK', a, { prevResult: add.json });
    assert.deepEqual([check.code, check.stdout], [0, ''], check.stderr);
    const status = await h.raw({ CNI_COMMAND: 'STATUS' }, JSON.stringify(h.conf(a)));
    assert.deepEqual([status.code, status.stdout], [0, ''], status.stderr);
    // STATUS of a network whose subnet does not exist: ADD cannot be served → 50.
    const badStatus = await h.raw(
      { CNI_COMMAND: 'STATUS' },
      JSON.stringify(h.conf({ ...a, ipam: { subnet: 'absent' } })),
    );
    assert.equal(badStatus.json.code, 50, badStatus.stdout);

    const gcConf = { ...h.conf(a), 'cni.dev/valid-attachments': [{ containerID: cid, ifname: 'eth0' }] };
    const gc = await h.raw({ CNI_COMMAND: 'GC', CNI_PATH: binDir }, JSON.stringify(gcConf));
    assert.deepEqual([gc.code, gc.stdout], [0, ''], gc.stderr);
    assert.equal((await h.ip(`${cid}.eth0`))?.spec['v4IpAddress'], address, 'GC keeps a listed attachment');

    await h.delOk(a);
    assert.equal(await h.ip(`${cid}.eth0`), undefined);
    const after = await h.call('CHECK', a, { prevResult: add.json });
    assert.equal(after.json.code, 110, `CHECK after DEL: ${after.stdout}`);
  });

  // macvlan only: this kernel has no ipvlan module (EOPNOTSUPP), and ipvlan talks to ipkeeper the same way.
  for (const kind of ['macvlan'] as const) {
    test(`CNI-6 ${kind} on a veth parent: address on eth0 in the namespace, DEL releases`, async () => {
      const { parent, cleanup } = addParentLink(`${t}${kind[0]}`);
      scope.track(...cleanup);
      const ns = netns(kind[0]!);
      const cid = `ctr-${kind}-${t}`;
      const conf = {
        cniVersion: '1.0.0',
        name: `${kind}-${t}`,
        type: kind,
        master: parent,
        mode: 'bridge',
        ipam: { type: 'ipkeeper', socket: h.socket, default_route: false },
      };
      const used0 = await h.used('ovn-default');
      const add = parseCall(
        await execCni(join(binDir, kind), env('ADD', cid, ns.path), JSON.stringify(conf)),
      );
      assert.equal(add.code, 0, add.stdout + add.stderr);
      assert.deepEqual(add.json.routes ?? [], [], 'default_route: false → no routes');
      assert.deepEqual(addrsIn(ns.name), [add.json.ips![0]!.address]);
      assert.equal(await h.used('ovn-default'), used0 + 1);
      const del = parseCall(
        await execCni(join(binDir, kind), env('DEL', cid, ns.path), JSON.stringify(conf)),
      );
      assert.equal(del.code, 0, del.stdout + del.stderr);
      assert.equal(await h.used('ovn-default'), used0);
      assert.equal(await h.ip(`${cid}.eth0`), undefined);
    });
  }
});
