/** The real kubectl 1.32 changing objects: patch, label, annotate, replace, delete with finalizers, dry runs, validation. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startApiHarness, type ApiHarness } from '../support/api-harness.js';
import type { IpamService } from '../../src/service/service.js';
import { stateOf } from '../support/service.js';
import { SEEDS_DIR, seededService } from './fixtures.js';
import { kubectlSkipReason } from '../support/kubectl.js';

describe('kubectl writes', { skip: kubectlSkipReason() }, () => {
  let h: ApiHarness;
  let svc: IpamService;
  const NAME = 'vm-dynamic-01.default';
  /** `kubectl patch ip NAME --type TYPE -p BODY [extra…]`. */
  const patchIp = (type: 'merge' | 'json', body: string, ...extra: string[]) =>
    h.kubectl(['patch', 'ip', NAME, ...extra, '--type', type, '-p', body]);
  before(async () => {
    svc = await seededService();
    h = await startApiHarness(svc);
  });
  after(() => h.close());
  beforeEach(async () => {
    // Each test starts from a freshly applied 01-dynamic.yaml.
    if (svc.get('IP', NAME)) {
      await patchIp('merge', '{"metadata":{"finalizers":null}}');
      await h.kubectl(['delete', 'ip', NAME, '--ignore-not-found']);
    }
    const r = await h.kubectl(['apply', '-f', join(SEEDS_DIR, '01-dynamic.yaml')]);
    assert.equal(r.code, 0, r.stderr);
  });

  test('API-patch: merge and json patch change the stored spec; generation grows', async () => {
    const m = await patchIp('merge', '{"spec":{"nodeName":"node-1"}}');
    assert.equal(m.code, 0, m.stderr);
    assert.equal(svc.get('IP', NAME)?.spec?.['nodeName'], 'node-1');
    assert.equal(
      svc.get('IP', NAME)?.metadata.generation,
      3,
      'a reservation starts at 2; the spec changed once',
    );
    const j = await patchIp(
      'json',
      '[{"op":"replace","path":"/spec/nodeName","value":"node-2"},{"op":"add","path":"/spec/attachIps","value":[]}]',
    );
    assert.equal(j.code, 0, j.stderr);
    assert.equal(svc.get('IP', NAME)?.spec?.['nodeName'], 'node-2');
    assert.deepEqual(svc.get('IP', NAME)?.spec?.['attachIps'], []);
  });

  test('API-patch: strategic merge patch is refused with 415, as for custom resources', async () => {
    const r = await h.kubectl(['patch', 'ip', NAME, '-p', '{"spec":{"nodeName":"x"}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /application\/merge-patch\+json/);
    assert.equal(svc.get('IP', NAME)?.spec?.['nodeName'], '');
  });

  test('API-label: kubectl label and annotate keep the other labels and annotations', async () => {
    assert.equal((await h.kubectl(['label', 'ip', NAME, 'team=blue'])).code, 0);
    assert.equal((await h.kubectl(['annotate', 'ip', NAME, 'note=kept'])).code, 0);
    const meta = svc.get('IP', NAME)?.metadata;
    assert.equal(meta?.labels?.['team'], 'blue');
    assert.equal(meta?.labels?.['ovn.kubernetes.io/ip_reserved'], 'true');
    assert.equal(meta?.annotations?.['note'], 'kept');
    assert.ok(meta?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
    const sel = await h.kubectl(['get', 'ips', '-l', 'ovn.kubernetes.io/ip_reserved=true', '-o', 'name']);
    assert.equal(sel.stdout.trim(), `ip.kubeovn.io/${NAME}`);
  });

  test('API-conflict: kubectl replace with a stale resourceVersion is a 409 and changes nothing', async () => {
    const stale = (await h.kubectl(['get', 'ip', NAME, '-o', 'json'])).stdout;
    await h.kubectl(['annotate', 'ip', NAME, 'bump=1']);
    const before = svc.get('IP', NAME);
    const edited = stale.replace(
      '"podName": "vm-dynamic-01"',
      '"podName": "vm-dynamic-01",\n        "nodeName": "stale"',
    );
    const r = await h.kubectl(['replace', '-f', '-'], edited);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /Conflict.*Operation cannot be fulfilled on ips\.kubeovn\.io "vm-dynamic-01\.default": the object has been modified; please apply your changes to the latest version and try again/,
    );
    assert.deepEqual(svc.get('IP', NAME), before);
    const fresh = (await h.kubectl(['get', 'ip', NAME, '-o', 'json'])).stdout.replace(
      '"podName": "vm-dynamic-01"',
      '"podName": "vm-dynamic-01",\n        "nodeName": "fresh"',
    );
    const ok = await h.kubectl(['replace', '-f', '-'], fresh);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(svc.get('IP', NAME)?.spec?.['nodeName'], 'fresh');
  });

  test('API-finalizers IPR-9: delete with a finalizer leaves a terminating object; removing it by patch deletes it', async () => {
    await patchIp('merge', '{"metadata":{"finalizers":["example.com/hold"]}}');
    const d = await h.kubectl(['delete', 'ip', NAME, '--wait=false']);
    assert.equal(d.code, 0, d.stderr);
    const terminating = svc.get('IP', NAME);
    assert.ok(terminating?.metadata.deletionTimestamp, 'deletionTimestamp set');
    assert.deepEqual(terminating?.metadata.finalizers, ['example.com/hold', 'kube-ovn-controller']);
    assert.ok(svc.engine.getLease(NAME), 'the address is held while the object exists');
    const again = await patchIp(
      'merge',
      '{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}',
    );
    assert.match(
      again.stderr,
      /metadata\.finalizers: Forbidden: no new finalizers can be added if the object is being deleted/,
    );
    const p = await patchIp('json', '[{"op":"remove","path":"/metadata/finalizers"}]');
    assert.equal(p.code, 0, p.stderr);
    assert.equal(svc.get('IP', NAME), undefined);
    assert.equal(svc.engine.getLease(NAME), undefined, 'released with the object');
  });

  test('API-finalizers: kubectl delete waits (through a watch) until the last finalizer is gone', async () => {
    await patchIp('merge', '{"metadata":{"finalizers":["example.com/hold"]}}');
    const deleting = h.kubectl(['delete', 'ip', NAME, '--timeout=20s']);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(svc.get('IP', NAME)?.metadata.deletionTimestamp);
    await patchIp('merge', '{"metadata":{"finalizers":null}}');
    const d = await deleting;
    assert.equal(d.code, 0, d.stderr);
    assert.equal(svc.get('IP', NAME), undefined);
  });

  test('API-dry-run: apply, patch and delete with --dry-run=server change nothing', async () => {
    const before = svc.get('IP', NAME);
    const state = stateOf(svc);
    const created = await h.kubectl(['apply', '--dry-run=server', '-f', join(SEEDS_DIR, '02-static.yaml')]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created \(server dry run\)/);
    assert.equal(svc.get('IP', 'pod-static-01.default'), undefined);
    const patched = await patchIp(
      'merge',
      '{"spec":{"nodeName":"x"}}',
      '--dry-run=server',
      '-o',
      'jsonpath={.spec.nodeName}',
    );
    assert.equal(patched.stdout, 'x', 'the would-be object is returned');
    const deleted = await h.kubectl(['delete', 'ip', NAME, '--dry-run=server']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(svc.get('IP', NAME), before);
    assert.equal(stateOf(svc), state, 'no object, lease or counter changed');
  });

  test('SEC-2: kubectl apply rejects an unknown field by name and changes nothing', async () => {
    const manifest = `apiVersion: kubeovn.io/v1
kind: IP
metadata:
  name: typo.default
spec:
  subnet: ovn-default
  podName: typo
  namespace: default
  v4IPAddress: 10.16.0.9
`;
    const r = await h.kubectl(['apply', '-f', '-'], manifest);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown field "spec\.v4IPAddress"/);
    assert.equal(svc.get('IP', 'typo.default'), undefined);
    const warn = await h.kubectl(['apply', '--validate=warn', '-f', '-'], manifest);
    assert.equal(warn.code, 0, warn.stderr);
    assert.match(warn.stderr, /unknown field "spec\.v4IPAddress"/);
    assert.equal(svc.get('IP', 'typo.default')?.spec?.['v4IPAddress'], undefined, 'unknown field pruned');
  });

  test('SEC-2: a wrong type is 422 Invalid naming the field', async () => {
    const r = await patchIp('merge', '{"spec":{"podType":"Pod"}}');
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /is invalid: spec\.podType: Unsupported value: "Pod": supported values: "", "StatefulSet", "VirtualMachine"/,
    );
    const t = await patchIp('merge', '{"spec":{"attachIps":"10.0.0.1"}}');
    assert.match(t.stderr, /spec\.attachIps in body must be of type array/);
  });
});
