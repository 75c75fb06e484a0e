/**
 * `ipkeeperd migrate --from sqlite:DIR --to etcd:URLS`, and the etcd options' bad input, against a real
 * daemon and a real etcd: a SQLite store with subnets, pools, reservations, CNI attachments and releases is
 * copied, a daemon on etcd serves the same objects, history and quarantine order; what cannot work is
 * refused with a message that says why, and changes nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { DAEMON, type RunningDaemon, removeDir, startDaemon, tempDir } from '../support/daemon.js';
import { EtcdCluster, etcdMissing, freePort } from '../support/etcd.js';
import { runKubectl } from '../support/kubectl.js';
import { cniCall } from './fleet.js';

const missing = etcdMissing();
const KINDS = 'subnets.kubeovn.io,ips.kubeovn.io,ippools.kubeovn.io,spiderippools,spiderreservedips';

/** Runs `node dist/daemon/main.js ARGS` to completion. */
/** `ipkeeperd migrate --from FROM --to TO [--etcd-prefix PREFIX]`. */
function migrate(from: string, to: string, prefix?: string): ReturnType<typeof cli> {
  return cli([
    'migrate',
    '--from',
    from,
    '--to',
    to,
    ...(prefix === undefined ? [] : ['--etcd-prefix', prefix]),
  ]);
}

function cli(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DAEMON, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function kubectl(d: RunningDaemon, args: string[], input?: string): Promise<string> {
  const r = await runKubectl(args, { kubeconfig: d.kubeconfig, ...(input !== undefined ? { input } : {}) });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Every object of every kind as served, without what a copy may change (resourceVersion). */
async function objects(d: RunningDaemon): Promise<unknown[]> {
  const list = JSON.parse(await kubectl(d, ['get', KINDS, '-o', 'json'])) as {
    items: { metadata: Record<string, unknown> }[];
  };
  return list.items
    .map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

async function history(d: RunningDaemon): Promise<unknown> {
  return JSON.parse(await kubectl(d, ['get', '--raw', '/ipkeeper/v1/history?limit=10000'])) as unknown;
}

describe('ipkeeperd migrate and the etcd options', { skip: missing ?? false }, () => {
  let cluster: EtcdCluster;
  let source: string;
  let etcd: Etcd3;

  before(async () => {
    cluster = await EtcdCluster.start({ members: 1 });
    etcd = new Etcd3({ hosts: cluster.endpoints });
    source = tempDir('ipkeeper-migrate-src-');
    // A store with something of everything: objects of each kind, held and released addresses, history.
    const d = await startDaemon({ dataDir: source });
    try {
      const apply = (o: unknown): Promise<string> => kubectl(d, ['create', '-f', '-'], JSON.stringify(o));
      await apply({
        apiVersion: 'kubeovn.io/v1',
        kind: 'Subnet',
        metadata: { name: 'net2' },
        spec: { cidrBlock: '10.77.0.0/24', excludeIps: ['10.77.0.2..10.77.0.9'] },
      });
      await apply({
        apiVersion: 'kubeovn.io/v1',
        kind: 'IPPool',
        metadata: { name: 'pool2' },
        spec: { subnet: 'net2', ips: ['10.77.0.100..10.77.0.120'] },
      });
      await apply({
        apiVersion: 'kubeovn.io/v1',
        kind: 'IP',
        metadata: { name: 'vm1.ns' },
        spec: { subnet: 'net2', podName: 'vm1', namespace: 'ns', v4IpAddress: '10.77.0.50' },
      });
      await apply({
        apiVersion: 'spiderpool.spidernet.io/v2beta1',
        kind: 'SpiderReservedIP',
        metadata: { name: 'keep' },
        spec: { ips: ['10.16.0.200'] },
      });
      for (let i = 0; i < 8; i++) assert.equal((await cniCall(d.socket, 'ADD', `c${i}`, 'mig')).ok, true);
      for (const i of [2, 5, 6]) assert.equal((await cniCall(d.socket, 'DEL', `c${i}`, 'mig')).ok, true);
      // A subnet with no never-used address left and two released ones: .5 released before .3.
      await apply({
        apiVersion: 'kubeovn.io/v1',
        kind: 'Subnet',
        metadata: { name: 'small' },
        spec: { cidrBlock: '10.99.0.0/29' },
      });
      for (let i = 0; i < 5; i++)
        assert.equal((await cniCall(d.socket, 'ADD', `s${i}`, 'mig', { subnet: 'small' })).ok, true);
      for (const i of [3, 1])
        assert.equal((await cniCall(d.socket, 'DEL', `s${i}`, 'mig', { subnet: 'small' })).ok, true);
    } finally {
      await d.stop();
    }
  });
  after(async () => {
    etcd?.close();
    await cluster?.close();
    if (source) removeDir(source);
  });

  test('migrate round trip: objects, history and quarantine order are the same on etcd', async () => {
    const r = await migrate(`sqlite:${source}`, `etcd:${cluster.endpoint(0)}`, '/mig/');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /objects=\d+ addresses=\d+ leases=\d+ macs=\d+ quarantine=5 history=\d+ \(every key read back and verified\)/,
    );
    const [sqlite, onEtcd] = [
      await startDaemon({ dataDir: source }),
      await startDaemon({
        args: ['--store', 'etcd', '--etcd-endpoints', cluster.endpoint(0), '--etcd-prefix', '/mig/'],
      }),
    ];
    try {
      const objs = await objects(sqlite);
      assert.deepEqual(await objects(onEtcd), objs);
      assert.match(r.stdout, new RegExp(`objects=${objs.length} `));
      assert.deepEqual(await history(onEtcd), await history(sqlite));
      // The quarantine order survived: the next ADDs in the full subnet reuse the released addresses
      // oldest release first (ENG-1), on both.
      const next = async (d: RunningDaemon): Promise<string[]> => {
        const got: string[] = [];
        for (let i = 0; i < 2; i++)
          got.push((await cniCall(d.socket, 'ADD', `n${i}`, 'mig', { subnet: 'small' })).address!);
        return got;
      };
      assert.deepEqual(await next(onEtcd), ['10.99.0.5', '10.99.0.3']);
      assert.deepEqual(await next(sqlite), ['10.99.0.5', '10.99.0.3']);
    } finally {
      await sqlite.stop();
      await onEtcd.stop();
      removeDir(onEtcd.dataDir);
    }
  });

  test('migrate refuses a non-empty target, unreachable endpoints, a wrong prefix, a source in use', async () => {
    await etcd.put('/taken/other').value('x');
    let r = await migrate(`sqlite:${source}`, `etcd:${cluster.endpoint(0)}`, '/taken/');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /the etcd prefix \/taken\/ is not empty: it holds 1 key\(s\), e\.g\. \/taken\/other; migrate only into an empty prefix/,
    );
    assert.deepEqual(
      Object.keys(await etcd.getAll().prefix('/taken/').strings()),
      ['/taken/other'],
      'nothing written',
    );

    const closed = await freePort();
    r = await cli(
      ['migrate', '--from', `sqlite:${source}`, '--to', `etcd:http://127.0.0.1:${closed}`],
      90_000,
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot reach etcd at http://127\\.0\\.0\\.1:${closed}`));

    for (const [prefix, why] of [
      ['ipkeeper/', /must start with "\/"/],
      ['/ipkeeper', /must end with "\/"/],
      ['/a//b/', /empty, "\." or "\.\." segment/],
    ] as const) {
      r = await migrate(`sqlite:${source}`, `etcd:${cluster.endpoint(0)}`, prefix);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, why);
    }
    r = await migrate(source, `etcd:${cluster.endpoint(0)}`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--from ".*" must be sqlite:DIR/);
    r = await migrate(`sqlite:${source}`, cluster.endpoint(0));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--to ".*" must be etcd:URL/);
    r = await migrate(`sqlite:${source}/nothing-here`, `etcd:${cluster.endpoint(0)}`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /there is no SQLite store at .*nothing-here\/ipkeeper\.db/);

    const running = await startDaemon({ dataDir: source });
    try {
      r = await migrate(`sqlite:${source}`, `etcd:${cluster.endpoint(0)}`, '/while-running/');
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`another ipkeeperd \\(pid ${running.pid} `));
      assert.deepEqual(await etcd.getAll().prefix('/while-running/').keys(), []);
    } finally {
      await running.stop();
    }
    r = await cli(['migrate', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: ipkeeperd migrate --from sqlite:DIR --to etcd:URL/);
  });

  test('the daemon on etcd: unreachable endpoints, a bad prefix, a foreign or half-migrated prefix are refused', async () => {
    const closed = await freePort();
    const dir = tempDir();
    try {
      const run = (args: string[]): ReturnType<typeof cli> =>
        cli(['--data-dir', dir, '--listen', '127.0.0.1:0', ...args], 90_000);
      /** The daemon on the test's etcd member, with more options. */
      const daemonOnEtcd = (...more: string[]): ReturnType<typeof cli> =>
        run(['--store', 'etcd', '--etcd-endpoints', cluster.endpoint(0), ...more]);
      let r = await run(['--store', 'etcd', '--etcd-endpoints', `http://127.0.0.1:${closed}`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`ipkeeperd: cannot reach etcd at http://127\\.0\\.0\\.1:${closed}`));
      r = await daemonOnEtcd('--etcd-prefix', 'noslash/');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--etcd-prefix "noslash\/" is not usable: it must start with "\/"/);
      r = await run(['--store', 'etcd', '--etcd-endpoints', 'localhost:2379']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--etcd-endpoints: "localhost:2379" must start with http:\/\/ or https:\/\//);
      r = await run(['--etcd-endpoints', cluster.endpoint(0)]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--etcd-endpoints needs --store etcd/);
      r = await daemonOnEtcd('--etcd-cert', '/nonexistent.pem');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /give both --etcd-cert and --etcd-key/);
      await etcd.put('/foreign/k8s-thing').value('x');
      r = await daemonOnEtcd('--etcd-prefix', '/foreign/');
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /the etcd prefix \/foreign\/ already holds keys that are not ipkeeper's \(e\.g\. \/foreign\/k8s-thing\); choose another --etcd-prefix/,
      );
      await etcd.put('/half/meta').value('{"format":1,"migration":"in-progress"}');
      r = await daemonOnEtcd('--etcd-prefix', '/half/');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /an ipkeeperd migrate into \/half\/ did not finish; delete the prefix/);
      assert.deepEqual(
        await etcd.getAll().prefix('/foreign/').keys(),
        ['/foreign/k8s-thing'],
        'nothing written',
      );
    } finally {
      removeDir(dir);
    }
  });
});
