/**
 * The service's own rules, on the real IpamService (memory store): commit-or-revert, serialisation per key,
 * IP objects for pods, reservations consumed by their pod and kept across DEL, and finalizers on pod objects.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CniAddRequest, CniDelRequest } from '../../src/cni/cni-service.js';
import { ErrorCode, IpamError } from '../../src/core/index.js';
import { KeyedMutex } from '../../src/service/keyed-mutex.js';
import { type IpamService } from '../../src/service/service.js';
import { StoreError } from '../../src/store/store.js';
import { FailingStore, obj, openTestService, stateOf } from '../support/service.js';

const write = { dryRun: false };
const ipam = { subnet: 's', ippools: [], defaultIpv4Pools: [], defaultIpv6Pools: [] };
const pod = (name: string, containerId = `c-${name}`, ifName = 'eth0'): CniAddRequest => ({
  network: 'net',
  attachment: { containerId, ifName },
  owner: { kind: 'pod', namespace: 'default', name, uid: `uid-${name}` },
  ipam,
  netns: `/run/netns/${containerId}`,
  macApplication: 'chained',
  requested: { ips: [] },
  annotations: {},
});
const del = (req: CniAddRequest): CniDelRequest => ({
  network: req.network,
  attachment: req.attachment,
  owner: req.owner,
  ipam: req.ipam,
});
const reservation = (name: string, extra: Record<string, unknown> = {}) =>
  obj('IP', `${name}.default`, { subnet: 's', podName: name, namespace: 'default', ...extra });
const open = (store?: FailingStore): Promise<IpamService> =>
  openTestService({ subnets: { s: '10.60.0.0/24' }, ...(store ? { store } : {}) });

describe('service: commit or revert (DUR-1)', () => {
  test('a store that cannot commit leaves no trace in memory; the next request gets what it would have', async () => {
    const store = new FailingStore();
    const svc = await open(store);
    const before = stateOf(svc);
    store.failWith = new StoreError('UNAVAILABLE', 'disk gone');
    await assert.rejects(svc.create('IP', reservation('a'), write), {
      name: 'ServiceError',
      code: 'Unavailable',
    });
    await assert.rejects(svc.cniService.add(pod('b')), { code: 'Unavailable' });
    await assert.rejects(svc.create('Subnet', obj('Subnet', 't', { cidrBlock: '10.61.0.0/24' }), write), {
      code: 'Unavailable',
    });
    assert.equal(stateOf(svc), before, 'objects and counters as before');
    assert.equal(svc.engine.leases.size, 0);
    assert.equal(svc.engine.subnets.has('t'), false);
    store.failWith = undefined;
    const a = await svc.create('IP', reservation('a'), write);
    assert.equal(
      a.spec?.['v4IpAddress'],
      '10.60.0.2',
      'the address the failed attempt would have taken is free',
    );
  });

  test('DUR-2 DUR-5 an address the store already holds is refused by the store: a dynamic request takes the next candidate, a static one fails naming the holder', async () => {
    const store = new FailingStore();
    const svc = await open(store);
    // Another writer took .2 behind this service's back (as another daemon on one etcd could).
    const taken = await store.inner.commit([
      { op: 'claimAddress', space: '10.60.0.0/24', address: '10.60.0.2', key: 'other.default', pool: '' },
    ]);
    assert.ok(taken.ok);
    // Propose, then commit: the store's "taken" is answered by proposing the next address, not by an error.
    const a = await svc.create('IP', reservation('a'), write);
    assert.equal(a.spec?.['v4IpAddress'], '10.60.0.3');
    assert.deepEqual(
      svc.engine.getLease('a.default')?.addresses.map((x) => x.value),
      [(10n << 24n) + (60n << 16n) + 3n],
      'the engine holds only what the store committed',
    );
    // A static request cannot move on: it fails, naming the holder the store reported, and leaves nothing.
    await assert.rejects(
      svc.create('IP', reservation('b', { v4IpAddress: '10.60.0.2' }), write),
      (e: unknown) => {
        assert.ok(e instanceof IpamError && e.code === ErrorCode.AddressConflict, String(e));
        assert.match(e.message, /10\.60\.0\.2 .*other\.default/);
        return true;
      },
    );
    assert.equal(svc.engine.getLease('b.default'), undefined);
    assert.equal(svc.get('IP', 'b.default'), undefined);
  });
  test('DUR-5 an object another writer created first under the same name: AlreadyExists, nothing allocated', async () => {
    const store = new FailingStore();
    const svc = await open(store);
    // Another daemon created IP c.default an instant ago; this one has not received it yet.
    const other = await store.inner.commit([
      { op: 'putObject', kind: 'IP', name: 'c.default', body: reservation('c'), expectRevision: 0 },
    ]);
    assert.ok(other.ok);
    await assert.rejects(svc.create('IP', reservation('c'), write), {
      name: 'ServiceError',
      code: 'AlreadyExists',
      message: 'IP "c.default" already exists',
    });
    assert.equal(svc.engine.getLease('c.default'), undefined, 'the engine holds nothing for it');
  });
});

describe('service: a subnet being deleted (SUB-9, finalizers)', () => {
  test('SUB-9 a Subnet kept by a finalizer after its DELETE gives no new addresses (reservations, CNI ADDs); removing the finalizer deletes it', async () => {
    const svc = await open();
    const t = obj('Subnet', 't', { cidrBlock: '10.62.0.0/24' });
    t.metadata.finalizers = ['example.com/keep'];
    await svc.create('Subnet', t, write);
    const terminating = await svc.delete('Subnet', 't', write);
    assert.ok(terminating.metadata.deletionTimestamp, 'terminating, kept by its finalizer');
    const before = stateOf(svc);
    await assert.rejects(
      svc.create('IP', obj('IP', 'r.default', { subnet: 't', podName: 'r', namespace: 'default' }), write),
      (e: unknown) => e instanceof IpamError && /subnet t is being deleted/.test(e.message),
    );
    await assert.rejects(
      svc.cniService.add({ ...pod('q'), ipam: { ...ipam, subnet: 't' } }),
      (e: unknown) => e instanceof IpamError && /subnet t is being deleted/.test(e.message),
    );
    assert.equal(stateOf(svc), before, 'nothing allocated, no object written');
    // Other subnets are unaffected.
    const other = await svc.cniService.add(pod('p'));
    assert.match(other.ips[0]!.address, /^10\.60\.0\./);
    const kept = svc.get('Subnet', 't')!;
    await svc.update('Subnet', { ...kept, metadata: { ...kept.metadata, finalizers: [] } }, write);
    assert.equal(svc.get('Subnet', 't'), undefined, 'the last finalizer removed: gone');
  });
});

describe('service: one request per key at a time (keyed mutex)', () => {
  test('ENG-4 concurrent ADDs of one attachment give one answer, one lease, one object', async () => {
    const svc = await open();
    const results = await Promise.all(Array.from({ length: 20 }, () => svc.cniService.add(pod('p'))));
    assert.equal(new Set(results.map((r) => JSON.stringify(r))).size, 1);
    assert.equal(svc.engine.leases.size, 1);
    assert.equal(svc.list('IP').items.length, 1);
  });

  test('concurrent ADDs of different attachments get distinct addresses and MACs', async () => {
    const svc = await open();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => svc.cniService.add(pod(`p${i}`))));
    assert.equal(new Set(results.map((r) => r.ips[0]!.address)).size, 30);
    assert.equal(new Set(results.map((r) => r.mac)).size, 30);
  });

  test('KeyedMutex runs work of one key in order, survives a failure, and does not hold other keys', async () => {
    const m = new KeyedMutex();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = m.run('k', async () => {
      await gate;
      order.push('k1');
      throw new Error('boom');
    });
    const second = m.run('k', async () => void order.push('k2'));
    await m.run('other', async () => void order.push('other'));
    release();
    await assert.rejects(first, /boom/);
    await second;
    assert.deepEqual(order, ['other', 'k1', 'k2']);
  });
});

describe('service: IP objects for pods (IPR-10)', () => {
  test('ADD makes an IP object per attachment, named as Kube-OVN names ports; DEL removes it', async () => {
    const svc = await open();
    const eth0 = await svc.cniService.add(pod('web'));
    await svc.cniService.add(pod('web', 'c-web', 'net1'));
    await svc.cniService.add({ ...pod('x'), owner: { kind: 'container', containerId: 'c-x' } });
    assert.deepEqual(
      svc.list('IP').items.map((o) => o.metadata.name),
      ['c-x.eth0', 'web.default', 'web.default.net1'],
    );
    const ip = svc.get('IP', 'web.default')!;
    assert.equal(ip.metadata.labels?.['ovn.kubernetes.io/ip_reserved'], 'false');
    assert.equal(ip.metadata.annotations?.['ipkeeper.io/container-id'], 'c-web');
    assert.deepEqual([ip.spec?.['podName'], ip.spec?.['namespace']], ['web', 'default']);
    assert.deepEqual([ip.spec?.['v4IpAddress'], eth0.ips[0]!.prefixLength], [eth0.ips[0]!.address, 24]);
    assert.equal(svc.get('Subnet', 's')?.status?.['v4usingIPs'], 3, 'SUB-7 counted');
    await svc.cniService.del(del(pod('web')));
    assert.equal(svc.get('IP', 'web.default'), undefined);
    assert.equal(svc.get('Subnet', 's')?.status?.['v4usingIPs'], 2);
  });

  test('GC-2 a DEL for an older sandbox leaves the current one alone', async () => {
    const svc = await open();
    await svc.cniService.add(pod('web', 'sandbox-2'));
    await svc.cniService.del(del(pod('web', 'sandbox-1')));
    assert.ok(svc.get('IP', 'web.default'), 'kept');
    assert.ok(svc.engine.getLease('web.default'));
  });

  test('IPR-9 a user finalizer on a pod IP keeps it and its address past DEL; an ADD meanwhile is refused', async () => {
    const svc = await open();
    await svc.cniService.add(pod('web'));
    const ip = svc.get('IP', 'web.default')!;
    await svc.update('IP', { ...ip, metadata: { ...ip.metadata, finalizers: ['example.com/hold'] } }, write);
    await svc.cniService.del(del(pod('web')));
    assert.ok(svc.get('IP', 'web.default')?.metadata.deletionTimestamp, 'terminating');
    assert.ok(svc.engine.getLease('web.default'), 'still held');
    await assert.rejects(svc.cniService.add(pod('web', 'c-new')), (e: unknown) => {
      assert.ok(e instanceof IpamError && e.code === ErrorCode.AddressConflict);
      assert.match(e.message, /is being deleted/);
      return true;
    });
    const current = svc.get('IP', 'web.default')!;
    await svc.update('IP', { ...current, metadata: { ...current.metadata, finalizers: [] } }, write);
    assert.equal(svc.engine.getLease('web.default'), undefined);
    await svc.cniService.add(pod('web', 'c-new'));
  });
});

describe('service: reservations consumed by their pod (IPR-7, IPR-8, IPR-9)', () => {
  test('the pod of the reservation gets its address and MAC; DEL keeps the reservation; others are refused', async () => {
    const svc = await open();
    const r = await svc.create('IP', reservation('vm', { v4IpAddress: '10.60.0.50' }), write);
    const mac = r.spec?.['macAddress'];
    const got = await svc.cniService.add(pod('vm'));
    assert.deepEqual([got.ips[0]!.address, got.mac], ['10.60.0.50', mac]);
    assert.equal(svc.get('IP', 'vm.default')?.metadata.annotations?.['ipkeeper.io/container-id'], 'c-vm');
    await svc.cniService.del(del(pod('vm')));
    const kept = svc.get('IP', 'vm.default')!;
    assert.equal(kept.spec?.['v4IpAddress'], '10.60.0.50', 'IPR-8 kept');
    assert.equal(kept.spec?.['containerID'], '');
    assert.equal(kept.metadata.labels?.['ovn.kubernetes.io/ip_reserved'], 'true');
    const thief = { ...pod('thief'), requested: { ips: [{ address: '10.60.0.50', family: 4 as const }] } };
    await assert.rejects(svc.cniService.add(thief), (e: unknown) => {
      assert.ok(e instanceof IpamError && e.code === ErrorCode.AddressConflict, String(e));
      return true;
    });
    await svc.cniService.gc({ network: 'net', validAttachments: [] });
    assert.ok(svc.get('IP', 'vm.default'), 'IPR-9 GC never touches a reservation');
    await svc.delete('IP', 'vm.default', write);
    assert.equal(svc.engine.getLease('vm.default'), undefined, 'deleting it releases it');
  });

  test("IPR-6 IPR-7 a static request of the reservation's pod for another address or MAC is refused, never moves it", async () => {
    const svc = await open();
    await svc.create('IP', reservation('vm', { v4IpAddress: '10.60.0.50' }), write);
    const before = stateOf(svc);
    const other = { ...pod('vm'), requested: { ips: [{ address: '10.60.0.51', family: 4 as const }] } };
    await assert.rejects(svc.cniService.add(other), (e: unknown) => {
      assert.ok(e instanceof IpamError && e.code === ErrorCode.AddressConflict, String(e));
      assert.match(
        e.message,
        /vm\.default is a reservation holding 10\.60\.0\.50, .*; this pod asks for 10\.60\.0\.51/,
      );
      return true;
    });
    await assert.rejects(
      svc.cniService.add({ ...pod('vm'), requested: { ips: [], mac: '02:00:00:00:00:99' } }),
      {
        name: 'IpamError',
      },
    );
    assert.equal(stateOf(svc), before, 'the reservation is as it was');
    const same = { ...pod('vm'), requested: { ips: [{ address: '10.60.0.50', family: 4 as const }] } };
    assert.equal((await svc.cniService.add(same)).ips[0]!.address, '10.60.0.50');
  });
});
