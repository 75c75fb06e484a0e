/**
 * STA-2 for real: the MAC a pod's interface has is the MAC its IP object claims. Debian's bridge (and ipvlan)
 * with ipkeeper as IPAM, in real network namespaces, against a real ipkeeperd; the conflist run as a
 * runtime runs it. With the chained `{"type": "ipkeeper"}` step, which delegates to Debian's tuning, eth0
 * carries exactly the recorded MAC (static from the pod annotation, or random); without it no MAC is
 * recorded and a requested one is refused with the fix. CHECK and DEL go through the chain.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ConfListRunner, type ChainCall, type ConfList } from '../support/cni-conflist.js';
import { NetnsScope, addParentLink, inNetns, netnsSkipReason, sh } from '../support/cni-netns.js';
import { CniHarness, E2E, cniPathDir, podCniArgs, tag as uniqueTag, type Pod } from './cni-e2e-support.js';

const skip =
  netnsSkipReason() ??
  (existsSync('/usr/lib/cni/tuning')
    ? undefined
    : 'needs Debian containernetworking-plugins (/usr/lib/cni/tuning)');
// Subnets no other suite uses; bridge with isGateway puts the gateway on the host bridge.
const CIDR = '10.243.0.0/24';
const ANNOTATIONS = 'io.kubernetes.cri.pod-annotations';
const MAC_ANNOTATION = 'ovn.kubernetes.io/mac_address';

/** The MAC of `ifName` inside the namespace, as the kernel has it. */
function macIn(ns: string, ifName = 'eth0'): string {
  const [link] = JSON.parse(inNetns(ns, 'ip', '-j', 'link', 'show', 'dev', ifName)) as { address: string }[];
  return link!.address;
}

describe('CNI e2e STA-2: the MAC on the interface is the MAC on the IP object', { skip }, () => {
  const t = uniqueTag();
  const bridgeName = `ipkm${t}`;
  const scope = new NetnsScope(`ipkm-${t}`, [bridgeName]);
  let e: E2E;
  let h: CniHarness;
  let dir: string;
  let binDir: string;

  before(async () => {
    e = await E2E.start({ args: ['--default-subnet', CIDR] });
    h = new CniHarness(e, `mac-${t}`);
    // The node's CNI_PATH: ipkeeper beside Debian's plugins, tuning among them.
    ({ dir, binDir } = cniPathDir(h.plugin, ['bridge', 'ipvlan', 'tuning']));
  });

  after(async () => {
    scope.cleanup();
    await e?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** bridge with ipkeeper as IPAM; `chained` adds the ipkeeper step and declares it in ipam (docs/cni.md). */
  function bridgeList(chained: boolean): ConfList {
    const bridge = {
      type: 'bridge',
      bridge: bridgeName,
      isGateway: true,
      capabilities: { [ANNOTATIONS]: true, mac: true },
      ipam: { type: 'ipkeeper', socket: h.socket, ...(chained ? { mac: 'chained' } : {}) },
    };
    const step = { type: 'ipkeeper', socket: h.socket };
    return { cniVersion: '1.0.0', name: h.network, plugins: chained ? [bridge, step] : [bridge] };
  }

  const podCall = (pod: Pod, ns: string, annotations: Record<string, string> = {}): ChainCall => ({
    containerId: `ctr-${pod.name}`,
    netns: ns,
    cniArgs: podCniArgs(pod, `ctr-${pod.name}`),
    capabilityArgs: { [ANNOTATIONS]: annotations },
  });

  test('STA-2 bridge + chained ipkeeper/tuning: the annotated MAC is on eth0 and on the IP object; CHECK; DEL through the chain', async () => {
    const chain = new ConfListRunner(bridgeList(true), binDir);
    const ns = scope.netns('static');
    const pod: Pod = { namespace: 'default', name: `static-${t}` };
    const call = podCall(pod, ns.path, { [MAC_ANNOTATION]: '00:00:00:53:6B:B6' });

    const add = await chain.add(call);
    assert.equal(add.code, 0, `${add.plugin}: ${add.stdout}${add.stderr}`);
    assert.equal(add.plugin, 'ipkeeper', 'the chained step ran last');
    const ip = await e.must('ip', `${pod.name}.${pod.namespace}`);
    assert.equal(ip.spec['macAddress'], '00:00:00:53:6b:b6');
    assert.equal(macIn(ns.name), '00:00:00:53:6b:b6', 'eth0 has the MAC the IP object claims');
    // The chain's result reports it too (tuning rewrote the sandbox interface's MAC).
    const result = JSON.parse(add.stdout) as {
      interfaces: { name: string; mac: string; sandbox?: string }[];
    };
    assert.equal(result.interfaces.find((i) => i.name === 'eth0' && i.sandbox)?.mac, '00:00:00:53:6b:b6');

    const check = await chain.check(call);
    assert.deepEqual([check.code, check.stdout], [0, ''], `${check.plugin}: ${check.stdout}${check.stderr}`);
    // CHECK really looks: another MAC on eth0 fails the chain.
    inNetns(ns.name, 'ip', 'link', 'set', 'dev', 'eth0', 'address', '02:00:00:00:00:99');
    const drifted = await chain.check(call);
    assert.notEqual(drifted.code, 0, 'CHECK must fail when eth0 lost its MAC');
    // bridge notices first; the chained step, asked alone, notices too (through tuning's CHECK).
    const step = await chain.runOne('CHECK', 1, call);
    assert.equal(step.code, 1, step.stdout);
    assert.match(step.stdout, /00:00:00:53:6b:b6/);
    inNetns(ns.name, 'ip', 'link', 'set', 'dev', 'eth0', 'address', '00:00:00:53:6b:b6');

    const del = await chain.del(call);
    assert.deepEqual([del.code, del.stdout], [0, ''], `${del.plugin}: ${del.stdout}${del.stderr}`);
    assert.equal(await e.get('ip', `${pod.name}.${pod.namespace}`), undefined, 'the IP object is gone');
    assert.throws(() => macIn(ns.name), 'eth0 is gone');
  });

  test('STA-2 bridge + chained step, no MAC asked: the random MAC given is the one on eth0', async () => {
    const chain = new ConfListRunner(bridgeList(true), binDir);
    const ns = scope.netns('random');
    const pod: Pod = { namespace: 'default', name: `random-${t}` };
    const call = podCall(pod, ns.path);
    const add = await chain.add(call);
    assert.equal(add.code, 0, `${add.plugin}: ${add.stdout}${add.stderr}`);
    const mac = String((await e.must('ip', `${pod.name}.${pod.namespace}`)).spec['macAddress']);
    assert.match(mac, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/, 'a locally administered unicast MAC (ENG-6)');
    assert.equal(macIn(ns.name), mac);
    assert.equal((await chain.del(call)).code, 0);
  });

  test('STA-2 bridge without the chained step: no MAC recorded; mac_address refused with the fix, nothing allocated', async () => {
    const chain = new ConfListRunner(bridgeList(false), binDir);
    const ns = scope.netns('plain');
    const pod: Pod = { namespace: 'default', name: `plain-${t}` };
    const add = await chain.add(podCall(pod, ns.path));
    assert.equal(add.code, 0, `${add.plugin}: ${add.stdout}${add.stderr}`);
    assert.equal((await e.must('ip', `${pod.name}.${pod.namespace}`)).spec['macAddress'], '');
    assert.equal((await chain.del(podCall(pod, ns.path))).code, 0);

    const refusedNs = scope.netns('refused');
    const refusedPod: Pod = { namespace: 'default', name: `refused-${t}` };
    const before = await e.snapshot();
    const refused = await chain.add(
      podCall(refusedPod, refusedNs.path, { [MAC_ANNOTATION]: '00:00:00:53:6B:B7' }),
    );
    assert.equal(refused.code, 1);
    assert.equal(refused.plugin, 'bridge', 'the error reaches the runtime through the main plugin');
    const err = JSON.parse(refused.stdout) as { code: number; msg: string };
    assert.equal(err.code, 7);
    assert.match(err.msg, /ovn\.kubernetes\.io\/mac_address asks for MAC 00:00:00:53:6b:b7/);
    assert.match(err.msg, /add \{"type": "ipkeeper"\} after the main plugin .*"mac": "chained"/);
    assert.equal(await e.snapshot(), before, 'nothing allocated or changed');
    // The runtime cleans up a failed ADD with DEL, which succeeds and leaves nothing behind.
    const cleanup = await chain.del(podCall(refusedPod, refusedNs.path));
    assert.equal(cleanup.code, 0, cleanup.stdout);
    assert.throws(() => macIn(refusedNs.name), 'eth0 is gone');
  });

  test("STA-2 ipvlan (its interfaces carry the parent's MAC): no MAC recorded; eth0 has the parent's", async (tc) => {
    const { parent, cleanup } = addParentLink(t);
    scope.track(...cleanup);
    const probe = `ipkp${t}`;
    if (spawnSync('ip', ['link', 'add', probe, 'link', parent, 'type', 'ipvlan']).status !== 0) {
      tc.skip('this kernel has no ipvlan');
      return;
    }
    sh('ip', 'link', 'del', probe);
    const list: ConfList = {
      cniVersion: '1.0.0',
      name: h.network,
      plugins: [{ type: 'ipvlan', master: parent, ipam: { type: 'ipkeeper', socket: h.socket } }],
    };
    const chain = new ConfListRunner(list, binDir);
    const ns = scope.netns('ipvlan');
    const pod: Pod = { namespace: 'default', name: `ipvlan-${t}` };
    const add = await chain.add(podCall(pod, ns.path));
    assert.equal(add.code, 0, `${add.plugin}: ${add.stdout}${add.stderr}`);
    assert.equal((await e.must('ip', `${pod.name}.${pod.namespace}`)).spec['macAddress'], '');
    const [parentLink] = JSON.parse(sh('ip', '-j', 'link', 'show', 'dev', parent)) as { address: string }[];
    assert.equal(macIn(ns.name), parentLink!.address, "an ipvlan interface has its parent's MAC");
    assert.equal((await chain.del(podCall(pod, ns.path))).code, 0);
  });
});
