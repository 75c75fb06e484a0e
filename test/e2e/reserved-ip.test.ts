/**
 * Reserved IPs (the Kube-OVN `IP` resource, SPEC §5) through the real kubectl against a real daemon: allocation in
 * the create request, refusals that create nothing, immutable fields, dry runs and restarts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { E2E, assertFieldError, assertMacShape, inV4Cidr, make, seedPath } from './e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

describe('reserved IPs through kubectl', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  const used = async (subnet = 'ovn-default'): Promise<number> =>
    (await e.subnetStatus(subnet))['v4usingIPs'] as number;

  before(async () => {
    e = await E2E.start();
  });
  after(() => e.close());

  test('IPR-1 ENG-1 dry run: apply --dry-run=server shows the address that would be given and changes nothing', async () => {
    const before = await e.snapshot();
    const out = await e.ok(['apply', '--dry-run=server', '-f', seedPath('01-dynamic.yaml'), '-o', 'json']);
    const shown = JSON.parse(out) as { spec: Record<string, string> };
    assert.ok(inV4Cidr(shown.spec['v4IpAddress']!, '10.16.0.0/16'));
    assertMacShape(shown.spec['macAddress']);
    assert.equal(await e.get('ip', 'vm-dynamic-01.default'), undefined, 'no object after a dry run');
    assert.equal(await e.snapshot(), before, 'no state change after a dry run');
    // The real apply then gives exactly the address the dry run showed (lowest never-used; nothing was taken).
    await e.ok(['apply', '-f', seedPath('01-dynamic.yaml')]);
    const ip = await e.must('ip', 'vm-dynamic-01.default');
    assert.equal(ip.spec['v4IpAddress'], shown.spec['v4IpAddress']);
  });

  test('IPR-1 IPR-9 counters move with create (+1) and delete (-1); deleting releases and removes the finalizer', async () => {
    const n0 = await used();
    await e.apply(make.reservation('counted', 'ns1', 'ovn-default'));
    const ip = await e.must('ip', 'counted.ns1');
    assert.deepEqual(ip.metadata.finalizers, ['kube-ovn-controller']);
    assert.equal(ip.metadata.labels?.['ovn.kubernetes.io/ip_reserved'], 'true');
    assert.equal(await used(), n0 + 1);
    const range = String((await e.subnetStatus('ovn-default'))['v4usingIPrange']);
    assert.ok(range.length > 0);

    await e.ok(['delete', 'ip', 'counted.ns1']);
    assert.equal(await e.get('ip', 'counted.ns1'), undefined, 'the object is gone, not stuck terminating');
    assert.equal(await used(), n0);
    // The released address can be asked for again statically by another owner: it is free.
    await e.apply(make.reservation('reuser', 'ns1', 'ovn-default', { v4IpAddress: ip.spec['v4IpAddress'] }));
    assert.equal((await e.must('ip', 'reuser.ns1')).spec['v4IpAddress'], ip.spec['v4IpAddress']);
    await e.ok(['delete', 'ip', 'reuser.ns1']);
  });

  test('IPR-3 a static address outside the CIDR is refused naming the field; nothing is created', async () => {
    const before = await e.snapshot();
    const err = await e.applyFails(
      make.reservation('outside', 'default', 'ovn-default', { v4IpAddress: '10.17.0.3' }),
    );
    assertFieldError(err, 'spec.v4IpAddress', /10\.17\.0\.3/);
    assert.match(err, /outside/);
    assert.match(err, /"outside\.default"/, 'the error names the object');
    assert.equal(await e.get('ip', 'outside.default'), undefined);
    assert.equal(await e.snapshot(), before);
  });

  test('IPR-3 ENG-3 a static address held by another owner is refused naming the holder; nothing is created', async () => {
    await e.apply(make.reservation('holder', 'default', 'ovn-default', { v4IpAddress: '10.16.0.50' }));
    const before = await e.snapshot();
    const err = await e.applyFails(
      make.reservation('taker', 'default', 'ovn-default', { v4IpAddress: '10.16.0.50' }),
    );
    assertFieldError(err, 'spec.v4IpAddress', /holder\.default/);
    assert.equal(await e.get('ip', 'taker.default'), undefined);
    assert.equal(await e.snapshot(), before);
    // ENG-3: the gateway is never given, not even statically.
    const gw = await e.applyFails(
      make.reservation('gw', 'default', 'ovn-default', { v4IpAddress: '10.16.0.1' }),
    );
    assertFieldError(gw, 'spec.v4IpAddress');
    assert.equal(await e.snapshot(), before);
  });

  test('IPR-3 ENG-6 a static MAC held by another owner is refused naming the holder; nothing is created', async () => {
    const holder = await e.must('ip', 'holder.default');
    const before = await e.snapshot();
    const err = await e.applyFails(
      make.reservation('mac-taker', 'default', 'ovn-default', { macAddress: holder.spec['macAddress'] }),
    );
    assertFieldError(err, 'spec.macAddress', /holder\.default/);
    assert.equal(await e.snapshot(), before);
  });

  test('IPR-4 the name must be podName.namespace (podName.namespace.provider for a non-ovn provider)', async () => {
    const before = await e.snapshot();
    const err = await e.applyFails(
      make.ip('wrong-name', { subnet: 'ovn-default', namespace: 'default', podName: 'p1' }),
    );
    assertFieldError(err, 'metadata.name', /p1\.default/);
    const swapped = await e.applyFails(
      make.ip('default.p1', { subnet: 'ovn-default', namespace: 'default', podName: 'p1' }),
    );
    assertFieldError(swapped, 'metadata.name', /p1\.default/);
    assert.equal(await e.snapshot(), before);

    // A subnet of another provider: the provider is part of the name.
    await e.apply(make.subnet('attach', { cidrBlock: '10.60.0.0/24', provider: 'macvlan.default' }));
    const plain = await e.applyFails(make.reservation('p1', 'default', 'attach'));
    assertFieldError(plain, 'metadata.name', /p1\.default\.macvlan\.default/);
    await e.apply(
      make.ip('p1.default.macvlan.default', { subnet: 'attach', namespace: 'default', podName: 'p1' }),
    );
    const ip = await e.must('ip', 'p1.default.macvlan.default');
    assert.ok(inV4Cidr(String(ip.spec['v4IpAddress']), '10.60.0.0/24'));
    assert.equal(await used('attach'), 1);
  });

  test('IPR-5 podType must be "", StatefulSet or VirtualMachine; subnet required and must exist', async () => {
    const before = await e.snapshot();
    assertFieldError(
      await e.applyFails(make.reservation('bad-type', 'default', 'ovn-default', { podType: 'Deployment' })),
      'spec.podType',
    );
    assertFieldError(
      await e.applyFails(make.ip('no-subnet.default', { namespace: 'default', podName: 'no-subnet' })),
      'spec.subnet',
    );
    assertFieldError(
      await e.applyFails(make.reservation('ghost', 'default', 'no-such-subnet')),
      'spec.subnet',
      /no-such-subnet/,
    );
    assert.equal(await e.snapshot(), before);
    // The three accepted values.
    for (const [pod, podType] of [
      ['t-empty', ''],
      ['t-sts', 'StatefulSet'],
      ['t-vm', 'VirtualMachine'],
    ] as const) {
      await e.apply(make.reservation(pod, 'default', 'ovn-default', { podType }));
      assert.equal((await e.must('ip', `${pod}.default`)).spec['podType'], podType);
    }
  });

  test('IPR-6 every immutable field refuses a merge patch with Invalid and stays as it was', async () => {
    await e.ok(['apply', '-f', seedPath('02-static.yaml')]);
    const name = 'pod-static-01.default';
    const original = await e.must('ip', name);
    const changes: Record<string, unknown> = {
      subnet: 'attach',
      namespace: 'other',
      podName: 'pod-static-02',
      podType: 'StatefulSet',
      v4IpAddress: '10.16.0.4',
      v6IpAddress: 'fd00::4',
      macAddress: '0a:00:00:00:00:01',
    };
    for (const [field, value] of Object.entries(changes)) {
      const err = await e.fails([
        'patch',
        'ip',
        name,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { [field]: value } }),
      ]);
      assert.match(err, /Invalid|invalid/, `${field}: ${err}`);
      assertFieldError(err, `spec.${field}`);
      assert.match(err, /immutable|cannot change/, `${field}: ${err}`);
      assert.deepEqual(await e.must('ip', name), original, `spec.${field} must be unchanged`);
    }
    // Removing the address is a change too.
    await e.fails([
      'patch',
      'ip',
      name,
      '--type',
      'json',
      '-p',
      '[{"op":"remove","path":"/spec/v4IpAddress"}]',
    ]);
    assert.deepEqual(await e.must('ip', name), original);
    // What is not immutable still changes.
    await e.ok(['patch', 'ip', name, '--type', 'merge', '-p', '{"spec":{"nodeName":"node-a"}}']);
    const patched = await e.must('ip', name);
    assert.equal(patched.spec['nodeName'], 'node-a');
    assert.equal(patched.spec['v4IpAddress'], '10.16.0.3');
    assert.equal(patched.metadata.labels?.['ovn.kubernetes.io/node-name'], 'node-a');
  });

  test('IPR-9 ENG-6 a restart keeps every reservation with its address and MAC; delete after restart releases', async () => {
    const before = await e.list('ips');
    assert.ok(before.length >= 6);
    // Subnets of a non-ovn provider allocate no MAC (Kube-OVN's rule); every other reservation has one.
    assert.equal(before.find((i) => i.spec['subnet'] === 'attach')?.spec['macAddress'], '');
    const macs = before
      .filter((i) => i.spec['subnet'] !== 'attach')
      .map((i) => i.spec['macAddress'] as string);
    macs.forEach(assertMacShape);
    assert.equal(new Set(macs).size, macs.length, 'MACs unique across the store');
    const statusBefore = await e.subnetStatus('ovn-default');
    const pid = e.daemon.pid;

    await e.restart();
    assert.notEqual(e.daemon.pid, pid);
    const afterRestart = await e.list('ips');
    assert.deepEqual(
      afterRestart.map((i) => [i.metadata.name, i.metadata.uid, i.spec['v4IpAddress'], i.spec['macAddress']]),
      before.map((i) => [i.metadata.name, i.metadata.uid, i.spec['v4IpAddress'], i.spec['macAddress']]),
    );
    assert.deepEqual(await e.subnetStatus('ovn-default'), statusBefore);
    // Still held after the restart: another owner cannot take the address.
    assertFieldError(
      await e.applyFails(make.reservation('after', 'default', 'ovn-default', { v4IpAddress: '10.16.0.3' })),
      'spec.v4IpAddress',
      /pod-static-01\.default/,
    );

    const n = await used();
    await e.ok(['delete', 'ip', 'pod-static-01.default']);
    assert.equal(await e.get('ip', 'pod-static-01.default'), undefined);
    assert.equal(await used(), n - 1);
    await e.apply(make.reservation('after', 'default', 'ovn-default', { v4IpAddress: '10.16.0.3' }));
    assert.equal((await e.must('ip', 'after.default')).spec['v4IpAddress'], '10.16.0.3');
  });

  test('IPR-9 a user finalizer keeps the object terminating, with its address, until it is removed', async () => {
    await e.apply(make.reservation('kept', 'default', 'ovn-default'));
    await e.ok([
      'patch',
      'ip',
      'kept.default',
      '--type',
      'json',
      '-p',
      '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/keep"}]',
    ]);
    const n = await used();
    await e.ok(['delete', 'ip', 'kept.default', '--wait=false']);
    const terminating = await e.must('ip', 'kept.default');
    assert.ok(terminating.metadata.deletionTimestamp, 'terminating');
    assert.deepEqual(terminating.metadata.finalizers, ['kube-ovn-controller', 'example.com/keep']);
    // An object that can still be read still holds its address (docs/api.md); it goes with the last finalizer.
    assert.equal(await used(), n);
    await e.ok(['patch', 'ip', 'kept.default', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    assert.equal(await e.get('ip', 'kept.default'), undefined);
    assert.equal(await used(), n - 1);
  });
});
