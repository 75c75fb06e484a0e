/**
 * Two daemons on one etcd member (DUR-2, DUR-5), daemon B reaching etcd only through a TCP proxy:
 * - a commit is applied once on each daemon (one watch event, one resourceVersion);
 * - proposals that race across daemons: a static address ends held by one, the other is told who holds
 *   it; a tiny subnet runs out with NoAvailableAddress, never a conflict or "try again";
 * - when the change feed cannot continue (the proxy cuts B off while A changes objects and etcd's history is
 *   compacted past what B has seen), B reloads the store, then serves what A serves, and a watch from a
 *   resourceVersion older than the reload gets 410 Gone.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { type RunningDaemon, removeDir, startDaemon } from '../support/daemon.js';
import { EtcdCluster, etcdMissing } from '../support/etcd.js';
import { runKubectl } from '../support/kubectl.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { cniCall, sleep } from './fleet.js';

const missing = etcdMissing();

async function ok(d: RunningDaemon, args: string[], input?: string): Promise<string> {
  const r = await runKubectl(args, { kubeconfig: d.kubeconfig, ...(input !== undefined ? { input } : {}) });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const ip = (name: string): string =>
  JSON.stringify({
    apiVersion: 'kubeovn.io/v1',
    kind: 'IP',
    metadata: { name: `${name}.ns` },
    spec: { subnet: 'ovn-default', podName: name, namespace: 'ns' },
  });

/** Names, addresses and resourceVersions of every IP object daemon d serves. */
async function ips(d: RunningDaemon): Promise<string[]> {
  const out = await ok(d, [
    'get',
    'ips.kubeovn.io',
    '-o',
    'custom-columns=N:.metadata.name,IP:.spec.v4IpAddress,RV:.metadata.resourceVersion',
    '--no-headers',
  ]);
  return out.trim().split('\n').filter(Boolean).sort();
}

/** The first line a watch from `rv` sends (raw HTTPS with the daemon's token). */
function watchFirstLine(d: RunningDaemon, rv: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${d.api}/apis/kubeovn.io/v1/ips?watch=1&resourceVersion=${rv}`,
      { headers: { authorization: `Bearer ${d.token}` }, rejectUnauthorized: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
          if (body.includes('\n')) {
            req.destroy();
            resolve(body.split('\n')[0]!);
          }
        });
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

type WatchLine = { type: string; object: { metadata: { name: string; resourceVersion: string } } };

/** Every watch event daemon d sends from `rv` within `ms` (raw HTTPS with its token). */
function watchFor(d: RunningDaemon, rv: string, ms: number): Promise<WatchLine[]> {
  return new Promise((resolve, reject) => {
    let body = '';
    const req = request(
      `${d.api}/apis/kubeovn.io/v1/ips?watch=1&resourceVersion=${rv}`,
      { headers: { authorization: `Bearer ${d.token}` }, rejectUnauthorized: false },
      (res) => res.on('data', (c: Buffer) => (body += c.toString())),
    );
    req.on('error', (e) => (body === '' ? reject(e) : undefined));
    req.end();
    setTimeout(() => {
      req.destroy();
      resolve(
        body
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as WatchLine),
      );
    }, ms);
  });
}

describe(
  'DUR-5 a daemon whose feed fell behind a compaction reloads the store',
  { skip: missing ?? false },
  () => {
    let cluster: EtcdCluster;
    let proxy: TcpProxy;
    let a: RunningDaemon;
    let b: RunningDaemon;

    before(async () => {
      cluster = await EtcdCluster.start({ members: 1 });
      const url = new URL(cluster.endpoint(0));
      proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port) });
      a = await startDaemon({ args: ['--store', 'etcd', '--etcd-endpoints', cluster.endpoint(0)] });
      b = await startDaemon({ args: ['--store', 'etcd', '--etcd-endpoints', proxy.url] });
    });
    after(async () => {
      for (const d of [a, b]) if (d) await d.stop().then(() => removeDir(d.dataDir));
      await proxy?.close();
      await cluster?.close();
    });

    test('DUR-5 a commit is applied once on every daemon: one ADDED event each, the same resourceVersion', async () => {
      const rvOf = async (d: RunningDaemon): Promise<string> =>
        (
          JSON.parse(await ok(d, ['get', '--raw', '/apis/kubeovn.io/v1/ips'])) as {
            metadata: { resourceVersion: string };
          }
        ).metadata.resourceVersion;
      const [rvA, rvB] = [await rvOf(a), await rvOf(b)];
      const [onA, onB] = [watchFor(a, rvA, 3000), watchFor(b, rvB, 3000)];
      await sleep(300);
      await ok(a, ['create', '-f', '-'], ip('once'));
      const [eventsA, eventsB] = [await onA, await onB];
      const mine = (events: Awaited<typeof onA>): [string, string][] =>
        events
          .filter((e) => e.object.metadata.name === 'once.ns')
          .map((e) => [e.type, e.object.metadata.resourceVersion]);
      assert.equal(mine(eventsA).length, 1, `daemon A (the writer): ${JSON.stringify(mine(eventsA))}`);
      assert.deepEqual(mine(eventsB), mine(eventsA), 'daemon B: the same single event, same resourceVersion');
      assert.equal(mine(eventsA)[0]![0], 'ADDED');
      await ok(a, ['delete', 'ip', 'once.ns']);
    });

    test('DUR-2 DUR-5 racing proposals: a static address is held once, the loser is told the holder; a subnet runs out with NoAvailableAddress', async () => {
      const staticIp = (name: string): string =>
        JSON.stringify({
          apiVersion: 'kubeovn.io/v1',
          kind: 'IP',
          metadata: { name: `${name}.ns` },
          spec: { subnet: 'ovn-default', podName: name, namespace: 'ns', v4IpAddress: '10.16.0.250' },
        });
      const [ra, rb] = await Promise.all([
        runKubectl(['create', '-f', '-'], { kubeconfig: a.kubeconfig, input: staticIp('race-a') }),
        runKubectl(['create', '-f', '-'], { kubeconfig: b.kubeconfig, input: staticIp('race-b') }),
      ]);
      const results = [ra, rb].map((r) => r.code);
      assert.deepEqual([...results].sort(), [0, 1], `exactly one create succeeds: ${ra.stderr}${rb.stderr}`);
      const winner = ra.code === 0 ? 'race-a.ns' : 'race-b.ns';
      const loser = ra.code === 0 ? rb : ra;
      assert.match(
        loser.stderr,
        new RegExp(`10\\.16\\.0\\.250 is already held by ${winner.replace('.', '\\.')}`),
      );
      await ok(a, ['delete', 'ip', winner]);

      await ok(
        a,
        ['create', '-f', '-'],
        JSON.stringify({
          apiVersion: 'kubeovn.io/v1',
          kind: 'Subnet',
          metadata: { name: 'tiny' },
          spec: { cidrBlock: '10.66.0.0/29' },
        }),
      );
      await sleep(500);
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          cniCall((i % 2 ? a : b).socket, 'ADD', `tiny-${i}`, 'tiny', { subnet: 'tiny' }),
        ),
      );
      const held = outcomes.filter((o) => o.ok).map((o) => o.address!);
      assert.equal(held.length, 5, 'the five usable addresses are handed out');
      assert.equal(new Set(held).size, 5, 'each once');
      assert.deepEqual(
        outcomes.filter((o) => !o.ok).map((o) => o.code),
        [100, 100, 100, 100, 100, 100, 100],
        `the rest: NoAvailableAddress (${outcomes
          .filter((o) => !o.ok)
          .map((o) => o.msg)
          .join('; ')})`,
      );
    });

    test('DUR-5 cut off, compacted past, reconnected: B relists, agrees with A, and an old watch gets 410', async () => {
      for (const n of ['one', 'two', 'three']) await ok(a, ['create', '-f', '-'], ip(n));
      await sleep(500);
      assert.deepEqual(await ips(b), await ips(a));
      const before = JSON.parse(await ok(b, ['get', '--raw', '/apis/kubeovn.io/v1/ips'])) as {
        metadata: { resourceVersion: string };
      };
      const oldRv = before.metadata.resourceVersion;
      assert.match(oldRv, /^\d+$/);

      proxy.block();
      for (const n of ['four', 'five']) await ok(a, ['create', '-f', '-'], ip(n));
      await ok(a, ['delete', 'ip', 'two.ns']);
      const etcd = new Etcd3({ hosts: cluster.endpoints });
      try {
        const latest = Number((await etcd.kv.range({ key: Buffer.from('/ipkeeper/meta') })).header.revision);
        await etcd.kv.compact({ revision: latest, physical: true });
      } finally {
        etcd.close();
      }
      proxy.unblock();

      const deadline = Date.now() + 30_000;
      while (JSON.stringify(await ips(b)) !== JSON.stringify(await ips(a))) {
        assert.ok(Date.now() < deadline, `B never caught up:\n${(await ips(b)).join('\n')}`);
        await sleep(500);
      }
      assert.deepEqual(
        (await ips(b)).map((l) => l.split(/\s+/)[0]).filter((n) => n?.endsWith('.ns')),
        ['five.ns', 'four.ns', 'one.ns', 'three.ns'],
      );
      const metrics = await ok(b, ['get', '--raw', '/metrics']);
      assert.match(metrics, /ipkeeper_replication_relists_total 1\b/);
      // The subnet counters agree too.
      const used = async (d: RunningDaemon): Promise<unknown> =>
        (
          JSON.parse(await ok(d, ['get', 'subnet', 'ovn-default', '-o', 'json'])) as {
            status: Record<string, unknown>;
          }
        ).status['v4usingIPs'];
      assert.equal(await used(b), 4);
      assert.equal(await used(a), 4);
      // A watch from before the reload cannot be served exactly any more: 410, as kube-apiserver answers.
      const first = await watchFirstLine(b, oldRv);
      assert.match(first, /"type":"ERROR"/);
      assert.match(first, /"code":410/);
    });
  },
);
