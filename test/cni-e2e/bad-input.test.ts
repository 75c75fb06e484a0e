/**
 * CNI-5, SEC-2 over the real plugin and a real daemon: bad stdin, bad environment, unsupported versions and
 * invalid annotations give the documented code (docs/cni.md) and change NOTHING — every object of every kind,
 * statuses included, reads back the same through kubectl — and the daemon keeps serving. An unreachable
 * daemon is 11, naming the socket.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir, removeDir } from '../support/daemon.js';
import { CniHarness, E2E, firstAddress, type CniCall } from './cni-e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

const ADD_ENV = {
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'bad-1',
  CNI_NETNS: '/var/run/netns/bad',
  CNI_IFNAME: 'eth0',
};
const POD_ARGS = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=bad-pod;K8S_POD_UID=u-bad';

describe('CNI e2e: bad input changes nothing', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  let h: CniHarness;
  let snapshot: string;

  before(async () => {
    e = await E2E.start();
    h = new CniHarness(e, 'bad');
    // Some state to leave alone: an allocation, a reservation and a pool.
    await h.addOk({ containerId: 'existing', network: 'bad' });
    await e.ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'kubeovn.io/v1',
        kind: 'IP',
        metadata: { name: 'kept.default' },
        spec: { subnet: 'ovn-default', namespace: 'default', podName: 'kept' },
      }),
    );
  });
  after(() => e?.close());

  /** The call fails with `code`, the daemon is alive, and kubectl reads back exactly the state before. */
  async function refused(call: () => Promise<CniCall>, code: number, msg?: RegExp): Promise<CniCall> {
    snapshot = await e.snapshot();
    const r = await call();
    assert.equal(r.code, 1, `exit status 1 expected: ${r.stdout}${r.stderr}`);
    assert.equal(r.json.code, code, r.stdout);
    assert.equal(typeof r.json.msg, 'string');
    if (msg) assert.match(r.json.msg!, msg);
    assert.equal(e.daemon.process.exitCode, null, 'the daemon is still running');
    assert.equal(await e.snapshot(), snapshot, 'no state change');
    return r;
  }

  const conf = (extra: Record<string, unknown> = {}, ipam: Record<string, unknown> = {}): string =>
    JSON.stringify({ ...h.conf({}), ...extra, ipam: { type: 'ipkeeper', socket: h.socket, ...ipam } });
  /** The ADD of a pod with these annotations (passed by the runtime in runtimeConfig). */
  const withAnnotations = (annotations: Record<string, unknown>): Promise<CniCall> =>
    h.raw(
      { ...ADD_ENV, CNI_ARGS: POD_ARGS },
      conf({ runtimeConfig: { 'io.kubernetes.cri.pod-annotations': annotations } }),
    );

  test('CNI-5 SEC-2 malformed stdin → 6, whatever the socket (the plugin decides it; issue 7 item 5)', async () => {
    for (const stdin of ['hello}{garbage', '', '[1,2]']) await refused(() => h.raw(ADD_ENV, stdin), 6);
    const env = { ...ADD_ENV, IPKEEPER_SOCKET: h.socket }; // and with the daemon reachable
    await refused(() => h.raw(env, '{"cniVersion":'), 6);
    await refused(() => h.raw(env, '["not", "an", "object"]'), 6);
    await refused(() => h.raw(env, ''), 6);
    await refused(() => h.raw(ADD_ENV, conf({ cniVersion: 'one.zero' })), 6);
  });

  test('CNI-5 missing environment → 4 naming each variable', async () => {
    const none = await refused(() => h.raw({ CNI_COMMAND: 'ADD' }, conf()), 4);
    for (const name of ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'])
      assert.ok(none.json.msg!.includes(name), none.json.msg);
    const noIf = await refused(() => h.raw({ ...ADD_ENV, CNI_IFNAME: '' }, conf()), 4);
    assert.match(noIf.json.msg!, /CNI_IFNAME/);
    assert.doesNotMatch(noIf.json.msg!, /CNI_CONTAINERID/);
    await refused(() => h.raw({ ...ADD_ENV, CNI_COMMAND: 'FROB' }, conf()), 4, /CNI_COMMAND/);
    await refused(() => h.raw({ ...ADD_ENV, CNI_ARGS: 'K8S_POD_NAME' }, conf()), 4, /CNI_ARGS/);
  });

  test('CNI-1 CNI-5 unsupported version → 1 (also a missing one, and commands the version lacks)', async () => {
    await refused(() => h.raw(ADD_ENV, conf({ cniVersion: '0.2.0' })), 1);
    await refused(() => h.raw(ADD_ENV, conf({ cniVersion: '2.0.0' })), 1);
    await refused(() => h.raw(ADD_ENV, conf({ cniVersion: undefined })), 1);
    await refused(
      () => h.raw({ CNI_COMMAND: 'GC' }, conf({ cniVersion: '1.0.0', 'cni.dev/valid-attachments': [] })),
      1,
    );
  });

  test('CNI-5 bad network config → 2 (unknown ipam key) or 7 (naming the field)', async () => {
    await refused(() => h.raw(ADD_ENV, conf({}, { default_rout: false })), 2, /default_rout/);
    await refused(() => h.raw(ADD_ENV, conf({}, { ranges: [[{ subnet: '10.16.0.0/16' }]] })), 2, /ranges/);
    await refused(() => h.raw(ADD_ENV, conf({ name: '' })), 7, /name/);
    await refused(
      () => h.raw(ADD_ENV, conf({ runtimeConfig: { ips: ['10.16.0.500'] } })),
      7,
      /runtimeConfig\.ips/,
    );
    // GC without an attachment list would release everything: refused.
    await refused(() => h.raw({ CNI_COMMAND: 'GC' }, conf({ cniVersion: '1.1.0' })), 7);
  });

  test('STA-1 STA-2 SPP-6 SEC-2 invalid annotations → 106 (7 for a non-string value), naming the annotation', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ 'ovn.kubernetes.io/ip_address': 'not-an-ip' }, 106, 'ovn.kubernetes.io/ip_address'],
      [{ 'ovn.kubernetes.io/ip_address': '10.16.0.20;10.16.0.21' }, 106, 'ovn.kubernetes.io/ip_address'],
      [{ 'ovn.kubernetes.io/mac_address': 'zz:00:00:00:00:01' }, 106, 'ovn.kubernetes.io/mac_address'],
      [{ 'ovn.kubernetes.io/ip_pool': '10.16.0.30,,bogus' }, 106, 'ovn.kubernetes.io/ip_pool'],
      [{ 'ipam.spidernet.io/ippool': '{"ipv4": ["a"' }, 106, 'ipam.spidernet.io/ippool'],
      [{ 'ipam.spidernet.io/ippool': '{"ipv4": "not-a-list"}' }, 106, 'ipam.spidernet.io/ippool'],
      [{ 'ovn.kubernetes.io/ip_address': 10 }, 7, 'ovn.kubernetes.io/ip_address'],
    ];
    for (const [annotations, code, key] of cases) {
      const r = await refused(() => withAnnotations(annotations), code);
      assert.ok(
        `${r.json.msg} ${r.json.details ?? ''}`.includes(key),
        `${JSON.stringify(annotations)}: ${r.stdout}`,
      );
    }
    // A valid annotation on the same call succeeds, so the refusals above were about the values.
    const ok = await withAnnotations({ 'ovn.kubernetes.io/ip_address': '10.16.0.20' });
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal(firstAddress(ok.json), '10.16.0.20');
    assert.equal((await e.must('ip', 'bad-pod.default')).spec['v4IpAddress'], '10.16.0.20');
  });

  test('CNI-5 daemon unreachable → 11 naming the socket path, nothing changes', async () => {
    const dir = tempDir('ipk-nosock-');
    try {
      const socket = join(dir, 'run', 'absent.sock');
      const r = await refused(() => h.raw(ADD_ENV, conf({}, { socket })), 11);
      assert.ok(r.json.msg!.includes(socket), r.json.msg);
      const status = await refused(
        () => h.raw({ CNI_COMMAND: 'STATUS' }, conf({ cniVersion: '1.1.0' }, { socket })),
        50,
      );
      assert.ok(status.json.msg!.includes(socket), status.json.msg);
    } finally {
      removeDir(dir);
    }
  });
});
