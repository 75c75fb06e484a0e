/**
 * `kind: List` documents through the real kubectl: what `kubectl get -o yaml` prints for several objects
 * applies back, items are validated strictly by the server, and a refused item changes nothing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { E2E, make } from './e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

describe('kind: List through kubectl', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  before(async () => {
    e = await E2E.start();
  });
  after(() => e.close());

  const listFile = (name: string, items: object[]): string => {
    const path = join(e.dataDir, name);
    writeFileSync(path, stringify({ apiVersion: 'v1', kind: 'List', items }));
    return path;
  };

  test('API-apply a v1 List of a subnet and a reservation applies; get -o yaml of both applies back unchanged', async () => {
    const file = listFile('list.yaml', [
      make.subnet('lst', { cidrBlock: '10.142.0.0/24' }),
      make.reservation('lst-vm', 'default', 'lst'),
    ]);
    const out = await e.ok(['apply', '-f', file]);
    assert.match(out, /subnet\.kubeovn\.io\/lst created/);
    assert.match(out, /ip\.kubeovn\.io\/lst-vm\.default created/);
    assert.equal((await e.must('ip', 'lst-vm.default')).spec['v4IpAddress'], '10.142.0.2');

    const printed = await e.ok(['get', 'subnet/lst', 'ip/lst-vm.default', '-o', 'yaml']);
    assert.match(printed, /^apiVersion: v1\nitems:/);
    const back = join(e.dataDir, 'back.yaml');
    writeFileSync(back, printed);
    const before = await e.snapshot();
    const again = await e.ok(['apply', '-f', back]);
    assert.match(again, /subnet\.kubeovn\.io\/lst (unchanged|configured)/);
    assert.equal(
      (await e.must('ip', 'lst-vm.default')).spec['v4IpAddress'],
      '10.142.0.2',
      'the reservation kept its address',
    );
    assert.equal(JSON.parse(await e.snapshot()).length, JSON.parse(before).length);
  });

  test('SEC-2 a List item with an unknown field is refused by the server, naming the field; nothing changes', async () => {
    const before = await e.snapshot();
    const file = listFile('bad.yaml', [
      { ...make.subnet('lst-bad', { cidrBlock: '10.143.0.0/24' }), extra: { bogus: 1 } },
    ]);
    const err = await e.fails(['apply', '-f', file]);
    assert.match(err, /unknown field "extra"/);
    assert.equal(await e.snapshot(), before);
  });
});
