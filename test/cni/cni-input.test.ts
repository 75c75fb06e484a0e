// Input validation (CNI-5 codes 2/4/6/7, SEC-2: bad input never changes state) and owner identity (CNI-2).
// Runs the endpoint against the real service on the memory store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleCniRequest, type CniFailure } from '../../src/cni/handler.js';
import { call, cniEnv, memoryService, netconf } from '../support/cni-fixtures.js';

describe('CNI-5 input errors', () => {
  it('CNI-5 missing env variables → code 4 naming all of them', async () => {
    const service = await memoryService();
    const r = await call(service, { CNI_COMMAND: 'ADD', CNI_IFNAME: 'eth0' }, netconf());
    assert.equal(r.exitCode, 1);
    assert.equal(r.json.code, 4);
    assert.match(r.json.msg ?? '', /CNI_CONTAINERID/);
    assert.match(r.json.msg ?? '', /CNI_NETNS/);
    assert.equal(service.calls.length, 0);
  });

  it('CNI-5 DEL does not need CNI_NETNS; ADD does', async () => {
    const service = await memoryService();
    const del = await call(service, cniEnv({ CNI_COMMAND: 'DEL', CNI_NETNS: '' }), netconf());
    assert.equal(del.exitCode, 0, del.stdout);
    const add = await call(service, cniEnv({ CNI_NETNS: '' }), netconf());
    assert.equal(add.json.code, 4);
  });

  it('CNI-5 unknown or missing command → code 4', async () => {
    assert.equal(
      (await call(await memoryService(), cniEnv({ CNI_COMMAND: 'FROB' }), netconf())).json.code,
      4,
    );
    assert.equal((await call(await memoryService(), cniEnv({ CNI_COMMAND: '' }), netconf())).json.code, 4);
  });

  it('CNI-5 an unknown command is reported (log, metrics label) as "invalid", never as itself', async () => {
    const failures: CniFailure[] = [];
    const onFailure = (f: CniFailure): void => void failures.push(f);
    for (const command of ['FROB', 'x"} 1\nevil_metric 1', ''])
      await handleCniRequest(
        { env: cniEnv({ CNI_COMMAND: command }), stdin: JSON.stringify(netconf()) },
        await memoryService(),
        { onFailure },
      );
    await handleCniRequest({ env: cniEnv({ CNI_COMMAND: 'ADD' }), stdin: '{' }, await memoryService(), {
      onFailure,
    });
    assert.deepEqual(
      failures.map((f) => [f.command, f.error.code]),
      [
        ['invalid', 4],
        ['invalid', 4],
        ['invalid', 4],
        ['ADD', 6],
      ],
    );
  });

  it('CNI-5 invalid container ID or interface name → code 4 naming the variable', async () => {
    const bad = await call(
      await memoryService(),
      cniEnv({ CNI_CONTAINERID: '-x', CNI_IFNAME: 'a/b' }),
      netconf(),
    );
    assert.equal(bad.json.code, 4);
    assert.match(bad.json.msg ?? '', /CNI_CONTAINERID.*CNI_IFNAME/);
    const long = await call(await memoryService(), cniEnv({ CNI_IFNAME: 'x'.repeat(16) }), netconf());
    assert.equal(long.json.code, 4);
  });

  it('CNI-5 malformed stdin → code 6', async () => {
    for (const stdin of ['{', '', '[]', 'null', '"x"']) {
      const r = await call(await memoryService(), cniEnv(), stdin);
      assert.equal(r.json.code, 6, `stdin ${JSON.stringify(stdin)}: ${r.stdout}`);
    }
  });

  it('CNI-5 invalid config → code 7 naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [netconf({ name: undefined }), /name/],
      [netconf({ ipam: undefined }), /ipam/],
      [netconf({ ipam: { subnet: 'x' } }), /ipam\.type/],
      [netconf({}, { subnet: 5 }), /ipam\.subnet/],
      [netconf({}, { default_route: 'no' }), /ipam\.default_route/],
      [netconf({}, { routes: [{ dst: '10.0.0.0/33' }] }), /ipam\.routes\[0\]\.dst/],
      [netconf({}, { routes: [{ dst: '10.0.0.0/8', gw: 'fd00::1' }] }), /ipam\.routes\[0\]\.gw/],
      [netconf({}, { default_ipv4_ippool: [1] }), /default_ipv4_ippool\[0\]/],
      [netconf({ runtimeConfig: { ips: ['10.99.0.300'] } }), /runtimeConfig\.ips\[0\]/],
      [netconf({ runtimeConfig: { ips: ['10.99.0.3/40'] } }), /runtimeConfig\.ips\[0\]/],
      [netconf({ runtimeConfig: { mac: '01:00:5e:00:00:01' } }), /runtimeConfig\.mac/],
      [netconf({ runtimeConfig: { 'io.kubernetes.cri.pod-annotations': { a: 1 } } }), /pod-annotations/],
      [netconf({ args: { cni: { ips: '10.99.0.3' } } }), /args\.cni\.ips/],
      [netconf({ dns: { nameservers: '8.8.8.8' } }), /dns\.nameservers/],
    ];
    const service = await memoryService();
    for (const [conf, field] of cases) {
      const r = await call(service, cniEnv(), conf);
      assert.equal(r.json.code, 7, r.stdout);
      assert.match(r.json.msg ?? '', field);
    }
    assert.equal(service.calls.length, 0, 'no bad input reaches the service');
  });

  it('CNI-5 unknown ipam key → code 2 naming key and value', async () => {
    const r = await call(
      await memoryService(),
      cniEnv(),
      netconf({}, { ranges: [[{ subnet: '10.1.0.0/16' }]] }),
    );
    assert.equal(r.json.code, 2);
    assert.match(r.json.msg ?? '', /ipam\.ranges: \[\[\{"subnet":"10\.1\.0\.0\/16"\}\]\]/);
  });

  it('CNI-5 keys outside ipam belong to the main plugin and are ignored', async () => {
    const r = await call(
      await memoryService(),
      cniEnv(),
      netconf({ isGateway: true, mtu: 1400, capabilities: {} }),
    );
    assert.equal(r.exitCode, 0, r.stdout);
  });
});

describe('CNI-2 owner identity', () => {
  it('CNI-2 pod owner from CNI_ARGS, tolerating IgnoreUnknown and unknown keys', async () => {
    const service = await memoryService();
    const args =
      'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u-1;FOO=bar;';
    const r = await call(service, cniEnv({ CNI_ARGS: args }), netconf());
    assert.equal(r.exitCode, 0, r.stdout);
    const add = service.calls[0];
    assert.ok(add?.method === 'add');
    assert.deepEqual(add.req.owner, { kind: 'pod', namespace: 'default', name: 'web-0', uid: 'u-1' });
    assert.deepEqual(add.req.attachment, { containerId: 'c1', ifName: 'eth0' });
  });

  it('CNI-2 container owner without pod keys; unknown keys without IgnoreUnknown are tolerated', async () => {
    const service = await memoryService();
    await call(service, cniEnv({ CNI_ARGS: 'K8S_POD_UID=u-1;TRACE=1' }), netconf());
    const add = service.calls[0];
    assert.ok(add?.method === 'add');
    assert.deepEqual(add.req.owner, { kind: 'container', containerId: 'c1' });
  });

  it('CNI-2 K8S_POD_NAME without K8S_POD_NAMESPACE (podman: amazing_fermi) is the container name: recorded, never refused', async () => {
    const service = await memoryService();
    const env = { CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=amazing_fermi' };
    const add = await call(service, cniEnv(env), netconf());
    assert.equal(add.exitCode, 0, add.stdout);
    const del = await call(service, cniEnv({ ...env, CNI_COMMAND: 'DEL' }), netconf());
    assert.equal(del.exitCode, 0, del.stdout);
    const [a, d] = service.calls;
    assert.ok(a?.method === 'add' && d?.method === 'del');
    assert.deepEqual(a.req.owner, { kind: 'container', containerId: 'c1', name: 'amazing_fermi' });
    assert.deepEqual(d.req.owner, a.req.owner);
  });

  it('CNI-2 a malformed CNI_ARGS pair → code 4', async () => {
    const r = await call(await memoryService(), cniEnv({ CNI_ARGS: 'K8S_POD_NAME' }), netconf());
    assert.equal(r.json.code, 4);
    assert.match(r.json.msg ?? '', /CNI_ARGS/);
  });

  it('CNI-2 a pod name or namespace Kubernetes would not allow → code 4 naming the variable; nothing asked', async () => {
    for (const [args, key] of [
      ['K8S_POD_NAMESPACE=Bad_NS;K8S_POD_NAME=web', 'K8S_POD_NAMESPACE'],
      [`K8S_POD_NAMESPACE=${'n'.repeat(64)};K8S_POD_NAME=web`, 'K8S_POD_NAMESPACE'],
      ['K8S_POD_NAMESPACE=default;K8S_POD_NAME=Web', 'K8S_POD_NAME'],
      ['K8S_POD_NAME=amazing_fermi;K8S_POD_NAMESPACE=default', 'K8S_POD_NAME'],
      [`K8S_POD_NAMESPACE=default;K8S_POD_NAME=${'p'.repeat(254)}`, 'K8S_POD_NAME'],
    ] as const) {
      const service = await memoryService();
      const r = await call(service, cniEnv({ CNI_ARGS: args }), netconf());
      assert.equal(r.json.code, 4, args);
      assert.match(r.json.msg ?? '', new RegExp(`invalid CNI_ARGS: ${key}=`));
      assert.equal(service.calls.length, 0);
    }
  });

  it('CNI-2 DEL passes the same attachment and owner', async () => {
    const service = await memoryService();
    const env = { CNI_ARGS: 'K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p' };
    await call(service, cniEnv(env), netconf());
    await call(service, cniEnv({ ...env, CNI_COMMAND: 'DEL' }), netconf());
    const [add, del] = service.calls;
    assert.ok(add?.method === 'add' && del?.method === 'del');
    assert.deepEqual(del.req.owner, add.req.owner);
    assert.equal(service.size, 0);
  });
});
