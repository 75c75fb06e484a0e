/**
 * The metadata rules of every kind, as the real service applies them (src/service/object-meta.ts,
 * resource-service.ts), with the API edge's mapping to metav1.Status where the wording is the contract.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { subjectOf } from '../../src/api/kinds/index.js';
import { ipKind } from '../../src/api/kinds/ip.js';
import { toApiError } from '../../src/api/status.js';
import { type IpamService } from '../../src/service/service.js';
import { type KubeObject } from '../../src/service/types.js';
import { obj, openTestService, stateOf } from '../support/service.js';

const NOW = new Date('2024-01-29T03:05:40.123Z');
const write = { dryRun: false };
const subnet = (name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  ...obj('Subnet', name, { cidrBlock: '10.90.0.0/24' }),
  metadata: { name, ...extra },
});
const reservation = (name: string): KubeObject =>
  obj('IP', `${name}.default`, { subnet: 'ovn-default', podName: name, namespace: 'default' });

/** Runs `fn`, expecting the API edge to answer `reason` (and a cause on `field`); returns the message. */
async function refused(fn: () => Promise<unknown>, reason: string, field?: string): Promise<string> {
  try {
    await fn();
  } catch (e) {
    const api = toApiError(e, subjectOf(ipKind, 'x'));
    assert.equal(api.reason, reason, api.message);
    if (field) assert.equal(api.causes[0]?.field, field, api.message);
    return api.message;
  }
  assert.fail(`expected ${reason}`);
}

const open = (): Promise<IpamService> => openTestService({ now: () => NOW });

describe('API-object-meta create (real service)', () => {
  test('sets uid, creationTimestamp (seconds, UTC), resourceVersion and generation 1; ignores client-set ones', async () => {
    const svc = await open();
    const made = await svc.create(
      'Subnet',
      {
        ...subnet('a', { uid: 'mine', deletionTimestamp: '2000-01-01T00:00:00Z' }),
        status: { v4usingIPs: 9 },
      },
      write,
    );
    assert.match(made.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.notEqual(made.metadata.uid, 'mine');
    assert.equal(made.metadata.creationTimestamp, '2024-01-29T03:05:40Z');
    assert.equal(made.metadata.generation, 1);
    assert.equal(made.metadata.deletionTimestamp, undefined);
    assert.equal(made.status?.['v4usingIPs'], 0, 'status is the service’s, not the client’s');
    assert.ok(Number(made.metadata.resourceVersion) > 0);
  });

  test('generateName gets a 5-character suffix; a bad one is refused on metadata.generateName', async () => {
    const svc = await open();
    const made = await svc.create('Subnet', { ...subnet(''), metadata: { generateName: 'net-' } }, write);
    assert.match(made.metadata.name ?? '', /^net-[a-z0-9]{5}$/);
    await refused(
      () => svc.create('Subnet', { ...subnet(''), metadata: { generateName: 'Bad_' } }, write),
      'Invalid',
      'metadata.generateName',
    );
  });

  test('a missing or invalid name is Invalid on metadata.name; the same name twice is AlreadyExists', async () => {
    const svc = await open();
    await refused(() => svc.create('Subnet', subnet(''), write), 'Invalid', 'metadata.name');
    await refused(() => svc.create('Subnet', subnet('Bad_Name'), write), 'Invalid', 'metadata.name');
    await svc.create('Subnet', subnet('twice'), write);
    await refused(() => svc.create('Subnet', subnet('twice'), write), 'AlreadyExists');
  });
});

describe('API-object-meta update (real service)', () => {
  test('generation grows only when the stored spec changes', async () => {
    const svc = await open();
    const a = await svc.create('Subnet', subnet('a'), write);
    const labelled = await svc.update(
      'Subnet',
      { ...a, metadata: { ...a.metadata, labels: { x: 'y' } } },
      write,
    );
    assert.equal(labelled.metadata.generation, 1);
    const same = await svc.update(
      'Subnet',
      { ...labelled, spec: { ...labelled.spec, cidrBlock: '10.90.0.5/24' } },
      write,
    );
    assert.equal(same.metadata.generation, 1, 'the same CIDR written with host bits is the same spec');
    const changed = await svc.update('Subnet', { ...same, spec: { ...same.spec, private: true } }, write);
    assert.equal(changed.metadata.generation, 2);
  });

  test('resourceVersion is required (422) and must be current (409 with the kubectl message)', async () => {
    const svc = await open();
    const a = await svc.create('Subnet', subnet('a'), write);
    const { resourceVersion: _rv, ...unversioned } = a.metadata;
    const msg = await refused(
      () => svc.update('Subnet', { ...a, metadata: unversioned }, write),
      'Invalid',
      'metadata.resourceVersion',
    );
    assert.match(msg, /metadata\.resourceVersion: Invalid value: 0: must be specified for an update/);
    await svc.update('Subnet', { ...a, metadata: { ...a.metadata, labels: { n: '1' } } }, write);
    const stale = await refused(() => svc.update('Subnet', a, write), 'Conflict');
    assert.match(
      stale,
      /the object has been modified; please apply your changes to the latest version and try again/,
    );
  });

  test('uid is a precondition (409); name, uid and creationTimestamp come from the stored object', async () => {
    const svc = await open();
    const a = await svc.create('Subnet', subnet('a'), write);
    const other = await refused(
      () => svc.update('Subnet', { ...a, metadata: { ...a.metadata, uid: 'another' } }, write),
      'Conflict',
    );
    assert.match(other, /Precondition failed: UID in precondition: another, UID in object meta: /);
    const kept = await svc.update(
      'Subnet',
      { ...a, metadata: { ...a.metadata, creationTimestamp: '1999-01-01T00:00:00Z', uid: undefined } },
      write,
    );
    assert.equal(kept.metadata.creationTimestamp, a.metadata.creationTimestamp);
    assert.equal(kept.metadata.uid, a.metadata.uid);
  });

  test('SUB-7 status is derived: a status update changes nothing and answers the computed status', async () => {
    const svc = await open();
    const a = await svc.create('Subnet', subnet('a'), write);
    const before = stateOf(svc);
    const r = await svc.updateStatus('Subnet', { ...a, status: { v4usingIPs: 99 } }, write);
    assert.equal(r.status?.['v4usingIPs'], 0);
    assert.equal(stateOf(svc), before);
  });
});

describe('API-object-meta delete and finalizers (real service)', () => {
  test('without finalizers of its own an object is removed at once (the server’s finalizer does not keep it)', async () => {
    const svc = await open();
    await svc.create('IP', reservation('a'), write);
    await svc.delete('IP', 'a.default', write);
    assert.equal(svc.get('IP', 'a.default'), undefined);
    assert.equal(svc.engine.getLease('a.default'), undefined, 'IPR-9 released');
  });

  test('IPR-9 a user finalizer keeps the object terminating with its address; removing the last one deletes and releases', async () => {
    const svc = await open();
    const a = await svc.create('IP', reservation('a'), write);
    const held = await svc.update(
      'IP',
      { ...a, metadata: { ...a.metadata, finalizers: ['example.com/hold'] } },
      write,
    );
    assert.deepEqual(held.metadata.finalizers, ['example.com/hold', 'kube-ovn-controller']);
    const terminating = await svc.delete('IP', 'a.default', write);
    assert.equal(terminating.metadata.deletionTimestamp, '2024-01-29T03:05:40Z');
    assert.ok(svc.engine.getLease('a.default'), 'still held');
    const again = await svc.delete('IP', 'a.default', write);
    assert.equal(
      again.metadata.deletionTimestamp,
      terminating.metadata.deletionTimestamp,
      'a second DELETE changes nothing',
    );
    const current = svc.get('IP', 'a.default')!;
    const msg = await refused(
      () =>
        svc.update(
          'IP',
          { ...current, metadata: { ...current.metadata, finalizers: ['example.com/hold', 'x.io/y'] } },
          write,
        ),
      'Invalid',
      'metadata.finalizers',
    );
    assert.match(
      msg,
      /no new finalizers can be added if the object is being deleted, found new finalizers \["x\.io\/y"\]/,
    );
    await svc.update('IP', { ...current, metadata: { ...current.metadata, finalizers: [] } }, write);
    assert.equal(svc.get('IP', 'a.default'), undefined);
    assert.equal(svc.engine.getLease('a.default'), undefined);
  });

  test('preconditions must match (409); a dry-run delete changes nothing', async () => {
    const svc = await open();
    const a = await svc.create('Subnet', subnet('a'), write);
    await refused(
      () => svc.delete('Subnet', 'a', { dryRun: false, preconditions: { uid: 'nope' } }),
      'Conflict',
    );
    await refused(
      () => svc.delete('Subnet', 'a', { dryRun: false, preconditions: { resourceVersion: '1' } }),
      'Conflict',
    );
    const before = stateOf(svc);
    await svc.delete('Subnet', 'a', { dryRun: true, preconditions: { uid: a.metadata.uid! } });
    assert.equal(stateOf(svc), before);
  });
});
