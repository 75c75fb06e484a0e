// CNI-5: every engine error code maps once to a CNI code; the engine's message reaches the user unchanged;
// "unavailable" → 11 (STATUS: 50). Runs against the real service on the memory store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_ERROR_CODES, ErrorCode, IpamError } from '../../src/core/errors.js';
import { CniOwnCode, ENGINE_TO_CNI_CODE, toCniError } from '../../src/cni/errors.js';
import { call, cniEnv, memoryService, netconf } from '../support/cni-fixtures.js';
import { ServiceError } from '../../src/service/errors.js';
import { StoreError } from '../../src/store/store.js';
import { FailingStore, obj } from '../support/service.js';

describe('CNI-5 error mapping', () => {
  it('CNI-5 the code table is pinned (changing a code breaks runtimes and docs/cni.md)', () => {
    assert.deepEqual(ENGINE_TO_CNI_CODE, {
      NoAvailableAddress: 100,
      AddressConflict: 101,
      AddressOutOfRange: 102,
      NoSubnet: 103,
      PoolNotFound: 104,
      InvalidIPFamily: 105,
      InvalidAnnotation: 106,
      InUse: 107,
      AlreadyExists: 108,
      Immutable: 109,
      InvalidCIDR: 7,
      InvalidAddress: 7,
      InvalidRange: 7,
      InvalidMAC: 7,
      InvalidSubnet: 7,
      InvalidPool: 7,
      InvalidReservation: 7,
      InvalidInput: 7,
    });
    assert.deepEqual(Object.keys(ENGINE_TO_CNI_CODE).sort(), [...ALL_ERROR_CODES].sort());
    const own = Object.values(CniOwnCode);
    assert.equal(new Set(own).size, own.length, 'own codes are distinct');
    assert.ok(own.every((code) => code >= 100));
  });

  it('CNI-5 SPP-5 the engine message passes through unchanged, with its code and field in details', async () => {
    const service = await memoryService();
    await service.service.create(
      'SpiderIPPool',
      obj('SpiderIPPool', 'one', { subnet: '10.55.0.0/24', ips: ['10.55.0.10'] }),
      { dryRun: false },
    );
    const conf = netconf({}, { default_ipv4_ippool: ['one'] });
    assert.equal((await call(service, cniEnv(), conf)).exitCode, 0);
    const r = await call(service, cniEnv({ CNI_CONTAINERID: 'c2' }), conf);
    assert.equal(r.exitCode, 1);
    assert.equal(r.json.code, 100);
    assert.match(r.json.msg ?? '', /all IP addresses used out/, 'Spiderpool wording, which users grep for');
    assert.match(String(r.json.details), /engine code NoAvailableAddress/);
    const annotated = await call(
      service,
      cniEnv({ CNI_CONTAINERID: 'c3' }),
      netconf({
        runtimeConfig: {
          'io.kubernetes.cri.pod-annotations': { 'ovn.kubernetes.io/ip_address': '10.99.0.x' },
        },
      }),
    );
    assert.equal(annotated.json.code, 106);
    assert.match(annotated.json.msg ?? '', /^ovn\.kubernetes\.io\/ip_address: /);
    assert.match(String(annotated.json.details), /InvalidAnnotation; field ovn\.kubernetes\.io\/ip_address/);
  });

  it('CNI-5 exhaustion of a subnet → 100, saying which', async () => {
    const service = await memoryService();
    const first = await call(service, cniEnv(), netconf({}, { subnet: 'tiny' }));
    assert.equal(first.exitCode, 0, first.stdout);
    const second = await call(service, cniEnv({ CNI_CONTAINERID: 'c2' }), netconf({}, { subnet: 'tiny' }));
    assert.equal(second.json.code, 100);
    assert.match(second.json.msg ?? '', /no available IPv4 address in subnet tiny/);
  });

  it('CNI-5 unknown subnet → 103, conflicting static address → 101', async () => {
    const service = await memoryService();
    assert.equal((await call(service, cniEnv(), netconf({}, { subnet: 'nope' }))).json.code, 103);
    const conf = netconf({ runtimeConfig: { ips: ['10.99.0.50'] } });
    assert.equal((await call(service, cniEnv(), conf)).exitCode, 0);
    assert.equal((await call(service, cniEnv({ CNI_CONTAINERID: 'c2' }), conf)).json.code, 101);
  });

  it('CNI-5 a store that cannot commit → 11 (try again later), nothing held; STATUS of an unavailable service → 50', async () => {
    const store = new FailingStore();
    const service = await memoryService(store);
    store.failWith = new StoreError('UNAVAILABLE', 'etcd: no leader');
    const add = await call(service, cniEnv(), netconf());
    assert.equal(add.json.code, 11, add.stdout);
    assert.match(add.json.msg ?? '', /etcd: no leader/);
    assert.equal(service.size, 0, 'the engine change was undone');
    store.failWith = undefined;
    assert.equal((await call(service, cniEnv(), netconf())).exitCode, 0, 'and it recovers');
    service.failWith = new ServiceError('Unavailable', 'ipkeeper is shutting down; try again');
    const status = await call(service, { CNI_COMMAND: 'STATUS' }, netconf({ cniVersion: '1.1.0' }));
    assert.equal(status.json.code, 50);
  });

  it('CNI-5 STATUS maps exhaustion to 50 too (the spec names exhausted IPAM)', () => {
    const err = new IpamError(ErrorCode.NoAvailableAddress, 'all IP addresses used out');
    assert.equal(toCniError(err, { command: 'STATUS' }).code, 50);
  });

  it('CNI-5 anything else → 999 internal, never a crash', async () => {
    const service = await memoryService();
    service.failWith = new TypeError('boom');
    const r = await call(service, cniEnv(), netconf());
    assert.deepEqual([r.exitCode, r.json.code, r.json.msg], [1, 999, 'internal error: boom']);
  });
});
