/**
 * Write rules against a real daemon, driven by the real kubectl and raw HTTPS: what a hostile or careless user
 * found to be accepted or misreported (issue 7) is refused with an error that names the right field and says
 * what is wrong, and changes nothing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CniHarness } from '../cni-e2e/cni-e2e-support.js';
import { runKubectl, kubectlSkipReason } from '../support/kubectl.js';
import { E2E, collectionPath, make, seedPath, type HttpReply, type Obj } from './e2e-support.js';

/** The `metav1.Status` of a reply, with its causes. */
function status(r: HttpReply): {
  code: number;
  reason: string;
  message: string;
  causes: { reason: string; field: string; message: string }[];
} {
  assert.ok(r.json, `a JSON Status body, got: ${r.text.slice(0, 300)}`);
  assert.equal(r.json['kind'], 'Status', r.text.slice(0, 300));
  const details = (r.json['details'] ?? {}) as {
    causes?: { reason: string; field: string; message: string }[];
  };
  return {
    code: r.json['code'] as number,
    reason: r.json['reason'] as string,
    message: r.json['message'] as string,
    causes: details.causes ?? [],
  };
}

describe('write rules (real daemon, real kubectl)', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  const NAME = 'vm-dynamic-01.default';
  const IP_PATH = `${collectionPath('ips')}/${NAME}`;

  before(async () => {
    e = await E2E.start();
    await e.ok(['apply', '-f', seedPath('01-dynamic.yaml')]);
  });
  after(() => e?.close());

  test('API-update a PUT without metadata.resourceVersion → 422 Invalid, as for custom resources; nothing changes', async () => {
    const current = await e.must('ip', NAME);
    const { resourceVersion: _rv, ...metadata } = current.metadata;
    const unconditional: Obj = { ...current, metadata, spec: { ...current.spec, nodeName: 'blind' } };
    const before = await e.snapshot();
    // kubectl replace never sends one: it reads the current version first when the file has none.
    const raw = status(await e.http('PUT', IP_PATH, { body: JSON.stringify(unconditional) }));
    assert.deepEqual(
      [raw.code, raw.reason, raw.causes.map((c) => `${c.reason} ${c.field}`)],
      [422, 'Invalid', ['FieldValueInvalid metadata.resourceVersion']],
    );
    assert.equal(await e.snapshot(), before, 'nothing changed');
  });

  test('API-update kubectl apply, label, annotate, replace (with the version it read) and edit keep working', async () => {
    await e.ok(['apply', '-f', seedPath('01-dynamic.yaml')]);
    await e.ok(['label', 'ip', NAME, 'team=blue']);
    await e.ok(['annotate', 'ip', NAME, 'note=kept']);
    const read = await e.must('ip', NAME);
    await e.ok(
      ['replace', '-f', '-'],
      JSON.stringify({ ...read, spec: { ...read.spec, nodeName: 'n-replace' } }),
    );
    const { resourceVersion: _rv, ...unversioned } = read.metadata;
    const noVersion = { ...read, metadata: unversioned, spec: { ...read.spec, nodeName: 'n-replace-2' } };
    await e.ok(['replace', '-f', '-'], JSON.stringify(noVersion));
    assert.equal((await e.must('ip', NAME)).spec['nodeName'], 'n-replace-2');

    const editor = join(e.dataDir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/nodeName: n-replace-2/nodeName: n-edit/" "$1"\n', {
      mode: 0o755,
    });
    const edited = await runKubectl(['edit', 'ip', NAME], {
      kubeconfig: e.daemon.kubeconfig,
      env: { KUBE_EDITOR: editor },
    });
    assert.equal(edited.code, 0, edited.stderr);
    const after = await e.must('ip', NAME);
    assert.equal(after.spec['nodeName'], 'n-edit');
    assert.equal(after.metadata.labels?.['team'], 'blue');
    assert.equal(after.metadata.annotations?.['note'], 'kept');
  });

  test('SUB-9 a new cidrBlock for a subnet in use is refused as in use, with the count, before anything else', async () => {
    await e.apply(make.subnet('busy', { cidrBlock: '10.150.0.0/24' }));
    for (const n of ['b1', 'b2', 'b3']) await e.apply(make.reservation(n, 'default', 'busy'));
    const before = await e.snapshot();
    const stderr = await e.fails([
      'patch',
      'subnet',
      'busy',
      '--type',
      'merge',
      '-p',
      '{"spec":{"cidrBlock":"10.151.0.0/24"}}',
    ]);
    assert.match(
      stderr,
      /Forbidden.*spec\.cidrBlock of subnet busy cannot change while 3 address\(es\) are in use; release them first/,
    );
    assert.doesNotMatch(stderr, /gateway|excludeIps/);
    assert.equal(await e.snapshot(), before, 'nothing changed');
    // The same CIDR written with host bits is no change of the CIDR, so it is not refused.
    await e.ok([
      'patch',
      'subnet',
      'busy',
      '--type',
      'merge',
      '-p',
      '{"spec":{"cidrBlock":"10.150.0.7/24"}}',
    ]);
    assert.equal((await e.must('subnet', 'busy')).spec['cidrBlock'], '10.150.0.0/24');
  });

  test('SPP-8 excluding an address a pod holds is refused on spec.excludeIPs (removing it, on spec.ips), naming the pod', async () => {
    await e.apply(make.spiderPool('sp-held', { subnet: '10.152.0.0/24', ips: ['10.152.0.10-10.152.0.20'] }));
    const h = new CniHarness(e, 'spp8');
    const result = await h.addOk({
      containerId: 'c-spp8',
      pod: { namespace: 'default', name: 'spp8' },
      ipam: { default_ipv4_ippool: ['sp-held'] },
    });
    assert.equal(result.ips?.[0]?.address, '10.152.0.10/24');
    const before = await e.snapshot();
    const exclude = await e.fails([
      'patch',
      'sp',
      'sp-held',
      '--type',
      'merge',
      '-p',
      '{"spec":{"excludeIPs":["10.152.0.10"]}}',
    ]);
    assert.match(
      exclude,
      /spec\.excludeIPs: Forbidden: exclude an IP address 10\.152\.0\.10 that is being used by spp8\.default/,
    );
    const remove = await e.fails([
      'patch',
      'sp',
      'sp-held',
      '--type',
      'merge',
      '-p',
      '{"spec":{"ips":["10.152.0.11-10.152.0.20"]}}',
    ]);
    assert.match(
      remove,
      /spec\.ips: Forbidden: remove an IP address 10\.152\.0\.10 that is being used by spp8\.default/,
    );
    assert.equal(await e.snapshot(), before, 'nothing changed');
  });

  test('SEC-2 a JSON body with a field given twice is refused as strict decoding refuses it (Warn keeps the last)', async () => {
    const SUBNETS = collectionPath('subnets');
    const body =
      '{"apiVersion":"kubeovn.io/v1","kind":"Subnet","metadata":{"name":"dup"},' +
      '"spec":{"cidrBlock":"10.153.0.0/24","cidrBlock":"10.154.0.0/24"}}';
    const before = await e.snapshot();
    const strict = await e.http('POST', SUBNETS, { body });
    const s = status(strict);
    assert.deepEqual([s.code, s.reason], [400, 'BadRequest']);
    assert.match(s.message, /strict decoding error: duplicate field "spec\.cidrBlock"/);
    assert.deepEqual(
      s.causes.map((c) => `${c.reason} ${c.field}`),
      ['FieldValueDuplicate spec.cidrBlock'],
    );
    const patch = await e.http('PATCH', `${SUBNETS}/ovn-default`, {
      body: '{"spec":{"private":true,"private":false}}',
      contentType: 'application/merge-patch+json',
    });
    assert.match(status(patch).message, /duplicate field "spec\.private"/);
    assert.equal(await e.snapshot(), before, 'nothing changed');
    const warn = await e.http('POST', `${SUBNETS}?fieldValidation=Warn`, { body });
    assert.equal(warn.status, 201, warn.text);
    assert.match(String(warn.headers['warning']), /299 - "duplicate field \\"spec\.cidrBlock\\""/);
    assert.equal(
      (await e.must('subnet', 'dup')).spec['cidrBlock'],
      '10.154.0.0/24',
      'the last one, as JSON decoders keep',
    );
  });

  test('SEC-2 a 100,000-deep JSON body is a clear 400, not a stack overflow; parse errors give line and column', async () => {
    const SUBNETS = collectionPath('subnets');
    for (const deep of [
      '['.repeat(100_000) + ']'.repeat(100_000),
      '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
    ]) {
      const s = status(await e.http('POST', SUBNETS, { body: deep }));
      assert.equal(s.code, 400);
      assert.match(s.message, /invalid JSON at line 1, column \d+: nested deeper than 1000 levels/);
      assert.doesNotMatch(s.message, /stack/i);
    }
    const json = status(
      await e.http('POST', SUBNETS, { body: '{"apiVersion": "kubeovn.io/v1",\n "kind": }' }),
    );
    assert.match(json.message, /invalid JSON at line 2, column 10: /);
    const yaml = status(
      await e.http('POST', SUBNETS, {
        body: 'apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata:\n  name: y\nspec:\n  cidrBlock: [unclosed\n',
        contentType: 'application/yaml',
      }),
    );
    assert.match(yaml.message, /invalid YAML at line 7, column 1: /);
    const dupYaml = status(
      await e.http('POST', SUBNETS, {
        body: 'metadata:\n  name: a\n  name: b\n',
        contentType: 'application/yaml',
      }),
    );
    assert.match(dupYaml.message, /invalid YAML at line 3, column 3: Map keys must be unique/);
  });

  test('IPR-6 an immutable-field error quotes the rejected value once', async () => {
    await e.apply(
      make.subnet('imm', { cidrBlock: '10.155.0.0/24' }),
      make.reservation('imm', 'default', 'imm'),
    );
    const stderr = await e.fails([
      'patch',
      'ip',
      'imm.default',
      '--type',
      'merge',
      '-p',
      '{"spec":{"subnet":"ovn-default"}}',
    ]);
    assert.match(stderr, /spec\.subnet: Invalid value: "ovn-default": field is immutable; .*\(was "imm"\)/);
    assert.doesNotMatch(stderr, /\\"/, 'no escaped quotes');
    const sp = await e.fails([
      'patch',
      'ip',
      'imm.default',
      '--type',
      'merge',
      '-p',
      '{"spec":{"v4IpAddress":"10.155.0.99"}}',
    ]);
    assert.match(sp, /spec\.v4IpAddress: Invalid value: "10\.155\.0\.99": /);
  });

  test('API-create a bad generateName is reported on metadata.generateName; a good one makes a name', async () => {
    const gen = (prefix: string, cidr: string): string =>
      JSON.stringify({ ...make.subnet('', { cidrBlock: cidr }), metadata: { generateName: prefix } });
    const before = await e.snapshot();
    const stderr = await e.fails(['create', '-f', '-'], gen('Bad_', '10.156.0.0/24'));
    assert.match(
      stderr,
      /metadata\.generateName: Invalid value: "Bad_": a lowercase RFC 1123 subdomain must consist of/,
    );
    assert.doesNotMatch(stderr, /metadata\.name/);
    assert.equal(await e.snapshot(), before, 'nothing created');
    const made = await e.ok(['create', '-f', '-', '-o', 'name'], gen('gen-', '10.156.0.0/24'));
    assert.match(made.trim(), /^subnet\.kubeovn\.io\/gen-[a-z0-9]{5}$/);
  });

  test('IPR-2 an IP whose ipAddress disagrees with v4IpAddress is refused on spec.ipAddress; agreeing or alone, it is used', async () => {
    await e.apply(make.subnet('agree', { cidrBlock: '10.157.0.0/24' }));
    const before = await e.snapshot();
    const stderr = await e.applyFails(
      make.reservation('mis', 'default', 'agree', { v4IpAddress: '10.157.0.40', ipAddress: '10.157.0.41' }),
    );
    assert.match(
      stderr,
      /spec\.ipAddress: Invalid value: "10\.157\.0\.41": spec\.ipAddress "10\.157\.0\.41" disagrees with spec\.v4IpAddress\/spec\.v6IpAddress \(10\.157\.0\.40\)/,
    );
    assert.equal(await e.snapshot(), before, 'nothing created');
    await e.apply(
      make.reservation('same', 'default', 'agree', { v4IpAddress: '10.157.0.40', ipAddress: '10.157.0.40' }),
    );
    await e.apply(make.reservation('alone', 'default', 'agree', { ipAddress: '10.157.0.41' }));
    assert.equal((await e.must('ip', 'same.default')).spec['v4IpAddress'], '10.157.0.40');
    assert.equal((await e.must('ip', 'alone.default')).spec['v4IpAddress'], '10.157.0.41');
  });
});
