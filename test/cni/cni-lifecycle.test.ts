// ADD idempotency (ENG-4), DEL (GC-2), CHECK, GC (GC-4) and STATUS through the endpoint, against the
// real service on the memory store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call, cniEnv, memoryService, netconf } from '../support/cni-fixtures.js';

describe('CNI lifecycle', () => {
  it('ENG-4 ADD twice for one attachment returns the same result', async () => {
    const service = await memoryService();
    const a = await call(service, cniEnv(), netconf());
    const b = await call(service, cniEnv(), netconf());
    assert.equal(a.stdout, b.stdout);
    assert.equal(service.size, 1);
    const other = await call(service, cniEnv({ CNI_IFNAME: 'net1' }), netconf());
    assert.notEqual(other.stdout, a.stdout);
  });

  it('GC-2 DEL releases; DEL of nothing succeeds', async () => {
    const service = await memoryService();
    await call(service, cniEnv(), netconf());
    const del = await call(service, cniEnv({ CNI_COMMAND: 'DEL' }), netconf());
    assert.deepEqual([del.exitCode, del.stdout, service.size], [0, '', 0]);
    const again = await call(service, cniEnv({ CNI_COMMAND: 'DEL' }), netconf());
    assert.deepEqual([again.exitCode, again.stdout], [0, '']);
  });

  it('CNI-1 CHECK passes prevResult addresses; missing prevResult → 7; mismatch → 111; missing → 110', async () => {
    const service = await memoryService();
    const add = await call(service, cniEnv(), netconf());
    const check = cniEnv({ CNI_COMMAND: 'CHECK' });
    const ok = await call(service, check, netconf({ prevResult: add.json }));
    assert.deepEqual([ok.exitCode, ok.stdout], [0, '']);
    const lastCall = service.calls.at(-1);
    assert.deepEqual(lastCall?.method === 'check' && lastCall.req.expectedIps, ['10.99.0.2']);
    assert.equal((await call(service, check, netconf())).json.code, 7);
    const wrong = { ...add.json, ips: [{ address: '10.99.0.77/16' }] };
    assert.equal((await call(service, check, netconf({ prevResult: wrong }))).json.code, 111);
    await call(service, cniEnv({ CNI_COMMAND: 'DEL' }), netconf());
    assert.equal((await call(service, check, netconf({ prevResult: add.json }))).json.code, 110);
  });

  it('GC-4 GC releases attachments not listed, accepting both key spellings', async () => {
    const service = await memoryService();
    for (const id of ['a', 'b', 'c', 'd']) await call(service, cniEnv({ CNI_CONTAINERID: id }), netconf());
    await call(service, cniEnv({ CNI_CONTAINERID: 'x' }), netconf({ name: 'othernet' }));
    const gc = await call(
      service,
      { CNI_COMMAND: 'GC', CNI_PATH: '/opt/cni/bin' },
      netconf({
        cniVersion: '1.1.0',
        'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }],
        'cni.dev/attachments': [
          { containerID: 'a', ifname: 'eth0' },
          { containerID: 'b', ifname: 'eth0' },
        ],
      }),
    );
    assert.deepEqual([gc.exitCode, gc.stdout], [0, '']);
    const req = service.calls.at(-1);
    assert.deepEqual(req?.method === 'gc' && req.req.validAttachments, [
      { containerId: 'a', ifName: 'eth0' },
      { containerId: 'b', ifName: 'eth0' },
    ]);
    assert.equal(service.size, 3, 'a and b of testnet stay, x of othernet is untouched');
  });

  it('GC-4 GC with only the 1.1.0-tag spelling works; with neither list → 7 and nothing released', async () => {
    const service = await memoryService();
    await call(service, cniEnv(), netconf());
    const gcEnv = { CNI_COMMAND: 'GC' };
    const none = await call(service, gcEnv, netconf({ cniVersion: '1.1.0' }));
    assert.equal(none.json.code, 7);
    assert.equal(service.size, 1);
    const tag = await call(service, gcEnv, netconf({ cniVersion: '1.1.0', 'cni.dev/attachments': [] }));
    assert.equal(tag.exitCode, 0, tag.stdout);
    assert.equal(service.size, 0);
    const bad = await call(
      service,
      gcEnv,
      netconf({ cniVersion: '1.1.0', 'cni.dev/attachments': [{ ifname: 'eth0' }] }),
    );
    assert.equal(bad.json.code, 7);
  });
});
