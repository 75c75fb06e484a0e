import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import { ipKind } from '../../src/api/kinds/ip.js';
import { subjectOf } from '../../src/api/kinds/index.js';
import {
  formatTimestamp,
  generateNameSuffix,
  prepareCreate,
  prepareDelete,
  prepareStatusUpdate,
  prepareUpdate,
  type KindContext,
} from '../support/object-meta-rules.js';
import type { KubeObject } from '../../src/api/resource-service.js';

const { name: _n, ...who } = subjectOf(ipKind, '');
const ip: KindContext = { who, hasStatus: false };
const withStatus: KindContext = { who, hasStatus: true };
const now = new Date('2024-01-29T03:05:40.123Z');

const obj = (
  meta: KubeObject['metadata'],
  spec: Record<string, unknown> = { subnet: 'ovn-default' },
): KubeObject => ({
  apiVersion: 'kubeovn.io/v1',
  kind: 'IP',
  metadata: meta,
  spec,
});

const created = (): KubeObject =>
  prepareCreate(obj({ name: 'a.default' }), { ...ip, uid: 'u1', now, resourceVersion: '5' });

function rejects(fn: () => unknown, reason: string, field?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.reason, reason);
    if (field) assert.equal(e.causes[0]?.field, field);
    return true;
  });
}

describe('API-object-meta create', () => {
  test('sets uid, creationTimestamp (seconds, UTC), resourceVersion and generation 1', () => {
    const o = created();
    assert.deepEqual(o.metadata, {
      name: 'a.default',
      uid: 'u1',
      creationTimestamp: '2024-01-29T03:05:40Z',
      resourceVersion: '5',
      generation: 1,
    });
  });
  test('ignores client-set deletion fields and, for kinds with status, the status', () => {
    const o = prepareCreate(
      { ...obj({ name: 'x', deletionTimestamp: 'now', uid: 'mine' }), status: { v4usingIPs: 3 } },
      { ...withStatus, uid: 'u2', now, resourceVersion: '1' },
    );
    assert.equal(o.metadata.deletionTimestamp, undefined);
    assert.equal(o.metadata.uid, 'u2');
    assert.equal(o.status, undefined);
  });
  test('generateName gets the suffix', () => {
    const o = prepareCreate(obj({ generateName: 'ip-' }), {
      ...ip,
      uid: 'u',
      now,
      resourceVersion: '1',
      nameSuffix: generateNameSuffix(new Uint8Array([0, 1, 2, 3, 4])),
    });
    assert.equal(o.metadata.name, 'ip-bcdfg');
  });
  test('a missing or invalid name is Invalid with a metadata.name cause', () => {
    rejects(
      () => prepareCreate(obj({}), { ...ip, uid: 'u', now, resourceVersion: '1' }),
      'Invalid',
      'metadata.name',
    );
    rejects(
      () => prepareCreate(obj({ name: 'Bad_Name' }), { ...ip, uid: 'u', now, resourceVersion: '1' }),
      'Invalid',
      'metadata.name',
    );
  });
  test('bad label values are Invalid', () => {
    rejects(
      () =>
        prepareCreate(obj({ name: 'a', labels: { k: 'has space' } }), {
          ...ip,
          uid: 'u',
          now,
          resourceVersion: '1',
        }),
      'Invalid',
      'metadata.labels',
    );
  });
  test('formatTimestamp drops milliseconds', () =>
    assert.equal(formatTimestamp(now), '2024-01-29T03:05:40Z'));
});

describe('API-object-meta update', () => {
  test('generation grows only when the spec changes', () => {
    const cur = created();
    const same = prepareUpdate(
      cur,
      { ...cur, metadata: { ...cur.metadata, labels: { a: 'b' } } },
      { ...ip, resourceVersion: '6' },
    );
    assert.equal(same.object.metadata.generation, 1);
    assert.equal(same.specChanged, false);
    assert.equal(same.object.metadata.resourceVersion, '6');
    const changed = prepareUpdate(
      cur,
      { ...cur, spec: { subnet: 'ovn-default', nodeName: 'n1' } },
      { ...ip, resourceVersion: '6' },
    );
    assert.equal(changed.object.metadata.generation, 2);
  });
  test('a stale resourceVersion is a Conflict with the usual kubectl message', () => {
    const cur = created();
    assert.throws(
      () =>
        prepareUpdate(
          cur,
          { ...cur, metadata: { ...cur.metadata, resourceVersion: '4' } },
          { ...ip, resourceVersion: '6' },
        ),
      (e: unknown) =>
        e instanceof ApiError &&
        e.code === 409 &&
        e.message ===
          'Operation cannot be fulfilled on ips.kubeovn.io "a.default": the object has been modified; please apply your changes to the latest version and try again',
    );
  });
  test('resourceVersion is required', () => {
    const cur = created();
    rejects(
      () => prepareUpdate(cur, { ...cur, metadata: { name: 'a.default' } }, { ...ip, resourceVersion: '6' }),
      'Invalid',
      'metadata.resourceVersion',
    );
  });
  test('name and uid are immutable; creationTimestamp is kept', () => {
    const cur = created();
    rejects(
      () =>
        prepareUpdate(
          cur,
          { ...cur, metadata: { ...cur.metadata, uid: 'other' } },
          { ...ip, resourceVersion: '6' },
        ),
      'Invalid',
      'metadata.uid',
    );
    rejects(
      () =>
        prepareUpdate(
          cur,
          { ...cur, metadata: { ...cur.metadata, name: 'b' } },
          { ...ip, resourceVersion: '6' },
        ),
      'Invalid',
      'metadata.name',
    );
    const r = prepareUpdate(
      cur,
      { ...cur, metadata: { ...cur.metadata, creationTimestamp: '1999-01-01T00:00:00Z' } },
      { ...ip, resourceVersion: '6' },
    );
    assert.equal(r.object.metadata.creationTimestamp, '2024-01-29T03:05:40Z');
  });
  test('status is kept on a main-resource update and replaced through /status', () => {
    const cur = {
      ...prepareCreate(obj({ name: 's' }), { ...withStatus, uid: 'u', now, resourceVersion: '1' }),
      status: { v4usingIPs: 1 },
    };
    const r = prepareUpdate(
      cur,
      { ...cur, status: { v4usingIPs: 99 } },
      { ...withStatus, resourceVersion: '2' },
    );
    assert.deepEqual(r.object.status, { v4usingIPs: 1 });
    const s = prepareStatusUpdate(
      cur,
      { ...cur, spec: { subnet: 'changed' }, status: { v4usingIPs: 99 } },
      { ...withStatus, resourceVersion: '2' },
    );
    assert.deepEqual(s.status, { v4usingIPs: 99 });
    assert.deepEqual(s.spec, cur.spec);
  });
});

describe('API-object-meta delete and finalizers', () => {
  const withFinalizer = (): KubeObject =>
    prepareCreate(obj({ name: 'f', finalizers: ['kube-ovn-controller'] }), {
      ...ip,
      uid: 'u',
      now,
      resourceVersion: '1',
    });
  test('without finalizers the object is removed', () => {
    assert.deepEqual(prepareDelete(created(), { ...ip, now, resourceVersion: '9' }), { action: 'removed' });
  });
  test('with finalizers it becomes terminating; removing the last finalizer finalizes it', () => {
    const d = prepareDelete(withFinalizer(), { ...ip, now, resourceVersion: '2' });
    assert.equal(d.action, 'terminating');
    if (d.action !== 'terminating') return;
    assert.equal(d.object.metadata.deletionTimestamp, '2024-01-29T03:05:40Z');
    assert.equal(prepareDelete(d.object, { ...ip, now, resourceVersion: '3' }).action, 'terminating');
    const u = prepareUpdate(
      d.object,
      { ...d.object, metadata: { ...d.object.metadata, finalizers: [] } },
      { ...ip, resourceVersion: '3' },
    );
    assert.equal(u.finalized, true);
    assert.equal(u.object.metadata.deletionTimestamp, '2024-01-29T03:05:40Z');
  });
  test('no finalizer may be added to a terminating object', () => {
    const d = prepareDelete(withFinalizer(), { ...ip, now, resourceVersion: '2' });
    if (d.action !== 'terminating') assert.fail('expected terminating');
    rejects(
      () =>
        prepareUpdate(
          d.object,
          { ...d.object, metadata: { ...d.object.metadata, finalizers: ['kube-ovn-controller', 'x.io/y'] } },
          { ...ip, resourceVersion: '3' },
        ),
      'Forbidden',
    );
  });
  test('preconditions must match', () => {
    rejects(
      () => prepareDelete(created(), { ...ip, now, resourceVersion: '9', preconditions: { uid: 'nope' } }),
      'Conflict',
    );
    rejects(
      () =>
        prepareDelete(created(), {
          ...ip,
          now,
          resourceVersion: '9',
          preconditions: { resourceVersion: '1' },
        }),
      'Conflict',
    );
  });
});
