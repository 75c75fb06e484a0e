// Operator surfaces of ipkeeperd: the allocation history ("who held an address when", SPEC §12) and /metrics,
// through the real kubectl (`get --raw`) against a real daemon.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { CniHarness } from '../cni-e2e/cni-e2e-support.js';
import { E2E, make, seedPath } from './e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

describe('operator endpoints', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  before(async () => {
    e = await E2E.start();
  });
  after(async () => {
    await e.close();
  });

  test('history: every allocation and release of an address is recorded with its owner, newest first', async () => {
    await e.ok(['apply', '-f', seedPath('02-static.yaml')]);
    await e.ok(['delete', 'ip', 'pod-static-01.default']);
    const raw = await e.ok(['get', '--raw', '/ipkeeper/v1/history?address=10.16.0.3']);
    const { items } = JSON.parse(raw) as {
      items: { event: string; key: string; address: string; mac?: string; reason: string; at: string }[];
    };
    assert.deepEqual(
      items.map((h) => [h.event, h.key, h.address, h.reason]),
      [
        ['release', 'pod-static-01.default', '10.16.0.3', 'delete'],
        ['allocate', 'pod-static-01.default', '10.16.0.3', 'reservation'],
      ],
    );
    assert.equal(items[0]!.mac, items[1]!.mac);
    assert.ok(Date.parse(items[0]!.at) >= Date.parse(items[1]!.at));
    const byKey = JSON.parse(
      await e.ok(['get', '--raw', '/ipkeeper/v1/history?key=pod-static-01.default&limit=1']),
    ) as { items: unknown[] };
    assert.equal(byKey.items.length, 1);
  });

  test('metrics: subnet usage and object counts move with allocations', async () => {
    const read = async (): Promise<string> => e.ok(['get', '--raw', '/metrics']);
    const using = (text: string): number =>
      Number(/ipkeeper_subnet_using_ips\{subnet="ovn-default",family="IPv4"\} (\d+)/.exec(text)?.[1]);
    const before = await read();
    await e.ok(['apply', '-f', seedPath('01-dynamic.yaml')]);
    const afterText = await read();
    assert.equal(using(afterText), using(before) + 1);
    assert.match(afterText, /ipkeeper_objects\{kind="IP"\} 1/);
    assert.match(afterText, /ipkeeper_subnet_available_ips\{subnet="ovn-default",family="IPv4"\} \d+/);
  });
  test('metrics: failed CNI calls are counted by a bounded set of commands, whatever CNI_COMMAND says', async () => {
    // The plugin refuses an unknown command itself (code 4) and never forwards it; a client that writes to
    // the socket directly still must not choose the daemon's metrics labels.
    const h = new CniHarness(e, 'metrics');
    for (const command of ['ADD{x="1"}', 'whatever-123', 'DROP TABLE']) {
      const env = { CNI_COMMAND: command, CNI_CONTAINERID: 'c-m', CNI_NETNS: '/x', CNI_IFNAME: 'eth0' };
      const reply = await postToSocket(e.daemon.socket, { env, stdin: JSON.stringify(h.conf()) });
      const answer = JSON.parse(reply) as { exitCode: number; stdout: string };
      assert.notEqual(answer.exitCode, 0);
      assert.equal((JSON.parse(answer.stdout) as { code: number }).code, 4, answer.stdout);
    }
    const text = await e.ok(['get', '--raw', '/metrics']);
    const failures = text.split('\n').filter((l) => l.startsWith('ipkeeper_cni_failures_total{'));
    assert.deepEqual(failures, ['ipkeeper_cni_failures_total{command="other",code="4"} 3']);
  });
  test("metrics: the process memory figures are the daemon process's own", async () => {
    const text = await e.ok(['get', '--raw', '/metrics']);
    // Read right after the scrape: the kernel's figure for the daemon's pid, which the scrape must match.
    const status = readFileSync(`/proc/${e.daemon.pid}/status`, 'utf8');
    const vmRss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) * 1024;
    const value = (name: string): number => {
      assert.match(text, new RegExp(`^# TYPE ${name} gauge$`, 'm'), name);
      const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
      assert.ok(m, `${name} missing from /metrics`);
      return Number(m[1]);
    };
    const rss = value('process_resident_memory_bytes');
    const heapTotal = value('nodejs_heap_size_total_bytes');
    const heapUsed = value('nodejs_heap_size_used_bytes');
    const external = value('nodejs_external_memory_bytes');
    const arrayBuffers = value('nodejs_array_buffers_bytes');
    // The daemon's RSS moves a little between the scrape and the read (this test's own requests).
    assert.ok(Math.abs(rss - vmRss) < vmRss * 0.2, `RSS ${rss} vs /proc ${vmRss}`);
    assert.ok(heapUsed > 0 && heapUsed <= heapTotal && heapTotal < rss, `${heapUsed} ${heapTotal} ${rss}`);
    assert.ok(arrayBuffers <= external && external > 0 && external < rss, `${arrayBuffers} ${external}`);
    // By V8 space: the old space is there, and the spaces add up to the heap's total.
    const spaces = (name: string): Map<string, number> =>
      new Map(
        [...text.matchAll(new RegExp(`^${name}\\{space="(\\w+)"\\} (\\d+)$`, 'gm'))].map((m) => [
          m[1]!,
          Number(m[2]),
        ]),
      );
    const spaceTotal = spaces('nodejs_heap_space_size_total_bytes');
    const spaceUsed = spaces('nodejs_heap_space_size_used_bytes');
    assert.ok(spaceTotal.has('old') && spaceTotal.has('new'), [...spaceTotal.keys()].join());
    const sum = [...spaceTotal.values()].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - heapTotal) < heapTotal * 0.2, `spaces ${sum} vs heap total ${heapTotal}`);
    for (const [space, used] of spaceUsed) assert.ok(used <= spaceTotal.get(space)!, space);
  });
});

/** One wire request (`POST /v1/cni`) straight to the daemon's CNI socket, as a hand-written client would. */
function postToSocket(socketPath: string, body: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/v1/cni', method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('operator endpoints: --history-limit', { skip: kubectlSkipReason() }, () => {
  test('history retention: a daemon started with --history-limit 3 keeps the newest 3 entries', async () => {
    const e = await E2E.start({ args: ['--history-limit', '3'] });
    try {
      await e.ok(['apply', '-f', seedPath('02-static.yaml')]); // allocate 10.16.0.3
      await e.ok(['delete', 'ip', 'pod-static-01.default']); // release it
      await e.ok(['apply', '-f', seedPath('01-dynamic.yaml')]); // allocate another
      await e.ok(['apply', '-f', seedPath('02-static.yaml')]); // allocate 10.16.0.3 again
      const { items } = JSON.parse(await e.ok(['get', '--raw', '/ipkeeper/v1/history'])) as {
        items: { event: string; key: string }[];
      };
      assert.deepEqual(
        items.map((h) => `${h.event} ${h.key}`),
        ['allocate pod-static-01.default', 'allocate vm-dynamic-01.default', 'release pod-static-01.default'],
      );
    } finally {
      await e.close();
    }
  });
});

describe('operator endpoints: --quarantine-limit', { skip: kubectlSkipReason() }, () => {
  test('ENG-1 DUR-1 a /64 quarantine keeps the newest N releases; the oldest are reused first, the same after a restart', async () => {
    const e = await E2E.start({ args: ['--quarantine-limit', '2'] });
    try {
      await e.apply(make.subnet('q6', { cidrBlock: '10.141.0.0/24,fd41::/64', protocol: 'Dual' }));
      const names = ['q1', 'q2', 'q3', 'q4'].map((n) => `${n}.default`);
      for (const n of names) await e.apply(make.reservation(n.split('.')[0]!, 'default', 'q6'));
      const v6 = async (name: string): Promise<unknown> => (await e.must('ip', name)).spec['v6IpAddress'];
      assert.deepEqual(await Promise.all(names.map(v6)), ['fd41::2', 'fd41::3', 'fd41::4', 'fd41::5']);
      for (const n of names) await e.ok(['delete', 'ip', n]);
      // Kept: the newest two releases (::4, ::5). ::2 and ::3 are free again; IPv4 (a /24) keeps all four.
      await e.apply(make.reservation('r1', 'default', 'q6'));
      assert.equal(await v6('r1.default'), 'fd41::2');
      assert.equal((await e.must('ip', 'r1.default')).spec['v4IpAddress'], '10.141.0.6');
      await e.restart();
      await e.apply(make.reservation('r2', 'default', 'q6'));
      assert.equal(await v6('r2.default'), 'fd41::3', 'the store kept exactly what the engine did');
      await e.apply(make.reservation('r3', 'default', 'q6'));
      assert.equal(await v6('r3.default'), 'fd41::6', 'the quarantined ::4 and ::5 still wait');
    } finally {
      await e.close();
    }
  });
});

describe('operator endpoints: a stored object that does not load', { skip: kubectlSkipReason() }, () => {
  test('DUR-1 it is served and reported loudly (log line, /metrics, /healthz), never dropped; deleting it clears that', async () => {
    const e = await E2E.start();
    try {
      await e.apply(make.subnet('good', { cidrBlock: '10.160.0.0/24' }));
      await e.daemon.stop();
      // Written as an older version would have: before IPv6 text for IPv4 addresses was refused.
      const store = await SqliteStore.open(join(e.dataDir, 'ipkeeper.db'));
      const body = make.subnet('mapped', { cidrBlock: '::ffff:10.161.0.0/120' });
      assert.ok(
        (await store.commit([{ op: 'putObject', kind: 'Subnet', name: 'mapped', body: { ...body } }])).ok,
      );
      await store.close();
      await e.restart();

      assert.match(
        e.daemon.stderr(),
        /stored object not in effect.*"kind":"Subnet","name":"mapped".*IPv4-mapped/,
      );
      const metrics = await e.ok(['get', '--raw', '/metrics']);
      assert.match(metrics, /^ipkeeper_objects_not_in_effect\{kind="Subnet"\} 1$/m);
      for (const probe of ['/healthz', '/readyz']) {
        const r = await e.http('GET', probe, { token: null });
        assert.equal(r.status, 200, 'the API stays reachable so the object can be fixed');
        assert.match(
          r.text,
          /^ok, with 1 warning\(s\):\n\[!\] Subnet "mapped" is stored but not in effect .*IPv4-mapped.*delete it$/m,
        );
      }
      assert.equal(
        (await e.must('subnet', 'mapped')).spec['cidrBlock'],
        '::ffff:10.161.0.0/120',
        'served as stored',
      );
      await e.apply(make.reservation('r', 'default', 'good'));
      await e.ok(['delete', 'subnet', 'mapped']);
      await e.restart();
      assert.equal((await e.http('GET', '/healthz', { token: null })).text, 'ok');
      assert.match(
        await e.ok(['get', '--raw', '/metrics']),
        /^ipkeeper_objects_not_in_effect\{kind="Subnet"\} 0$/m,
      );
    } finally {
      await e.close();
    }
  });
});
