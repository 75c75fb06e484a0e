/**
 * Pod-level behaviour over CNI against a real daemon: reservations (IPR-7, IPR-8), static annotations (STA-*),
 * Spiderpool pools and reserved IPs (SPP-5, SPP-6, SPR-1, SPR-2) and CNI GC (GC-4). The plugin is called
 * directly as an IPAM-only runtime (containerd passes pod annotations in runtimeConfig); objects are created
 * and read back with the real kubectl. Each test works in its own addresses, so they share one daemon.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { make, seedPath } from '../e2e/e2e-support.js';
import { addresses, CniHarness, E2E, firstAddress, macOf, type Attach, type Pod } from './cni-e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

const IP_ADDRESS = 'ovn.kubernetes.io/ip_address';
const MAC_ADDRESS = 'ovn.kubernetes.io/mac_address';
const IP_POOL = 'ovn.kubernetes.io/ip_pool';
const LOGICAL_SWITCH = 'ovn.kubernetes.io/logical_switch';
const SPIDER_POOL = 'ipam.spidernet.io/ippool';

const pod = (name: string, namespace = 'default'): Pod => ({
  namespace,
  name,
  uid: `uid-${namespace}-${name}`,
});
/** The eth0 attachment of pod `name` (container `c-name`), with annotations. */
const attach = (name: string, annotations?: Record<string, string>, extra: Partial<Attach> = {}): Attach => ({
  containerId: `c-${name}`,
  pod: pod(name),
  ...(annotations ? { annotations } : {}),
  ...extra,
});

describe(
  'CNI e2e: pods, reservations, static addresses and pools against a real daemon',
  { skip: kubectlSkipReason() },
  () => {
    let e: E2E;
    let h: CniHarness;

    before(async () => {
      e = await E2E.start();
      h = new CniHarness(e, 'pods');
      await e.apply(
        make.subnet('dual', { cidrBlock: '10.77.0.0/24,fd77::/120' }),
        make.subnet('ls-a', { cidrBlock: '10.78.0.0/24' }),
      );
    });
    after(() => e?.close());

    /** Runs `fn` (expected to fail) and asserts that no object of any kind changed. */
    async function unchanged(fn: () => Promise<unknown>): Promise<void> {
      const before = await e.snapshot();
      await fn();
      assert.equal(await e.snapshot(), before, 'a failed ADD must change nothing');
    }

    test('IPR-7 the pod named by reservation pod-static-01.default gets 10.16.0.3 and its MAC; another pod asking for it → 101', async () => {
      await e.ok(['apply', '-f', seedPath('02-static.yaml')]);
      const reservation = await e.must('ip', 'pod-static-01.default');
      assert.equal(reservation.spec['v4IpAddress'], '10.16.0.3');
      const used = await h.used('ovn-default');

      const result = await h.addOk(attach('pod-static-01'));
      assert.deepEqual(addresses(result), ['10.16.0.3']);
      assert.equal(result.ips![0]!.address, '10.16.0.3/16');
      assert.equal(macOf(result), reservation.spec['macAddress']);
      const ip = await e.must('ip', 'pod-static-01.default');
      assert.equal(ip.metadata.labels?.['ovn.kubernetes.io/ip_reserved'], 'true', 'still a reservation');
      assert.equal(ip.spec['containerID'], 'c-pod-static-01');
      assert.equal(await h.used('ovn-default'), used, 'the reserved address was already counted');

      await unchanged(async () => {
        const err = await h.addFails(attach('pod-other-01', { [IP_ADDRESS]: '10.16.0.3' }), 101);
        assert.match(err.msg ?? '', /10\.16\.0\.3/);
      });
      assert.equal(await h.ip('pod-other-01.default'), undefined, 'nothing held for the other pod');
    });

    test('IPR-8 DEL of the reserved pod keeps the IP object and the address; the pod gets it back', async () => {
      const used = await h.used('ovn-default');
      await h.delOk(attach('pod-static-01'));
      const ip = await e.must('ip', 'pod-static-01.default');
      assert.equal(ip.spec['v4IpAddress'], '10.16.0.3');
      assert.equal(ip.metadata.labels?.['ovn.kubernetes.io/ip_reserved'], 'true');
      assert.equal(await h.used('ovn-default'), used, 'the address stays held');
      await h.addFails(attach('pod-other-02', { [IP_ADDRESS]: '10.16.0.3' }), 101);
      const again = await h.addOk(attach('pod-static-01'));
      assert.deepEqual(addresses(again), ['10.16.0.3']);
    });

    test('STA-1 a static address; both families on a dual subnet; two of one family → 105, nothing held', async () => {
      const single = await h.addOk(attach('sta1-a', { [IP_ADDRESS]: '10.16.9.15' }));
      assert.deepEqual(addresses(single), ['10.16.9.15']);
      assert.equal((await e.must('ip', 'sta1-a.default')).spec['v4IpAddress'], '10.16.9.15');

      const v6used = await h.used('dual', 6);
      const dual = await h.addOk(
        attach('sta1-b', { [IP_ADDRESS]: '10.77.0.15,fd77::15', [LOGICAL_SWITCH]: 'dual' }),
      );
      assert.deepEqual(addresses(dual), ['10.77.0.15', 'fd77::15']);
      assert.deepEqual(
        dual.ips!.map((ip) => ip.address),
        ['10.77.0.15/24', 'fd77::15/120'],
      );
      const ip = await e.must('ip', 'sta1-b.default');
      assert.deepEqual(
        [ip.spec['v4IpAddress'], ip.spec['v6IpAddress'], ip.spec['subnet']],
        ['10.77.0.15', 'fd77::15', 'dual'],
      );
      assert.equal(await h.used('dual', 6), v6used + 1);

      await unchanged(() => h.addFails(attach('sta1-c', { [IP_ADDRESS]: '10.16.9.16,10.16.9.17' }), 105));
    });

    test('STA-2 with the chained MAC step: mac_address gives that MAC; only a MAC → address chosen; only an IP → MAC chosen', async () => {
      const chained: Partial<Attach> = { ipam: { mac: 'chained' } };
      const both = await h.addOk(
        attach('sta2-a', { [IP_ADDRESS]: '10.16.9.21', [MAC_ADDRESS]: '00:00:00:53:6B:B6' }, chained),
      );
      assert.deepEqual(addresses(both), ['10.16.9.21']);
      assert.equal(macOf(both)?.toLowerCase(), '00:00:00:53:6b:b6');
      assert.equal(
        String((await e.must('ip', 'sta2-a.default')).spec['macAddress']).toLowerCase(),
        '00:00:00:53:6b:b6',
      );

      const onlyMac = await h.addOk(attach('sta2-b', { [MAC_ADDRESS]: '0a:00:00:00:00:b2' }, chained));
      assert.equal(macOf(onlyMac), '0a:00:00:00:00:b2');
      assert.match(firstAddress(onlyMac), /^10\.16\.\d+\.\d+$/);
      assert.notEqual(firstAddress(onlyMac), '10.16.0.1');

      const onlyIp = await h.addOk(attach('sta2-c', { [IP_ADDRESS]: '10.16.9.23' }, chained));
      assert.deepEqual(addresses(onlyIp), ['10.16.9.23']);
      const mac = macOf(onlyIp) ?? '';
      assert.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      assert.equal(parseInt(mac.slice(0, 2), 16) & 0b11, 0b10, 'ENG-6: unicast, locally administered');
      assert.ok(![macOf(both), macOf(onlyMac)].includes(mac), 'a MAC nobody else holds');

      // ENG-6: a MAC held by another pod is a conflict.
      await unchanged(() =>
        h.addFails(attach('sta2-d', { [MAC_ADDRESS]: '0a:00:00:00:00:b2' }, chained), 101),
      );
    });

    test('STA-2 where nothing in the chain applies a MAC: none recorded, and a requested MAC is refused saying how to enable it', async () => {
      const plain = await h.addOk(attach('sta2-none', { [IP_ADDRESS]: '10.16.9.31' }));
      assert.equal(macOf(plain), undefined);
      assert.equal((await e.must('ip', 'sta2-none.default')).spec['macAddress'], '');
      const howTo = /add \{"type": "ipkeeper"\} after the main plugin .* "mac": "chained"/;
      await unchanged(async () => {
        const annotated = await h.addFails(attach('sta2-ann', { [MAC_ADDRESS]: '00:00:00:53:6B:B6' }), 7);
        assert.match(
          annotated.msg!,
          /^annotation ovn\.kubernetes\.io\/mac_address asks for MAC 00:00:00:53:6b:b6/,
        );
        assert.match(annotated.msg!, howTo);
      });
      assert.equal(await e.get('ip', 'sta2-ann.default'), undefined, 'nothing allocated for the refused pod');
      // The runtime's own MAC request is read by the main plugin too, which sets it (bridge does; test/podman
      // proves it on eth0): recorded as asked.
      const runtime = await h.addOk({ ...attach('sta2-rt'), runtimeMac: '02:00:00:00:00:31' });
      assert.equal(macOf(runtime), '02:00:00:00:00:31');
      assert.equal((await e.must('ip', 'sta2-rt.default')).spec['macAddress'], '02:00:00:00:00:31');
      const args = await h.addOk(attach('sta2-arg', undefined, { cniArgs: 'MAC=02:00:00:00:00:32' }));
      assert.equal(macOf(args), '02:00:00:00:00:32');
    });

    test('STA-3 outside the CIDR → 102, held by another pod → 101; no state change', async () => {
      await unchanged(async () => {
        await h.addFails(attach('sta3-a', { [IP_ADDRESS]: '10.17.0.5' }), 102);
        const held = await h.addFails(attach('sta3-b', { [IP_ADDRESS]: '10.16.9.15' }), 101);
        assert.match(held.details ?? '', /sta1-a\.default/, 'the error names the holder');
      });
    });

    test('STA-4 logical_switch picks the subnet; a static failure there does not fall back', async () => {
      const r = await h.addOk(attach('sta4-a', { [LOGICAL_SWITCH]: 'ls-a' }));
      assert.match(firstAddress(r), /^10\.78\.0\.\d+$/);
      assert.equal(r.ips![0]!.gateway, '10.78.0.1');
      assert.equal((await e.must('ip', 'sta4-a.default')).spec['subnet'], 'ls-a');
      await unchanged(async () => {
        // 10.16.9.40 is free in ovn-default, but the pod asked for ls-a.
        await h.addFails(attach('sta4-b', { [LOGICAL_SWITCH]: 'ls-a', [IP_ADDRESS]: '10.16.9.40' }), 102);
        await h.addFails(attach('sta4-c', { [LOGICAL_SWITCH]: 'ls-a', [IP_ADDRESS]: firstAddress(r) }), 101);
        await h.addFails(attach('sta4-d', { [LOGICAL_SWITCH]: 'no-such-subnet' }), 103);
      });
    });

    test('STA-6 ip_pool list: 3 entries, 4 pods → the 4th gets 100; DEL one → the retry gets the freed entry', async () => {
      const list = { [IP_POOL]: '10.16.9.101,10.16.9.102,10.16.9.103' };
      const got: string[] = [];
      for (const n of [1, 2, 3]) got.push(firstAddress(await h.addOk(attach(`sta6-${n}`, list))));
      assert.deepEqual(got, ['10.16.9.101', '10.16.9.102', '10.16.9.103']);
      await unchanged(() => h.addFails(attach('sta6-4', list), 100));
      await h.delOk(attach('sta6-2', list));
      assert.deepEqual(addresses(await h.addOk(attach('sta6-4', list))), ['10.16.9.102']);

      // STA-5 dual entries: `,` joins the two families of one pod, `;` separates pods.
      const dual = { [IP_POOL]: '10.77.0.101,fd77::65;10.77.0.102,fd77::66', [LOGICAL_SWITCH]: 'dual' };
      assert.deepEqual(addresses(await h.addOk(attach('sta6-d1', dual))), ['10.77.0.101', 'fd77::65']);
      assert.deepEqual(addresses(await h.addOk(attach('sta6-d2', dual))), ['10.77.0.102', 'fd77::66']);
    });

    test('STA-7 ip_pool naming an IPPool → the lowest free address of that pool', async () => {
      await e.apply(make.ippool('pool-a', { subnet: 'ovn-default', ips: ['10.16.5.10..10.16.5.20'] }));
      const a = await h.addOk(attach('sta7-a', { [IP_POOL]: 'pool-a' }));
      const b = await h.addOk(attach('sta7-b', { [IP_POOL]: 'pool-a' }));
      assert.deepEqual([firstAddress(a), firstAddress(b)], ['10.16.5.10', '10.16.5.11']);
      assert.equal((await e.must('ip', 'sta7-a.default')).spec['subnet'], 'ovn-default');
      await unchanged(() => h.addFails(attach('sta7-c', { [IP_POOL]: 'no-such-pool' }), 104));
    });

    test('SPP-5 SPP-6 pool choice: annotation (with wildcard), then default_ipv4_ippool; missing pool → 104; exhausted falls through', async () => {
      await e.apply(
        make.spiderPool('sp-a', { subnet: '172.20.1.0/24', ips: ['172.20.1.10-172.20.1.11'] }),
        make.spiderPool('sp-b', { subnet: '172.20.1.0/24', ips: ['172.20.1.20-172.20.1.29'] }),
        make.spiderPool('wild-one', { subnet: '172.20.2.0/24', ips: ['172.20.2.5-172.20.2.6'] }),
        make.spiderPool('sp-cfg', { subnet: '172.20.3.0/24', ips: ['172.20.3.7-172.20.3.9'] }),
      );
      const ann = (...ipv4: string[]): Record<string, string> => ({
        [SPIDER_POOL]: JSON.stringify({ ipv4 }),
      });
      // SPP-5: the lowest free address in ips order.
      assert.equal(firstAddress(await h.addOk(attach('spp-1', ann('sp-a')))), '172.20.1.10');
      assert.equal(firstAddress(await h.addOk(attach('spp-2', ann('sp-a')))), '172.20.1.11');
      const exhausted = await h.addFails(attach('spp-3', ann('sp-a')), 100);
      assert.match(exhausted.msg ?? '', /all IP addresses used out/);
      // SPP-6: candidates in the order written; the exhausted sp-a falls through to sp-b.
      assert.equal(firstAddress(await h.addOk(attach('spp-3', ann('sp-a', 'sp-b')))), '172.20.1.20');
      // A named pool that does not exist is an error, with no fall-through and nothing held.
      await unchanged(() => h.addFails(attach('spp-4', ann('no-such-pool', 'sp-b')), 104));
      // Wildcards expand to existing pools.
      assert.equal(firstAddress(await h.addOk(attach('spp-5', ann('wild-*')))), '172.20.2.5');
      assert.equal(firstAddress(await h.addOk(attach('spp-6', ann('wild-o?e')))), '172.20.2.6');
      // Without an annotation the network config's default_ipv4_ippool decides …
      const cfg = { ipam: { default_ipv4_ippool: ['sp-cfg'] } };
      assert.equal(firstAddress(await h.addOk(attach('spp-7', undefined, cfg))), '172.20.3.7');
      // … the annotation wins over it …
      assert.equal(firstAddress(await h.addOk(attach('spp-8', ann('sp-b'), cfg))), '172.20.1.21');
      // … and a missing pool there is 104 too.
      await unchanged(() =>
        h.addFails(attach('spp-9', undefined, { ipam: { default_ipv4_ippool: ['absent', 'sp-cfg'] } }), 104),
      );
      const spA = await e.must('spiderippool', 'sp-a');
      assert.equal(spA.status?.['allocatedIPCount'], 2);
    });

    test('SPR-1 the Spiderpool reserved-IP walkthrough end to end, as in the seed', async () => {
      await e.ok(['apply', '-f', seedPath('test-ipv4-reservedip.yaml')]);
      await e.ok(['apply', '-f', seedPath('test-ipv4-ippool.yaml')]);
      // The Deployment's pod template annotation, verbatim; three replicas created at once.
      const template = { [SPIDER_POOL]: '{\n  "ipv4": ["test-ipv4-ippool"]\n}' };
      const replicas = ['cm7bp', 'lb7cr', 'pkcfl'].map((s) =>
        attach(`reservedip-deploy-6cf9858886-${s}`, template),
      );
      const first = await Promise.all(replicas.map((r) => h.add(r)));
      const ok = first.filter((r) => r.code === 0);
      const failed = replicas.filter((_, i) => first[i]!.code !== 0);
      assert.equal(ok.length, 1, first.map((r) => r.stdout).join('\n'));
      assert.equal(firstAddress(ok[0]!.json), '172.18.42.50');
      for (const r of first.filter((x) => x.code !== 0)) {
        assert.equal(r.json.code, 100, r.stdout);
        assert.match(r.json.msg ?? '', /all IP addresses used out/);
      }
      const [header, row] = await e.table(['spiderippool', 'test-ipv4-ippool']);
      assert.equal(row![header!.indexOf('ALLOCATED-IP-COUNT')], '1');

      await e.ok(['delete', '-f', seedPath('test-ipv4-reservedip.yaml')]);
      // The runtime retries the two pods that are stuck in ContainerCreating.
      const retried = await Promise.all(failed.map((r) => h.addOk(r)));
      assert.deepEqual(retried.map(firstAddress).sort(), ['172.18.42.41', '172.18.42.42']);
      const [, row2] = await e.table(['spiderippool', 'test-ipv4-ippool']);
      assert.equal(row2![header!.indexOf('ALLOCATED-IP-COUNT')], '3');
    });

    test('SPR-2 a reservation over a held address: the holder keeps it; once released it is not handed out', async () => {
      await e.apply(make.spiderPool('sp-r', { subnet: '172.21.0.0/24', ips: ['172.21.0.10-172.21.0.12'] }));
      const ann = { [SPIDER_POOL]: JSON.stringify({ ipv4: ['sp-r'] }) };
      assert.equal(firstAddress(await h.addOk(attach('spr2-a', ann))), '172.21.0.10');
      await e.apply(make.spiderReserved('hold-r', { ips: ['172.21.0.10'] }));
      // The holder keeps it (ADD again is idempotent).
      assert.equal(firstAddress(await h.addOk(attach('spr2-a', ann))), '172.21.0.10');
      await h.delOk(attach('spr2-a', ann));
      assert.equal(firstAddress(await h.addOk(attach('spr2-b', ann))), '172.21.0.11');
      assert.equal(firstAddress(await h.addOk(attach('spr2-c', ann))), '172.21.0.12');
      // Only .10 is free, and it is reserved: neither a dynamic nor a static request gets it.
      await unchanged(async () => {
        await h.addFails(attach('spr2-d', ann), 100);
        await h.addFails(attach('spr2-e', { ...ann, [IP_ADDRESS]: '172.21.0.10' }), 101);
      });
      await e.ok(['delete', 'spiderreservedip', 'hold-r']);
      assert.equal(firstAddress(await h.addOk(attach('spr2-d', ann))), '172.21.0.10');
    });

    test('CNI-2 DUR-2 container IDs and interface names the CNI spec allows (case, _, .): one address each, DEL releases', async () => {
      const used = await h.used('ovn-default');
      const attachments: Attach[] = [
        { containerId: 'Ctr_A', network: 'names' },
        { containerId: 'ctr_a', network: 'names' },
        { containerId: 'ctr-a', network: 'names' },
        { containerId: 'CTR-A', network: 'names' },
        { containerId: 'ctr.a', network: 'names', ifName: 'net_1' },
        { containerId: 'ctr.a', network: 'names', ifName: 'net-1' },
        { containerId: 'ctr.a', network: 'names', ifName: 'eth0.100' },
        { containerId: 'x'.repeat(64) + 'a', network: 'names' },
        { containerId: 'x'.repeat(64) + 'b', network: 'names' },
        { ...attach('names-pod'), ifName: 'Net1', network: 'names' },
        { ...attach('names-pod'), ifName: 'net1', network: 'names' },
      ];
      const got: string[] = [];
      for (const a of attachments) got.push(firstAddress(await h.addOk(a)));
      assert.equal(new Set(got).size, attachments.length, `one address per attachment: ${got.join(' ')}`);
      assert.equal(await h.used('ovn-default'), used + attachments.length);
      // Each attachment's IP object records its own container and interface.
      const objects = (await h.ips()).filter(
        (o) => o.metadata.annotations?.['ipkeeper.io/network'] === 'names',
      );
      const recorded = objects.map(
        (o) =>
          `${o.metadata.annotations?.['ipkeeper.io/container-id']}/${o.metadata.annotations?.['ipkeeper.io/ifname']}`,
      );
      assert.deepEqual(
        recorded.sort(),
        attachments.map((a) => `${a.containerId}/${a.ifName ?? 'eth0'}`).sort(),
      );
      // ADD again is idempotent per attachment; DEL releases exactly that attachment's address.
      for (const [i, a] of attachments.entries()) assert.equal(firstAddress(await h.addOk(a)), got[i]);
      for (const a of attachments) await h.delOk(a);
      assert.equal(await h.used('ovn-default'), used);
    });

    test('ENG-4 CNI-2 attachments whose names spell one key (pod a.b in c, pod a in b interface c): the second is refused, the first keeps its address', async () => {
      const network = 'collide';
      const first = { ...attach('k.b'), pod: pod('k.b', 'c'), containerId: 'c-kb', network };
      const second = { ...attach('k'), pod: pod('k', 'b'), containerId: 'c-k', ifName: 'c', network };
      const held = firstAddress(await h.addOk(first));
      await unchanged(async () => {
        const err = await h.addFails(second, 101);
        assert.match(err.msg ?? '', /IP k\.b\.c belongs to c\/k\.b eth0; pod b\/k interface c/);
      });
      // The refused attachment's DEL does not release the first one's address.
      await h.delOk(second);
      assert.equal((await e.must('ip', 'k.b.c')).spec['v4IpAddress'], held);
      // A bare container x interface y and pod x in namespace y: the same guard.
      const bare = { containerId: 'kx', ifName: 'ky', network };
      await h.addOk(bare);
      await unchanged(() =>
        h.addFails({ ...attach('kx'), pod: pod('kx', 'ky'), containerId: 'c-kx2', network }, 101),
      );
      for (const a of [first, bare]) await h.delOk(a);
      assert.equal(await h.ip('k.b.c'), undefined);
      assert.equal(await h.ip('kx.ky'), undefined);
    });

    test('CNI-2 IPR-10 pod names of up to 253 characters: the IP object name still fits, one address each', async () => {
      const used = await h.used('ovn-default');
      const long = (tail: string): Attach => ({
        ...attach('x'),
        pod: pod(`${'a'.repeat(245)}-${tail}`),
        containerId: `c-long-${tail}`,
        network: 'long',
      });
      const [one, two] = [long('one'), long('two')];
      const got = [firstAddress(await h.addOk(one)), firstAddress(await h.addOk(two))];
      assert.notEqual(got[0], got[1]);
      const names = (await h.ips())
        .filter((o) => o.metadata.annotations?.['ipkeeper.io/network'] === 'long')
        .map((o) => o.metadata.name!);
      assert.equal(names.length, 2);
      for (const n of names) assert.ok(n.length <= 253 && n.endsWith('.default'), n);
      assert.equal(firstAddress(await h.addOk(one)), got[0], 'ADD again: the same address');
      for (const a of [one, two]) await h.delOk(a);
      assert.equal(await h.used('ovn-default'), used);
    });

    test('GC-4 GC with cni.dev/valid-attachments, then with cni.dev/attachments: unlisted released, listed and reservations kept', async () => {
      const network = 'gcnet';
      const bare = (containerId: string, ifName = 'eth0'): Attach => ({ containerId, ifName, network });
      await e.apply(make.reservation('gcpod', 'default', 'ovn-default'));
      const reserved = (await e.must('ip', 'gcpod.default')).spec['v4IpAddress'];
      await h.addOk({ ...attach('gcpod'), containerId: 'gc-res', network });
      for (const a of [bare('keep-1'), bare('drop-1'), bare('drop-1', 'net1')]) await h.addOk(a);
      await h.addOk({ containerId: 'other-1', network: 'othernet' });
      const used = await h.used('ovn-default');
      const count = (await h.ips()).length;

      const gc = async (key: string, containerIds: string[]): Promise<void> => {
        const conf = {
          ...h.conf({ network, cniVersion: '1.1.0' }),
          [key]: containerIds.map((id) => ({ containerID: id, ifname: 'eth0' })),
        };
        const r = await h.raw({ CNI_COMMAND: 'GC', CNI_PATH: '/usr/lib/cni' }, JSON.stringify(conf));
        assert.deepEqual([r.code, r.stdout], [0, ''], r.stderr);
      };
      await gc('cni.dev/valid-attachments', ['keep-1']);
      assert.equal(await h.ip('drop-1.eth0'), undefined);
      assert.equal(await h.ip('drop-1.net1'), undefined);
      assert.ok(await h.ip('keep-1.eth0'), 'a listed attachment is kept');
      assert.ok(await h.ip('other-1.eth0'), 'another network is not touched');
      const res = await e.must('ip', 'gcpod.default');
      assert.equal(res.spec['v4IpAddress'], reserved, 'a reservation is never collected (IPR-9)');
      assert.equal(await h.used('ovn-default'), used - 2);
      assert.equal((await h.ips()).length, count - 2);

      await h.addOk(bare('drop-2'));
      await gc('cni.dev/attachments', ['keep-1']);
      assert.equal(await h.ip('drop-2.eth0'), undefined);
      assert.ok(await h.ip('keep-1.eth0'));
      assert.ok(await h.ip('gcpod.default'));
      assert.equal(await h.used('ovn-default'), used - 2);
    });

    test('CNI-2 podman names a container in K8S_POD_NAME without a namespace (amazing_fermi): ADD, recorded on the IP object, DEL releases', async () => {
      // Exactly what Debian's podman 4.3 (CNI backend) passes for `podman run` without --name.
      const containerId = 'a1f3'.repeat(16);
      const podman: Attach = { containerId, env: { CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=amazing_fermi' } };
      const used = await h.used('ovn-default');
      const result = await h.addOk(podman);
      const ip = await e.must('ip', `${containerId}.eth0`);
      assert.equal(ip.spec['v4IpAddress'], firstAddress(result));
      assert.equal(ip.spec['podName'], containerId, 'the owner is the container');
      assert.equal(ip.spec['namespace'], '');
      assert.equal(ip.metadata.annotations?.['ipkeeper.io/container-name'], 'amazing_fermi');
      assert.equal(await h.used('ovn-default'), used + 1);
      await h.delOk(podman);
      assert.equal(await h.ip(`${containerId}.eth0`), undefined);
      assert.equal(await h.used('ovn-default'), used);
    });
  },
);
