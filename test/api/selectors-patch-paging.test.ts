import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import { ipKind } from '../../src/api/kinds/ip.js';
import { parseJson, toJson } from '../../src/api/json.js';
import { paginate } from '../../src/api/paging.js';
import { applyJsonPatch, applyMergePatch, parseJsonPatch } from '../../src/api/patch.js';
import type { KubeObject } from '../../src/api/resource-service.js';
import { fieldMatcher, labelMatcher } from '../../src/api/selectors.js';

const ip = (
  name: string,
  labels: Record<string, string> = {},
  spec: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: 'kubeovn.io/v1',
  kind: 'IP',
  metadata: { name, labels },
  spec,
});

describe('API-selectors', () => {
  const a = ip('a', { env: 'prod', tier: 'web', n: '5' }, { subnet: 'ovn-default' });
  const b = ip('b', { env: 'dev' }, { subnet: 'other' });
  const pick = (sel: string): string[] => [a, b].filter(labelMatcher(sel)).map((o) => o.metadata.name ?? '');
  test('label operators', () => {
    assert.deepEqual(pick('env=prod'), ['a']);
    assert.deepEqual(pick('env==prod'), ['a']);
    assert.deepEqual(pick('env!=prod'), ['b']);
    assert.deepEqual(pick('env in (dev, prod)'), ['a', 'b']);
    assert.deepEqual(pick('env notin (prod)'), ['b']);
    assert.deepEqual(pick('tier'), ['a']);
    assert.deepEqual(pick('!tier'), ['b']);
    assert.deepEqual(pick('env=prod,tier=web'), ['a']);
    assert.deepEqual(pick('n>4'), ['a']);
    assert.deepEqual(pick(''), ['a', 'b']);
  });
  test('bad label selectors are 400', () => {
    assert.throws(
      () => labelMatcher('env=has space'),
      (e: unknown) => e instanceof ApiError && e.code === 400,
    );
  });
  test('field selectors: metadata.name and declared spec fields only', () => {
    assert.deepEqual(
      [a, b].filter(fieldMatcher(ipKind, 'spec.subnet=ovn-default')).map((o) => o.metadata.name),
      ['a'],
    );
    assert.deepEqual(
      [a, b].filter(fieldMatcher(ipKind, 'metadata.name!=a')).map((o) => o.metadata.name),
      ['b'],
    );
    assert.throws(
      () => fieldMatcher(ipKind, 'spec.bogus=1'),
      (e: unknown) => e instanceof ApiError && e.code === 400 && /spec\.subnet/.test(e.message),
    );
  });
});

describe('API-patch', () => {
  test('merge patch: null deletes, objects merge, arrays replace', () => {
    assert.deepEqual(
      applyMergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { a: null, b: { c: 9 }, e: [3] }),
      { b: { c: 9, d: 3 }, e: [3] },
    );
  });
  test('json patch: add, remove, replace, move, copy, test', () => {
    const doc = { metadata: { labels: { a: 'x' } }, spec: { list: [1, 2] } };
    const out = applyJsonPatch(
      doc,
      parseJsonPatch([
        { op: 'add', path: '/spec/list/-', value: 3 },
        { op: 'replace', path: '/metadata/labels/a', value: 'y' },
        { op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/b' },
        { op: 'move', from: '/metadata/labels/b', path: '/metadata/labels/c~1d' },
        { op: 'remove', path: '/spec/list/0' },
        { op: 'test', path: '/spec/list', value: [2, 3] },
      ]),
    );
    assert.deepEqual(out, { metadata: { labels: { a: 'y', 'c/d': 'y' } }, spec: { list: [2, 3] } });
    assert.deepEqual(doc.spec.list, [1, 2], 'input untouched');
  });
  test('json patch failures are errors, all or nothing', () => {
    assert.throws(
      () => applyJsonPatch({ a: 1 }, parseJsonPatch([{ op: 'test', path: '/a', value: 2 }])),
      (e: unknown) => e instanceof ApiError && e.code === 422,
    );
    assert.throws(
      () => applyJsonPatch({ a: 1 }, parseJsonPatch([{ op: 'remove', path: '/b' }])),
      (e: unknown) => e instanceof ApiError && e.code === 400,
    );
    assert.throws(
      () => parseJsonPatch([{ op: 'frob', path: '/a' }]),
      (e: unknown) => e instanceof ApiError && e.code === 400,
    );
  });
});

describe('API-paging', () => {
  const items = ['a', 'b', 'c', 'd', 'e'].map((n) => ip(n));
  test('continue tokens walk every item once, even when items change between pages', () => {
    const p1 = paginate('ips', items, '10', 2, null);
    assert.deepEqual(
      p1.items.map((o) => o.metadata.name),
      ['a', 'b'],
    );
    assert.equal(p1.remainingItemCount, 3);
    // Between pages: 'a' deleted, 'c' deleted, 'bb' created behind... no, after the cursor.
    const changed = ['b', 'bb', 'd', 'e'].map((n) => ip(n));
    const p2 = paginate('ips', changed, '12', 2, p1.continueToken ?? null);
    assert.deepEqual(
      p2.items.map((o) => o.metadata.name),
      ['bb', 'd'],
    );
    assert.equal(p2.resourceVersion, '10');
    const p3 = paginate('ips', changed, '12', 2, p2.continueToken ?? null);
    assert.deepEqual(
      p3.items.map((o) => o.metadata.name),
      ['e'],
    );
    assert.equal(p3.continueToken, undefined);
  });
  test('a foreign or garbled token is 400', () => {
    const t = paginate('subnets', items, '1', 1, null).continueToken ?? '';
    assert.throws(
      () => paginate('ips', items, '1', 1, t),
      (e: unknown) => e instanceof ApiError && e.code === 400,
    );
    assert.throws(
      () => paginate('ips', items, '1', 1, 'garbage'),
      (e: unknown) => e instanceof ApiError && e.code === 400,
    );
  });
});

describe('API-json big numbers', () => {
  test('counters beyond 2^53 round-trip exactly', () => {
    const text = '{"v6availableIPs":18446744073709551614,"small":7}';
    const v = parseJson(text);
    assert.deepEqual(v, { v6availableIPs: 18446744073709551614n, small: 7 });
    assert.equal(toJson(v), text);
  });
});
