/**
 * The seed documents, played against a real daemon with the real kubectl: every seed YAML applied unchanged
 * (from test/fixtures/seeds/) and every output the seeds show compared field by field. Values that differ by
 * nature (uid, timestamps, resourceVersion, the MAC, the dynamic address) are checked for shape instead.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { E2E, assertMacShape, inV4Cidr, make, seedPath, type Obj } from './e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

// `kubectl get ip vm-dynamic-01.default -o yaml`, as shown by the seed "Reserved IP for Specific Resources".
const SEED_DYNAMIC_OUTPUT = `apiVersion: kubeovn.io/v1
kind: IP
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"kubeovn.io/v1","kind":"IP","metadata":{"annotations":{},"name":"vm-dynamic-01.default"},"spec":{"namespace":"default","podName":"vm-dynamic-01","podType":"VirtualMachine","subnet":"ovn-default"}}
  creationTimestamp: "2024-01-29T03:05:40Z"
  finalizers:
  - kube-ovn-controller
  generation: 2
  labels:
    ovn.kubernetes.io/ip_reserved: "true" # reserved ip
    ovn.kubernetes.io/node-name: ""
    ovn.kubernetes.io/subnet: ovn-default
  name: vm-dynamic-01.default
  resourceVersion: "1571"
  uid: 89d05a26-294a-450b-ab63-1eaa957984d7
spec:
  attachIps: []
  attachMacs: []
  attachSubnets: []
  containerID: ""
  ipAddress: 10.16.0.13
  macAddress: 00:00:00:86:C6:36
  namespace: default
  nodeName: ""
  podName: vm-dynamic-01
  podType: VirtualMachine
  subnet: ovn-default
  v4IpAddress: 10.16.0.13
  v6IpAddress: ""
`;

// `kubectl get ip pod-static-01.default -o yaml`, as shown by the same seed.
const SEED_STATIC_OUTPUT = `apiVersion: kubeovn.io/v1
kind: IP
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"kubeovn.io/v1","kind":"IP","metadata":{"annotations":{},"name":"pod-static-01.default"},"spec":{"namespace":"default","podName":"pod-static-01","podType":"","subnet":"ovn-default","v4IpAddress":"10.16.0.3","v6IpAddress":null}}
  creationTimestamp: "2024-01-29T03:08:28Z"
  finalizers:
  - kube-ovn-controller
  generation: 2
  labels:
    ovn.kubernetes.io/ip_reserved: "true"
    ovn.kubernetes.io/node-name: ""
    ovn.kubernetes.io/subnet: ovn-default
  name: pod-static-01.default
  resourceVersion: "1864"
  uid: 11fc767d-f57d-4520-89f9-448f9b272bca
spec:
  attachIps: []
  attachMacs: []
  attachSubnets: []
  containerID: ""
  ipAddress: 10.16.0.3
  macAddress: 00:00:00:4D:B4:36
  namespace: default
  nodeName: ""
  podName: pod-static-01
  podType: ""
  subnet: ovn-default
  v4IpAddress: 10.16.0.3
  v6IpAddress: ""
`;

// `kubectl get subnet ovn-default` as shown by the seed (V4USED 7).
const SEED_SUBNET_TABLE = [
  'NAME          PROVIDER   VPC           PROTOCOL   CIDR           PRIVATE   NAT    DEFAULT   GATEWAYTYPE   V4USED   V4AVAILABLE   V6USED   V6AVAILABLE   EXCLUDEIPS      U2OINTERCONNECTIONIP',
  'ovn-default   ovn        ovn-cluster   IPv4       10.16.0.0/16   false     true   true      distributed   7        65526         0        0             ["10.16.0.1"]',
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/**
 * Compares an object served by the daemon with the seed's shown output: the volatile fields are checked for
 * shape (and the dynamic address for range), then everything else must be equal, field by field.
 */
function assertLikeSeed(actual: Obj, seedYaml: string, opts: { dynamicAddress: boolean }): void {
  const expected = parse(seedYaml) as Obj;
  const a = structuredClone(actual);
  assert.match(a.metadata.uid ?? '', UUID, 'uid');
  assert.match(a.metadata.creationTimestamp ?? '', RFC3339, 'creationTimestamp');
  assert.match(a.metadata.resourceVersion ?? '', /^[1-9]\d*$/, 'resourceVersion');
  // ENG-6: our MACs are lower-case and locally administered (the seed shows Kube-OVN's old 00:00:00:… format).
  assertMacShape(a.spec['macAddress']);
  for (const f of ['uid', 'creationTimestamp', 'resourceVersion'] as const)
    a.metadata[f] = expected.metadata[f];
  a.spec['macAddress'] = expected.spec['macAddress'];
  if (opts.dynamicAddress) {
    const v4 = String(a.spec['v4IpAddress']);
    assert.equal(a.spec['ipAddress'], v4, 'ipAddress == v4IpAddress');
    assert.ok(inV4Cidr(v4, '10.16.0.0/16'), `${v4} inside 10.16.0.0/16`);
    assert.ok(
      !['10.16.0.0', '10.16.0.1', '10.16.255.255'].includes(v4),
      `${v4} is not network/gateway/broadcast`,
    );
    a.spec['ipAddress'] = expected.spec['ipAddress'];
    a.spec['v4IpAddress'] = expected.spec['v4IpAddress'];
  }
  assert.deepEqual(a, expected);
}

describe('seeds: Kube-OVN "Reserved IP for Specific Resources"', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  before(async () => {
    e = await E2E.start();
  });
  after(() => e.close());

  test('SUB-7 the default subnet as first started: the seed header, nothing used yet', async () => {
    const out = (await e.ok(['get', 'subnet', 'ovn-default'])).split('\n').map((l) => l.trimEnd());
    assert.equal(out[0], SEED_SUBNET_TABLE[0]);
    assert.deepEqual(out[1]!.split(/\s+/), [
      ...SEED_SUBNET_TABLE[1]!.split(/\s+/).slice(0, 9),
      '0',
      '65533',
      '0',
      '0',
      '["10.16.0.1"]',
    ]);
  });

  test('IPR-1 01-dynamic.yaml applied unchanged: the address in the same request, every field as the seed shows', async () => {
    const applied = await e.ok(['apply', '-f', seedPath('01-dynamic.yaml')]);
    assert.match(applied, /ip\.kubeovn\.io\/vm-dynamic-01\.default created/);
    const yamlOut = await e.ok(['get', 'ip', 'vm-dynamic-01.default', '-o', 'yaml']);
    assertLikeSeed(parse(yamlOut) as Obj, SEED_DYNAMIC_OUTPUT, { dynamicAddress: true });
    // The annotation is exactly the seed's, byte for byte (a JSON line and a newline).
    const ip = await e.must('ip', 'vm-dynamic-01.default');
    assert.equal(
      ip.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
      '{"apiVersion":"kubeovn.io/v1","kind":"IP","metadata":{"annotations":{},"name":"vm-dynamic-01.default"},"spec":{"namespace":"default","podName":"vm-dynamic-01","podType":"VirtualMachine","subnet":"ovn-default"}}\n',
    );
    const st = await e.subnetStatus('ovn-default');
    assert.equal(st['v4usingIPs'], 1);
    assert.equal(st['v4availableIPs'], 65532);
    assert.equal(st['v4usingIPrange'], ip.spec['v4IpAddress']);
  });

  test('IPR-2 02-static.yaml applied unchanged: exactly 10.16.0.3, podType "" and v6IpAddress null accepted', async () => {
    await e.ok(['apply', '-f', seedPath('02-static.yaml')]);
    const yamlOut = await e.ok(['get', 'ip', 'pod-static-01.default', '-o', 'yaml']);
    assertLikeSeed(parse(yamlOut) as Obj, SEED_STATIC_OUTPUT, { dynamicAddress: false });
    // Applying the same file again changes nothing.
    const before = await e.must('ip', 'pod-static-01.default');
    await e.ok(['apply', '-f', seedPath('02-static.yaml')]);
    assert.deepEqual(await e.must('ip', 'pod-static-01.default'), before);
  });

  test('SUB-7 kubectl get subnet ovn-default reads exactly as the seed once 7 addresses are in use', async () => {
    const more = [1, 2, 3, 4, 5].map((i) =>
      make.reservation(`vm-extra-0${i}`, 'default', 'ovn-default', { podType: 'VirtualMachine' }),
    );
    await e.apply(...more);
    const out = (await e.ok(['get', 'subnet', 'ovn-default']))
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l !== '');
    assert.deepEqual(out, SEED_SUBNET_TABLE);
    // The same numbers in the status, and no address given twice.
    const ips = await e.list('ips');
    assert.equal(ips.length, 7);
    assert.equal(new Set(ips.map((i) => i.spec['v4IpAddress'])).size, 7);
    assert.equal(new Set(ips.map((i) => i.spec['macAddress'])).size, 7);
    const st = await e.subnetStatus('ovn-default');
    assert.equal(st['v4usingIPs'], 7);
    assert.equal(st['v4availableIPs'], 65526);
  });
});

describe('seeds: Spiderpool "Reserved IP"', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  before(async () => {
    e = await E2E.start();
  });
  after(() => e.close());

  test('SPR-1 SPP-1 test-ipv4-reservedip.yaml and test-ipv4-ippool.yaml applied unchanged; kubectl get sr / sp', async () => {
    await e.ok(['apply', '-f', seedPath('test-ipv4-reservedip.yaml')]);
    await e.ok(['apply', '-f', seedPath('test-ipv4-ippool.yaml')]);
    assert.deepEqual(await e.table(['sr']), [
      ['NAME', 'VERSION'],
      ['test-ipv4-reservedip', '4'],
    ]);
    assert.deepEqual(await e.table(['sp']), [
      ['NAME', 'VERSION', 'SUBNET', 'ALLOCATED-IP-COUNT', 'TOTAL-IP-COUNT', 'DEFAULT'],
      // 172.18.42.41-172.18.42.50: ten addresses.
      ['test-ipv4-ippool', '4', '172.18.42.0/24', '0', '10', 'false'],
    ]);
    const sr = await e.must('sr', 'test-ipv4-reservedip');
    assert.deepEqual(sr.spec, { ipVersion: 4, ips: ['172.18.42.41-172.18.42.49'] });
    const sp = await e.must('sp', 'test-ipv4-ippool');
    assert.equal(sp.spec['subnet'], '172.18.42.0/24');
    assert.equal(sp.spec['ipVersion'], 4);
    assert.deepEqual(sp.spec['ips'], ['172.18.42.41-172.18.42.50']);
    assert.equal(sp.status?.['allocatedIPCount'], 0);
    assert.equal(sp.status?.['totalIPCount'], 10);
    assert.equal(
      sp.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
      '{"apiVersion":"spiderpool.spidernet.io/v2beta1","kind":"SpiderIPPool","metadata":{"annotations":{},"name":"test-ipv4-ippool"},"spec":{"ips":["172.18.42.41-172.18.42.50"],"subnet":"172.18.42.0/24"}}\n',
    );
  });

  test('SPR-1 the seed clean-up: kubectl delete -f of the reservation and the pool', async () => {
    await e.ok([
      'delete',
      '-f',
      seedPath('test-ipv4-reservedip.yaml'),
      '-f',
      seedPath('test-ipv4-ippool.yaml'),
    ]);
    assert.equal(await e.get('sr', 'test-ipv4-reservedip'), undefined);
    assert.equal(await e.get('sp', 'test-ipv4-ippool'), undefined);
  });

  test('SPP-3 the trap: already-in-use and created-by-someone-else share a subnet and are both accepted', async () => {
    await e.ok(['apply', '-f', seedPath('already-in-use.yaml')]);
    await e.ok(['apply', '-f', seedPath('created-by-someone-else.yaml')]);
    const a = await e.must('sp', 'already-in-use');
    const b = await e.must('sp', 'created-by-someone-else');
    assert.deepEqual(a.spec['ips'], ['172.18.43.1-172.18.43.31']);
    assert.deepEqual(a.spec['excludeIPs'], ['172.18.43.31']);
    assert.deepEqual(b.spec['ips'], ['172.18.43.31-172.18.43.50']);
    // 1..31 minus the excluded .31 = 30; 31..50 = 20.
    assert.equal(a.status?.['totalIPCount'], 30);
    assert.equal(b.status?.['totalIPCount'], 20);
    const rows = await e.table(['sp']);
    assert.deepEqual(rows.slice(1), [
      ['already-in-use', '4', '172.18.43.0/24', '0', '30', 'false'],
      ['created-by-someone-else', '4', '172.18.43.0/24', '0', '20', 'false'],
    ]);
  });

  test('SPP-3 not-use-excludeips and use-excludeips: each accepted, the same ten addresses, so not both at once', async () => {
    await e.ok(['apply', '-f', seedPath('not-use-excludeips.yaml')]);
    const first = await e.must('sp', 'not-use-excludeips');
    assert.deepEqual(first.spec['ips'], ['172.18.41.40-172.18.41.44', '172.18.41.46-172.18.41.50']);
    assert.equal(first.status?.['totalIPCount'], 10);
    // Their effective sets are equal, hence overlapping: the second is refused naming the first.
    const err = await e.fails(['apply', '-f', seedPath('use-excludeips.yaml')]);
    assert.match(err, /overlap with IPPool not-use-excludeips/);
    assert.equal(await e.get('sp', 'use-excludeips'), undefined);

    await e.ok(['delete', '-f', seedPath('not-use-excludeips.yaml')]);
    await e.ok(['apply', '-f', seedPath('use-excludeips.yaml')]);
    const second = await e.must('sp', 'use-excludeips');
    assert.deepEqual(second.spec['ips'], ['172.18.41.40-172.18.41.50']);
    assert.deepEqual(second.spec['excludeIPs'], ['172.18.41.45']);
    assert.equal(second.status?.['totalIPCount'], 10);
    assert.match(
      await e.fails(['apply', '-f', seedPath('not-use-excludeips.yaml')]),
      /overlap with IPPool use-excludeips/,
    );
  });
});
