// API-apply: the merge and removal rules of server-side apply, on plain objects (the kubectl e2e suite
// drives the same code through the real client: test/e2e/server-side-apply.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyConfiguration, checkApplyRequest, fieldSetOf } from '../../src/api/apply.js';
import { ApiError } from '../../src/api/errors.js';
import type { JsonValue } from '../../src/api/resource-service.js';

type Obj = Record<string, JsonValue>;

const at = { now: '2026-11-22T00:00:00Z' };
const subnet = (spec: Obj, metadata: Obj = {}): Obj => ({
  apiVersion: 'kubeovn.io/v1',
  kind: 'Subnet',
  metadata: { name: 's', ...metadata },
  spec,
});

describe('API-apply server-side apply rules', () => {
  test('API-apply the field set: leaves and whole lists, no server metadata, no apiVersion/kind', () => {
    const fields = fieldSetOf(
      subnet(
        { cidrBlock: '10.0.0.0/24', excludeIps: ['10.0.0.2'], nested: { a: 1 } },
        { labels: { team: 'a' }, resourceVersion: '7', uid: 'x' },
      ),
    );
    assert.deepEqual(fields, {
      'f:metadata': { 'f:labels': { 'f:team': {} } },
      'f:spec': { 'f:cidrBlock': {}, 'f:excludeIps': {}, 'f:nested': { 'f:a': {} } },
    });
  });

  test('API-apply a manager that drops a label removes only that label, never metadata itself', () => {
    const one = applyConfiguration(undefined, subnet({ cidrBlock: 'c' }, { labels: { team: 'a' } }), {
      ...at,
      manager: 'flux',
    });
    const live = {
      ...one,
      metadata: { ...(one['metadata'] as object), uid: 'u', labels: { team: 'a', tier: 'x' } },
    };
    const two = applyConfiguration(live, subnet({ cidrBlock: 'c' }), { ...at, manager: 'flux' });
    const meta = two['metadata'] as Record<string, unknown>;
    assert.deepEqual(meta['labels'], { tier: 'x' });
    assert.equal(meta['name'], 's');
    assert.equal(meta['uid'], 'u');
    // Dropping the last label it set, when it set them all, removes the emptied map too.
    const three = applyConfiguration(
      applyConfiguration(undefined, subnet({ cidrBlock: 'c' }, { labels: { team: 'a' } }), {
        ...at,
        manager: 'm',
      }),
      subnet({ cidrBlock: 'c' }),
      { ...at, manager: 'm' },
    );
    assert.equal((three['metadata'] as Record<string, unknown>)['labels'], undefined);
  });

  test('API-apply fields of other managers and of nobody stay; lists replace whole; entries per manager', () => {
    const live = {
      ...subnet({ cidrBlock: 'c', excludeIps: ['1', '2'], gateway: 'g' }),
      metadata: {
        name: 's',
        managedFields: [
          { manager: 'other', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:gateway': {} } } },
          {
            manager: 'me',
            operation: 'Apply',
            fieldsV1: { 'f:spec': { 'f:excludeIps': {}, 'f:private': {} } },
          },
        ],
      },
    };
    const out = applyConfiguration(live, subnet({ excludeIps: ['3'] }), { ...at, manager: 'me' });
    assert.deepEqual(out['spec'], { cidrBlock: 'c', excludeIps: ['3'], gateway: 'g' });
    const entries = (out['metadata'] as { managedFields: { manager: string; time?: string }[] })
      .managedFields;
    assert.deepEqual(
      entries.map((m) => m.manager),
      ['other', 'me'],
    );
    assert.equal(entries[1]!.time, at.now);
  });

  test('API-apply requests need a manager and this object: 400 naming what is wrong', () => {
    const expected = { apiVersion: 'kubeovn.io/v1', kind: 'Subnet', name: 's' };
    const bad = (body: unknown, manager: string | null, pattern: RegExp): void =>
      assert.throws(
        () => checkApplyRequest(body as never, manager, expected),
        (e: unknown) => e instanceof ApiError && e.code === 400 && pattern.test(e.message),
      );
    bad(subnet({}), null, /fieldManager is required/);
    bad([1], 'kubectl', /must be an object/);
    bad({ ...subnet({}), kind: 'IP' }, 'kubectl', /kind: Subnet/);
    bad(subnet({}, { name: 't' }), 'kubectl', /metadata\.name "t".*"s"/);
    assert.ok(checkApplyRequest(subnet({}), 'kubectl', expected));
  });
});
