/** Raw HTTP at the edges: authentication (SEC-1), bad input (SEC-2), content types and methods. */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { checkListenPolicy, isLoopbackHost } from '../../src/api/tls-policy.js';
import { createApiServer } from '../../src/api/server.js';
import { startApiHarness, type ApiHarness } from '../support/api-harness.js';
import type { IpamService } from '../../src/service/service.js';
import { stateOf } from '../support/service.js';
import { seededService } from './fixtures.js';

const IPS = '/apis/kubeovn.io/v1/ips';
const json = { 'Content-Type': 'application/json' };
const validIp = JSON.stringify({
  apiVersion: 'kubeovn.io/v1',
  kind: 'IP',
  metadata: { name: 'raw.default' },
  spec: { subnet: 'ovn-default', podName: 'raw', namespace: 'default' },
});

describe('HTTP edges', () => {
  let h: ApiHarness;
  let svc: IpamService;
  let baseline: string;
  before(async () => {
    svc = await seededService();
    h = await startApiHarness(svc, { bodyLimit: 64 * 1024 });
    baseline = stateOf(svc);
  });
  after(() => h.close());

  const unchanged = (): void => assert.equal(stateOf(svc), baseline, 'nothing changed');

  test('SEC-1: a missing or wrong bearer token is 401 Status; probes and /version need none', async () => {
    for (const token of [null, 'wrong', `${'x'}${'y'.repeat(40)}`]) {
      const r = await h.request(IPS, { token });
      assert.equal(r.status, 401);
      assert.equal(r.json()['reason'], 'Unauthorized');
      assert.equal(r.json()['kind'], 'Status');
    }
    const post = await h.request(IPS, { method: 'POST', headers: json, body: validIp, token: 'wrong' });
    assert.equal(post.status, 401);
    for (const p of ['/healthz', '/readyz', '/livez', '/version'])
      assert.equal((await h.request(p, { token: null })).status, 200, p);
    assert.equal((await h.request(IPS)).status, 200);
    unchanged();
  });

  test('SEC-1: the kubeconfig is written with mode 0600 and the token', () => {
    assert.equal(statSync(h.kubeconfig).mode & 0o777, 0o600);
  });

  test('SEC-1: listening beyond loopback requires TLS', () => {
    assert.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('::1') && isLoopbackHost('localhost'));
    assert.ok(!isLoopbackHost('0.0.0.0') && !isLoopbackHost('10.0.0.1'));
    assert.doesNotThrow(() => checkListenPolicy('127.0.0.1', undefined));
    assert.throws(() => checkListenPolicy('0.0.0.0', undefined), /requires a certificate/);
    assert.doesNotThrow(() => checkListenPolicy('0.0.0.0', { cert: 'c', key: 'k' }));
    assert.throws(() => createApiServer({ service: svc }), /token is required/);
  });

  test('SEC-2: malformed JSON and YAML are 400 naming the problem; nothing changes', async () => {
    const j = await h.request(IPS, {
      method: 'POST',
      headers: json,
      body: '{"apiVersion": "kubeovn.io/v1", "kind": "IP", "metadata": {',
    });
    assert.equal(j.status, 400);
    assert.match(String(j.json()['message']), /invalid JSON/);
    const y = await h.request(IPS, {
      method: 'POST',
      headers: { 'Content-Type': 'application/yaml' },
      body: 'metadata: [unclosed',
    });
    assert.equal(y.status, 400);
    assert.match(String(y.json()['message']), /invalid YAML/);
    const notObject = await h.request(IPS, { method: 'POST', headers: json, body: '[1,2]' });
    assert.equal(notObject.status, 400);
    const wrongKind = await h.request(IPS, {
      method: 'POST',
      headers: json,
      body: validIp.replace('"IP"', '"Subnet"'),
    });
    assert.equal(wrongKind.status, 400);
    unchanged();
  });

  test('SEC-2: a body over the limit is 413 Status', async () => {
    const huge = JSON.stringify({
      apiVersion: 'kubeovn.io/v1',
      kind: 'IP',
      metadata: { name: 'huge.default', annotations: { a: 'x'.repeat(200 * 1024) } },
      spec: {},
    });
    const r = await h.request(IPS, { method: 'POST', headers: json, body: huge });
    assert.equal(r.status, 413);
    assert.equal(r.json()['reason'], 'RequestEntityTooLarge');
    unchanged();
  });

  test('SEC-2: unknown fields follow fieldValidation (Strict by default, Warn, Ignore)', async () => {
    const body = validIp.replace('"podName"', '"bogus":1,"podName"');
    const strict = await h.request(IPS, { method: 'POST', headers: json, body });
    assert.equal(strict.status, 400);
    assert.match(String(strict.json()['message']), /unknown field "spec\.bogus"/);
    unchanged();
    const warn = await h.request(`${IPS}?fieldValidation=Warn&dryRun=All`, {
      method: 'POST',
      headers: json,
      body,
    });
    assert.equal(warn.status, 201);
    assert.match(String(warn.headers['warning']), /299 - "unknown field \\"spec\.bogus\\""/);
    const ignore = await h.request(`${IPS}?fieldValidation=Ignore&dryRun=All`, {
      method: 'POST',
      headers: json,
      body,
    });
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers['warning'], undefined);
    assert.equal(svc.get('IP', 'raw.default'), undefined, 'dry runs stored nothing');
  });

  test('API-discovery: aggregated discovery at /apis and /api when asked for; plain documents otherwise', async () => {
    const aggregated =
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const apis = await h.request('/apis', { headers: { Accept: aggregated } });
    assert.equal(apis.status, 200);
    assert.equal(
      apis.headers['content-type'],
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    assert.equal(apis.headers['vary'], 'Accept');
    const doc = apis.json() as {
      kind: string;
      apiVersion: string;
      items: {
        metadata: { name: string };
        versions: { version: string; resources: Record<string, unknown>[] }[];
      }[];
    };
    assert.equal(doc.kind, 'APIGroupDiscoveryList');
    assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
    assert.deepEqual(
      doc.items.map((g) => `${g.metadata.name}/${g.versions.map((v) => v.version).join()}`),
      ['kubeovn.io/v1', 'spiderpool.spidernet.io/v2beta1'],
    );
    const ips = doc.items[0]!.versions[0]!.resources.find((r) => r['resource'] === 'ips');
    assert.deepEqual(ips, {
      resource: 'ips',
      responseKind: { group: 'kubeovn.io', version: 'v1', kind: 'IP' },
      scope: 'Cluster',
      singularResource: 'ip',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['ip'],
      categories: ips?.['categories'],
    });
    const core = (await h.request('/api', { headers: { Accept: aggregated } })).json() as typeof doc;
    assert.deepEqual(core.items, [
      { metadata: { name: '' }, versions: [{ version: 'v1', resources: [], freshness: 'Current' }] },
    ]);
    // v2beta1 only, and plain JSON: the plain documents, with no core group.
    const beta = await h.request('/apis', {
      headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' },
    });
    assert.equal(beta.json()['apiVersion'], 'apidiscovery.k8s.io/v2beta1');
    const plain = await h.request('/api', { headers: { Accept: 'application/json' } });
    assert.deepEqual(plain.json()['versions'], []);
    assert.equal((await h.request('/apis')).json()['kind'], 'APIGroupList');
  });

  test('API-discovery: /openapi/v2 in protobuf is a Document with swagger 2.0 and no definitions', async () => {
    const r = await h.request('/openapi/v2', {
      headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    // field 1 "2.0", field 2 { field 1 "ipkeeper", field 2 "v1" }
    assert.equal(
      Buffer.from(r.text, 'latin1').toString('hex'),
      Buffer.from('\n\x032.0\x12\x0e\n\x08ipkeeper\x12\x02v1', 'latin1').toString('hex'),
    );
    const json = await h.request('/openapi/v2', { headers: { Accept: 'application/json' } });
    assert.equal(json.json()['swagger'], '2.0');
    assert.ok(Object.keys(json.json()['definitions'] as object).length >= 5);
  });

  test('API-content-types: 415 for unknown content types, YAML bodies accepted', async () => {
    const r = await h.request(IPS, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: validIp,
    });
    assert.equal(r.status, 415);
    assert.equal(r.json()['reason'], 'UnsupportedMediaType');
    // Server-side apply needs a field manager; without one it is a 400 that says how to give it.
    const apply = await h.request(`${IPS}/raw.default`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body: validIp,
    });
    assert.equal(apply.status, 400, apply.text);
    assert.match(String(apply.json()['message']), /fieldManager is required.*\?fieldManager=NAME/);
    const yaml = await h.request(IPS, {
      method: 'POST',
      headers: { 'Content-Type': 'application/yaml' },
      body: 'apiVersion: kubeovn.io/v1\nkind: IP\nmetadata:\n  name: yaml.default\nspec:\n  subnet: ovn-default\n  podName: yaml\n  namespace: default\n  v6IpAddress:\n',
    });
    assert.equal(yaml.status, 201, yaml.text);
    assert.equal(
      svc.get('IP', 'yaml.default')?.spec?.['v6IpAddress'],
      '',
      'a null in a nullable field reaches the service, which normalises it',
    );
  });

  test('API-routes: unknown kind 404, method not allowed 405, no status subresource on IP', async () => {
    const k = await h.request('/apis/kubeovn.io/v1/vpcs');
    assert.equal(k.status, 404);
    assert.equal(k.json()['reason'], 'NotFound');
    const m = await h.request(IPS, { method: 'PUT', headers: json, body: validIp });
    assert.equal(m.status, 405);
    assert.equal(m.headers['allow'], 'GET, POST');
    assert.equal((await h.request(`${IPS}/x/status`)).status, 404);
    assert.equal((await h.request('/apis/kubeovn.io/v1/subnets/ovn-default/status')).status, 200);
  });

  test('API-status-subresource SUB-7: status is derived; PUT /status answers the computed status and changes nothing; big counters are exact', async () => {
    await svc.create(
      'Subnet',
      {
        apiVersion: 'kubeovn.io/v1',
        kind: 'Subnet',
        metadata: { name: 'wide' },
        spec: { cidrBlock: '10.70.0.0/24,fd70::/64' },
      },
      { dryRun: false },
    );
    const path = '/apis/kubeovn.io/v1/subnets/wide';
    const cur = await h.request(path);
    // 2^64 addresses, less the network, the all-ones address and the gateway: beyond 2^53, on the wire as digits.
    assert.match(cur.text, /"v6availableIPs":18446744073709551613[,}]/, 'exact big number on the wire');
    const before = stateOf(svc);
    const doc = cur.json() as { spec: Record<string, unknown>; status: Record<string, unknown> };
    const body = JSON.stringify({
      ...doc,
      spec: { ...doc.spec, vpc: 'ignored' },
      status: { ...doc.status, v4usingIPs: 99 },
    });
    const r = await h.request(`${path}/status`, { method: 'PUT', headers: json, body });
    assert.equal(r.status, 200, r.text);
    assert.equal((r.json()['status'] as Record<string, unknown>)['v4usingIPs'], 0, 'the computed status');
    assert.equal(stateOf(svc), before, 'neither spec nor status changed');
    assert.equal(svc.get('Subnet', 'wide')?.spec?.['vpc'], 'ovn-cluster');
  });

  test('API-table: Accept as=Table returns a meta.k8s.io Table with PartialObjectMetadata rows', async () => {
    const r = await h.request('/apis/kubeovn.io/v1/subnets?limit=500', {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    const t = r.json() as {
      kind: string;
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[]; object: { kind: string } }[];
    };
    assert.equal(t.kind, 'Table');
    assert.equal(t.columnDefinitions[0]?.name, 'Name');
    assert.equal(t.columnDefinitions.find((c) => c.name === 'VLAN')?.priority, 1);
    assert.deepEqual(t.rows[0]?.cells.slice(0, 2), ['ovn-default', 'ovn']);
    assert.equal(t.rows[0]?.object.kind, 'PartialObjectMetadata');
  });
});
