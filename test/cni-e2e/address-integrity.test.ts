/**
 * One address, one object: ways a user found to make two objects show one address, or to release a
 * reservation without deleting it (issue 7), tried against a real daemon with the real kubectl and the built
 * plugin. After each, every address and MAC is shown by at most one IP object, and the subnet counters agree.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { make } from '../e2e/e2e-support.js';
import { CniHarness, E2E, type Attach, type Pod } from './cni-e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

const pod = (name: string, namespace = 'default'): Pod => ({ namespace, name, uid: `uid-${name}` });
const attach = (name: string, extra: Partial<Attach> = {}): Attach => ({
  containerId: `c-${name}`,
  pod: pod(name),
  ...extra,
});

describe('one address, one object (real daemon, kubectl, plugin)', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  let h: CniHarness;

  before(async () => {
    e = await E2E.start();
    h = new CniHarness(e, 'integrity');
    await e.apply(make.subnet('integrity', { cidrBlock: '10.140.0.0/24' }));
  });
  after(() => e?.close());

  /** No address or MAC is shown by two IP objects, and every subnet's V4USED is what the objects show. */
  async function consistent(): Promise<void> {
    const ips = await h.ips();
    const seen = new Map<string, string>();
    for (const ip of ips) {
      for (const value of [ip.spec['v4IpAddress'], ip.spec['v6IpAddress'], ip.spec['macAddress']]) {
        if (typeof value !== 'string' || value === '') continue;
        const other = seen.get(value);
        assert.equal(other, undefined, `${value} is shown by ${other} and ${ip.metadata.name}`);
        seen.set(value, ip.metadata.name);
      }
    }
    for (const subnet of ['ovn-default', 'integrity']) {
      const shown = ips.filter((ip) => ip.spec['subnet'] === subnet && ip.spec['v4IpAddress']).length;
      assert.equal(await h.used(subnet), shown, `V4USED of ${subnet}`);
    }
  }

  test('IPR-9 a terminating IP keeps its address until its last finalizer goes; no finalizer may be added then', async () => {
    await e.apply(make.reservation('held', 'default', 'integrity'));
    await e.ok([
      'patch',
      'ip',
      'held.default',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    ]);
    const held = await e.must('ip', 'held.default');
    const address = held.spec['v4IpAddress'] as string;
    assert.deepEqual(held.metadata.finalizers, ['example.com/hold', 'kube-ovn-controller']);

    await e.ok(['delete', 'ip', 'held.default', '--wait=false']);
    const terminating = await e.must('ip', 'held.default');
    assert.ok(terminating.metadata.deletionTimestamp);
    assert.equal(terminating.spec['v4IpAddress'], address, 'it still shows its address …');
    const thief = await e.applyFails(
      make.reservation('thief', 'default', 'integrity', { v4IpAddress: address }),
    );
    assert.match(thief, /already held by held\.default|held by held\.default/, '… and still holds it');
    await consistent();

    const added = await e.fails([
      'patch',
      'ip',
      'held.default',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":["example.com/hold","example.com/other"]}}',
    ]);
    assert.match(
      added,
      /is invalid: metadata\.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \["example\.com\/other"\]/,
    );
    const addPod = await h.addFails(attach('held', { ipam: { subnet: 'integrity' } }), 101);
    assert.match(addPod.msg ?? '', /held\.default is being deleted/);

    await e.ok(['patch', 'ip', 'held.default', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    assert.equal(await e.get('ip', 'held.default'), undefined, 'gone with its last finalizer');
    await e.apply(make.reservation('thief', 'default', 'integrity', { v4IpAddress: address }));
    await consistent();
  });

  test('IPR-9 deleting a subnet in use is refused at the DELETE even when a finalizer would keep it', async () => {
    await e.apply(make.subnet('kept', { cidrBlock: '10.141.0.0/24' }));
    await e.apply(make.reservation('tenant', 'default', 'kept'));
    await e.ok([
      'patch',
      'subnet',
      'kept',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    ]);
    const refused = await e.fails(['delete', 'subnet', 'kept', '--wait=false']);
    assert.match(refused, /in use/);
    assert.equal((await e.must('subnet', 'kept')).metadata.deletionTimestamp, undefined);
    await consistent();
  });

  test("IPR-9 ip_reserved is the server's label: a reservation cannot be labelled a pod allocation, so CNI DEL keeps it", async () => {
    const LABEL = 'ovn.kubernetes.io/ip_reserved';
    const labelledFalse: ReturnType<typeof make.reservation> = {
      ...make.reservation('lab', 'default', 'integrity'),
      metadata: { name: 'lab.default', labels: { [LABEL]: 'false' } },
    };
    const created = await e.applyFails(labelledFalse);
    assert.match(
      created,
      /metadata\.labels\[ovn\.kubernetes\.io\/ip_reserved\]: Invalid value: "false": the label .* is set by the server/,
    );
    assert.equal(await e.get('ip', 'lab.default'), undefined, 'nothing created');

    await e.apply(make.reservation('lab', 'default', 'integrity'));
    const reserved = await e.must('ip', 'lab.default');
    const relabel = await e.fails(['label', 'ip', 'lab.default', `${LABEL}=false`, '--overwrite']);
    assert.match(relabel, /is set by the server/);
    await e.ok(['label', 'ip', 'lab.default', `${LABEL}-`]);
    assert.equal(
      (await e.must('ip', 'lab.default')).metadata.labels?.[LABEL],
      'true',
      'put back by the server',
    );

    const used = await h.used('integrity');
    await h.addOk(attach('lab', { ipam: { subnet: 'integrity' } }));
    await h.delOk(attach('lab', { ipam: { subnet: 'integrity' } }));
    const kept = await e.must('ip', 'lab.default');
    assert.equal(
      kept.spec['v4IpAddress'],
      reserved.spec['v4IpAddress'],
      'IPR-8 the reservation keeps its address',
    );
    assert.equal(await h.used('integrity'), used);
    await consistent();
  });

  test('ENG-2 IPv6 text for IPv4 addresses (::ffff:0:0/96, ::/96) is refused everywhere, with the reason', async () => {
    const before = await e.snapshot();
    const why = /::ffff:0:0\/96, the IPv4-mapped IPv6 addresses: .* stands for the IPv4 address/;
    for (const obj of [
      make.subnet('mapped', { cidrBlock: '::ffff:10.140.0.0/120' }),
      make.subnet('mapped', { cidrBlock: '10.142.0.0/24,::ffff:0:0/104' }),
      make.subnet('mapped', { cidrBlock: 'fd42::/120', excludeIps: ['::ffff:10.140.0.9'] }),
      make.spiderPool('mapped', { subnet: '::ffff:a8c:0/120', ips: ['::ffff:a8c:5'] }),
      make.spiderReserved('mapped', { ips: ['::ffff:10.140.0.9'] }),
    ]) {
      assert.match(await e.applyFails(obj), why, JSON.stringify(obj.spec));
    }
    assert.match(
      await e.applyFails(make.subnet('compat', { cidrBlock: '::/64' })),
      /::\/96, the IPv4-compatible/,
    );
    await e.apply(make.subnet('ula', { cidrBlock: '10.143.0.0/24,fd43::/120' }));
    assert.match(await e.applyFails(make.ippool('mapped', { subnet: 'ula', ips: ['::ffff:a8f:5'] })), why);
    assert.match(
      await e.applyFails(make.reservation('mapped', 'default', 'ula', { v6IpAddress: '::ffff:a8f:5' })),
      why,
    );
    const viaRuntimeConfig = await h.call('ADD', attach('mapped-rc', { ipam: { subnet: 'ula' } }), {
      runtimeConfig: { ips: ['::ffff:10.143.0.9/120'] },
    });
    assert.equal(viaRuntimeConfig.json.code, 7, viaRuntimeConfig.stdout);
    assert.match(viaRuntimeConfig.json.msg ?? '', why);
    const viaAnnotation = await h.addFails(
      attach('mapped-an', {
        ipam: { subnet: 'ula' },
        annotations: { 'ovn.kubernetes.io/ip_address': '::ffff:10.143.0.9' },
      }),
      106,
    );
    assert.match(viaAnnotation.msg ?? '', why);
    await e.ok(['delete', 'subnet', 'ula']);
    assert.equal(await e.snapshot(), before, 'nothing was created');
    await consistent();
  });
});
