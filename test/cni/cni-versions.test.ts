// CNI-1: commands and versions, result shape per requested version (with a MAC: the chained step applies it). Runs the endpoint against the real
// service on the memory store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SUPPORTED_CNI_VERSIONS } from '../../src/cni/wire.js';
import { call, cniEnv, macOf, memoryService, netconf } from '../support/cni-fixtures.js';

describe('CNI-1 versions and commands', () => {
  for (const version of ['0.3.0', '0.3.1', '0.4.0']) {
    it(`CNI-1 ADD in ${version} carries ips[].version`, async () => {
      const r = await call(
        await memoryService(),
        cniEnv(),
        netconf({ cniVersion: version }, { mac: 'chained' }),
      );
      assert.equal(r.exitCode, 0, r.stdout);
      assert.deepEqual(r.json, {
        cniVersion: version,
        interfaces: [{ name: 'eth0', mac: macOf(r) }],
        ips: [{ version: '4', address: '10.99.0.2/16', gateway: '10.99.0.1', interface: 0 }],
        routes: [{ dst: '0.0.0.0/0', gw: '10.99.0.1' }],
      });
    });
  }

  for (const version of ['1.0.0', '1.1.0']) {
    it(`CNI-1 ADD in ${version} has no ips[].version`, async () => {
      const r = await call(
        await memoryService(),
        cniEnv(),
        netconf({ cniVersion: version }, { mac: 'chained' }),
      );
      assert.equal(r.exitCode, 0, r.stdout);
      assert.deepEqual(r.json, {
        cniVersion: version,
        interfaces: [{ name: 'eth0', mac: macOf(r) }],
        ips: [{ address: '10.99.0.2/16', gateway: '10.99.0.1', interface: 0 }],
        routes: [{ dst: '0.0.0.0/0', gw: '10.99.0.1' }],
      });
    });
  }

  it('CNI-1 VERSION echoes a supported version and lists all', async () => {
    const r = await call(await memoryService(), { CNI_COMMAND: 'VERSION' }, { cniVersion: '0.4.0' });
    assert.deepEqual(r.json, { cniVersion: '0.4.0', supportedVersions: [...SUPPORTED_CNI_VERSIONS] });
    const unknown = await call(await memoryService(), { CNI_COMMAND: 'VERSION' }, '');
    assert.equal(unknown.json.cniVersion, '1.1.0');
  });

  it('CNI-1 unsupported version → code 1, malformed version → code 6, both without a service call', async () => {
    const service = await memoryService();
    for (const [cniVersion, code] of [
      ['0.2.0', 1],
      ['9.9.9', 1],
      [undefined, 1],
      ['one', 6],
      [1, 6],
    ] as const) {
      const r = await call(service, cniEnv(), netconf({ cniVersion }));
      assert.equal(r.exitCode, 1);
      assert.equal(r.json.code, code, `cniVersion ${String(cniVersion)}: ${r.stdout}`);
    }
    assert.equal(service.calls.length, 0);
  });

  it('CNI-1 CHECK needs 0.4.0+, GC and STATUS need 1.1.0 (code 1)', async () => {
    const service = await memoryService();
    const check = await call(service, cniEnv({ CNI_COMMAND: 'CHECK' }), netconf({ cniVersion: '0.3.1' }));
    assert.equal(check.json.code, 1);
    const gc = await call(service, { CNI_COMMAND: 'GC' }, netconf({ 'cni.dev/valid-attachments': [] }));
    assert.equal(gc.json.code, 1);
    const status = await call(service, { CNI_COMMAND: 'STATUS' }, netconf());
    assert.equal(status.json.code, 1);
    assert.equal(service.calls.length, 0);
  });

  it('CNI-1 STATUS answers 0 with empty stdout when the service can serve', async () => {
    const r = await call(await memoryService(), { CNI_COMMAND: 'STATUS' }, netconf({ cniVersion: '1.1.0' }));
    assert.deepEqual([r.exitCode, r.stdout], [0, '']);
  });

  it('CNI-1 errors carry the config version', async () => {
    const r = await call(await memoryService(), cniEnv({ CNI_IFNAME: '' }), netconf({ cniVersion: '0.4.0' }));
    assert.equal(r.json.cniVersion, '0.4.0');
  });
});
