/** The real kubectl 1.32 against the API: discovery, apply of every seed manifest, get in every output form. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { startApiHarness, type ApiHarness } from '../support/api-harness.js';
import type { IpamService } from '../../src/service/service.js';
import { API_FIXTURES_DIR, lines, SEED_FILES, SEEDS_DIR, seededService } from './fixtures.js';
import { kubectlSkipReason } from '../support/kubectl.js';

describe('kubectl reads', { skip: kubectlSkipReason() }, () => {
  let h: ApiHarness;
  let svc: IpamService;
  before(async () => {
    svc = await seededService();
    h = await startApiHarness(svc);
  });
  after(() => h.close());

  test('API-discovery: kubectl api-resources lists the five kinds with short names', async () => {
    const r = await h.kubectl(['api-resources', '--no-headers']);
    assert.equal(r.code, 0, r.stderr);
    const rows = lines(r.stdout).map((l) => l.split(/\s+/));
    assert.deepEqual(rows.map((c) => [c[0], c[1], c[2], c[3], c[4]]).sort(), [
      ['ippools', 'ippool', 'kubeovn.io/v1', 'false', 'IPPool'],
      ['ips', 'ip', 'kubeovn.io/v1', 'false', 'IP'],
      ['spiderippools', 'sp', 'spiderpool.spidernet.io/v2beta1', 'false', 'SpiderIPPool'],
      ['spiderreservedips', 'sr', 'spiderpool.spidernet.io/v2beta1', 'false', 'SpiderReservedIP'],
      ['subnets', 'subnet', 'kubeovn.io/v1', 'false', 'Subnet'],
    ]);
    assert.equal(r.stderr, '', 'no discovery errors printed');
  });

  test('API-discovery: kubectl api-versions and version', async () => {
    const r = await h.kubectl(['api-versions']);
    // The core group v1 is announced (with no resources) so that kubectl can map `kind: List`.
    assert.deepEqual(lines(r.stdout), ['kubeovn.io/v1', 'spiderpool.spidernet.io/v2beta1', 'v1']);
    const v = await h.kubectl(['version', '-o', 'json']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal((JSON.parse(v.stdout) as { serverVersion: { minor: string } }).serverVersion.minor, '32');
  });

  test('API-table SUB-7: kubectl get subnet ovn-default prints the seed table with the counters the service keeps', async () => {
    // The seed page shows 7 addresses in use: make 7 reservations, then print.
    for (let i = 0; i < 7; i++) {
      const name = `table-${i}`;
      const spec = { subnet: 'ovn-default', podName: name, namespace: 'default' };
      await svc.create(
        'IP',
        { apiVersion: 'kubeovn.io/v1', kind: 'IP', metadata: { name: `${name}.default` }, spec },
        { dryRun: false },
      );
    }
    const r = await h.kubectl(['get', 'subnet', 'ovn-default']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [
      'NAME          PROVIDER   VPC           PROTOCOL   CIDR           PRIVATE   NAT    DEFAULT   GATEWAYTYPE   V4USED   V4AVAILABLE   V6USED   V6AVAILABLE   EXCLUDEIPS      U2OINTERCONNECTIONIP',
      'ovn-default   ovn        ovn-cluster   IPv4       10.16.0.0/16   false     true   true      distributed   7        65526         0        0             ["10.16.0.1"]',
    ]);
    for (let i = 0; i < 7; i++) await svc.delete('IP', `table-${i}.default`, { dryRun: false });
  });

  test('API-apply: every seed manifest applies unchanged and is stored', async () => {
    // use-excludeips.yaml and not-use-excludeips.yaml are the same ten addresses: one at a time (SPP-3).
    const together = SEED_FILES.filter((f) => f !== 'use-excludeips.yaml');
    for (const file of [
      ...together.map((f) => join(SEEDS_DIR, f)),
      join(API_FIXTURES_DIR, 'subnet-dual.yaml'),
      join(API_FIXTURES_DIR, 'ippool.yaml'),
    ]) {
      const r = await h.kubectl(['apply', '-f', file]);
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
      assert.match(r.stdout, / created$/m, file);
      const doc = parse(readFileSync(file, 'utf8')) as { kind: string; metadata: { name: string } };
      const stored = svc.get(doc.kind as 'IP', doc.metadata.name);
      assert.ok(stored, `${doc.kind} ${doc.metadata.name} stored`);
    }
    assert.equal(svc.list('SpiderIPPool').items.length, 4);
    const both = await h.kubectl(['apply', '-f', join(SEEDS_DIR, 'use-excludeips.yaml')]);
    assert.match(both.stderr, /overlap with IPPool not-use-excludeips/);
  });

  test('API-apply: last-applied-configuration is exactly as in the seed output (02-static keeps v6IpAddress null)', async () => {
    const r = await h.kubectl(['get', 'ip', 'pod-static-01.default', '-o', 'yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.stdout.includes(
        '    kubectl.kubernetes.io/last-applied-configuration: |\n      {"apiVersion":"kubeovn.io/v1","kind":"IP","metadata":{"annotations":{},"name":"pod-static-01.default"},"spec":{"namespace":"default","podName":"pod-static-01","podType":"","subnet":"ovn-default","v4IpAddress":"10.16.0.3","v6IpAddress":null}}\n',
      ),
      r.stdout,
    );
    const d = await h.kubectl(['get', 'ip', 'vm-dynamic-01.default', '-o', 'json']);
    const obj = JSON.parse(d.stdout) as {
      metadata: { annotations: Record<string, string>; uid: string; generation: number };
    };
    assert.equal(
      obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'],
      '{"apiVersion":"kubeovn.io/v1","kind":"IP","metadata":{"annotations":{},"name":"vm-dynamic-01.default"},"spec":{"namespace":"default","podName":"vm-dynamic-01","podType":"VirtualMachine","subnet":"ovn-default"}}\n',
    );
    assert.match(obj.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.equal(obj.metadata.generation, 2, 'as Kube-OVN shows a reservation after its controller wrote it');
  });

  test('API-apply: a second apply of the same manifest is "unchanged"', async () => {
    const r = await h.kubectl(['apply', '-f', join(SEEDS_DIR, '02-static.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod-static-01.default unchanged/);
  });

  test('API-table: default, -o wide and multi-kind tables', async () => {
    const ips = await h.kubectl(['get', 'ips']);
    assert.deepEqual(lines(ips.stdout)[0]?.split(/\s+/), ['NAME', 'V4IP', 'V6IP', 'MAC', 'NODE', 'SUBNET']);
    assert.match(ips.stdout, /pod-static-01\.default\s+10\.16\.0\.3\s+[0-9a-f:]{17}\s+ovn-default/);
    const sp = await h.kubectl(['get', 'sp', '-o', 'wide']);
    assert.deepEqual(lines(sp.stdout)[0]?.split(/\s+/), [
      'NAME',
      'VERSION',
      'SUBNET',
      'ALLOCATED-IP-COUNT',
      'TOTAL-IP-COUNT',
      'DEFAULT',
      'DISABLE',
      'NODENAME',
      'MULTUSNAME',
      'APP-NAMESPACE',
    ]);
    const sr = await h.kubectl(['get', 'sr']);
    assert.deepEqual(lines(sr.stdout), ['NAME                   VERSION', 'test-ipv4-reservedip   4']);
    const pool = await h.kubectl(['get', 'ippool', 'pool-1']);
    assert.deepEqual(lines(pool.stdout)[0]?.split(/\s+/), [
      'NAME',
      'SUBNET',
      'IPS',
      'V4USED',
      'V4AVAILABLE',
      'V6USED',
      'V6AVAILABLE',
    ]);
    assert.match(pool.stdout, /\["10\.16\.0\.100\.\.10\.16\.0\.110"\]/);
    const wide = await h.kubectl(['get', 'subnet', 'ovn-default', '-o', 'wide']);
    assert.match(lines(wide.stdout)[0] ?? '', /VPC\s+VLAN\s+PROTOCOL/);
  });

  test('API-list: -o json is a typed list; label and field selectors filter', async () => {
    const r = await h.kubectl(['get', 'ips', '-o', 'json']);
    const list = JSON.parse(r.stdout) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(
      list.items.map((i) => i.metadata.name),
      ['pod-static-01.default', 'vm-dynamic-01.default'],
    );
    const f = await h.kubectl(['get', 'ips', '--field-selector', 'spec.podName=vm-dynamic-01', '-o', 'name']);
    assert.deepEqual(lines(f.stdout), ['ip.kubeovn.io/vm-dynamic-01.default']);
    const bad = await h.kubectl(['get', 'ips', '--field-selector', 'spec.nope=1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /BadRequest.*spec\.nope/);
    const missing = await h.kubectl(['get', 'ip', 'nope.default']);
    assert.match(missing.stderr, /NotFound.*ips\.kubeovn\.io "nope\.default" not found/);
  });

  test('API-explain: kubectl explain ip.spec and subnet.spec.cidrBlock', async () => {
    const r = await h.kubectl(['explain', 'ip.spec']);
    assert.equal(r.code, 0, r.stderr);
    for (const field of [
      'podName',
      'namespace',
      'subnet',
      'attachSubnets',
      'nodeName',
      'ipAddress',
      'v4IpAddress',
      'v6IpAddress',
      'attachIps',
      'macAddress',
      'attachMacs',
      'containerID',
      'podType',
    ]) {
      assert.match(r.stdout, new RegExp(`^  ${field}\\t`, 'm'), field);
    }
    const c = await h.kubectl(['explain', 'subnet.spec.cidrBlock']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /FIELD: cidrBlock <string>/);
  });
});
