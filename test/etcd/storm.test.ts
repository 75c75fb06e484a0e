/**
 * Several daemons on one etcd cluster (DUR-1 … DUR-5), with everything real: a three-member etcd started
 * here, three ipkeeperd processes on it, 48 concurrent CNI clients spread over the three daemons' sockets,
 * kubectl against all three APIs. One fleet serves the three storms in turn, each on its own network name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startKubectl } from '../support/kubectl.js';
import { etcdMissing } from '../support/etcd.js';
import { Fleet, type StormResult, assertDistinct, cniCall, cniStatus, sleep, storm } from './fleet.js';

const missing = etcdMissing();
const CLIENTS = 48;
const ADDS = 3000;
const KUBECTL_CREATES = 20; // per daemon

/** kubectl creates of reservation IP objects on every daemon, retried on 503 (etcd away) as a client would. */
async function kubectlCreates(fleet: Fleet, tag: string, codes: Map<string, number>): Promise<string[]> {
  const names: string[] = [];
  await Promise.all(
    fleet.daemons.map(async (_, d) => {
      for (let n = 0; n < KUBECTL_CREATES; n++) {
        const name = `${tag}-d${d}-${n}.ns`;
        const obj = {
          apiVersion: 'kubeovn.io/v1',
          kind: 'IP',
          metadata: { name },
          spec: { subnet: 'ovn-default', podName: `${tag}-d${d}-${n}`, namespace: 'ns' },
        };
        for (;;) {
          const r = await fleet.kubectl(d, ['create', '-f', '-'], JSON.stringify(obj));
          if (r.code === 0) break;
          // AlreadyExists after a create whose reply was lost with etcd: it was created.
          if (/AlreadyExists|already exists/.test(r.stderr)) break;
          // 503 while etcd is away; a connection refused or cut while the daemon itself is down (kill -9, restart).
          const kind = /ServiceUnavailable|503|unavailable|try again/i.test(r.stderr)
            ? '503'
            : /connection refused|EOF|connection reset|broken pipe/.test(r.stderr)
              ? 'daemon down'
              : r.stderr.trim();
          codes.set(kind, (codes.get(kind) ?? 0) + 1);
          if (kind !== '503' && kind !== 'daemon down') break;
          await sleep(200);
        }
        names.push(name);
      }
    }),
  );
  return names;
}

/** Everything every daemon serves must agree and be consistent with what the storm acknowledged. */
async function checkConsistent(
  fleet: Fleet,
  result: StormResult,
  network: string,
  reservations: string[],
): Promise<void> {
  const ips = await fleet.converged(60_000);
  const mine = [...ips.values()].filter((o) => o.name.startsWith(`${network}-`) && o.name.endsWith('.eth0'));
  // Nothing acknowledged is lost: each acknowledged container still holds exactly what it was told.
  for (const [id, got] of result.acked) {
    const o = ips.get(`${id}.eth0`);
    assert.ok(o, `${id} was acknowledged (${got.address}) but its IP object is gone`);
    assert.deepEqual([o.address, o.mac], [got.address, got.mac], `${id} changed`);
  }
  // No leak: no object for a container that was not acknowledged.
  assert.equal(mine.length, result.acked.size, 'one IP object per acknowledged container, no more');
  for (const r of reservations) assert.ok(ips.get(r)?.address, `reservation ${r} has an address`);
  // Nothing held twice, across every object of the store.
  assertDistinct(
    [...ips.values()].map((o) => o.address),
    'an address',
  );
  assertDistinct(
    [...ips.values()].map((o) => o.mac),
    'a MAC',
  );
  // The counters agree on every daemon and equal the objects.
  const inSubnet = [...ips.values()].filter((o) => o.subnet === 'ovn-default').length;
  for (let d = 0; d < fleet.daemons.length; d++) {
    const status = await fleet.subnetStatus(d, 'ovn-default');
    assert.equal(status['v4usingIPs'], inSubnet, `daemon ${d}: V4USED`);
    assert.equal(status['v4availableIPs'], 65533 - inSubnet, `daemon ${d}: V4AVAILABLE`);
  }
}

describe('several daemons on one etcd cluster', { skip: missing ?? false }, () => {
  let fleet: Fleet;

  before(async () => {
    fleet = await Fleet.start({ members: 3, daemons: 3 });
  });
  after(async () => {
    await fleet?.close();
  });

  test(`DUR-2 DUR-5 ${ADDS} ADDs from ${CLIENTS} CNI clients over three daemons, kubectl creates on all three APIs: distinct, agreed, watched`, async () => {
    const watch = startKubectl(['get', 'ips.kubeovn.io', '-w', '-o', 'name'], {
      kubeconfig: fleet.daemons[0]!.kubeconfig,
    });
    try {
      await sleep(1000); // the watch is established before the storm
      const codes = new Map<string, number>();
      const [result, reservations] = await Promise.all([
        storm({
          adds: ADDS,
          clients: CLIENTS,
          network: 'calm',
          socketOf: (c) => fleet.daemons[c % 3]!.socket,
        }),
        kubectlCreates(fleet, 'calm', codes),
      ]);
      assert.deepEqual(result.unexpected, []);
      assert.deepEqual(
        [...result.failures],
        [],
        `no call failed at all: ${result.retried.slice(0, 3).join('\n')}`,
      );
      assert.deepEqual([...codes], [], 'no kubectl create failed');
      assert.equal(result.acked.size, ADDS);
      await checkConsistent(fleet, result, 'calm', reservations);
      // Objects created through daemon 3 reached the watch on daemon 1.
      for (const name of reservations.filter((r) => r.includes('-d2-')))
        await watch.waitFor(`ip.kubeovn.io/${name}`, 30_000);
      await watch.waitFor(`ip.kubeovn.io/calm-${ADDS - 1}.eth0`, 30_000);
      // resourceVersions are the store's: the same object has the same one on every daemon (converged()).
    } finally {
      await watch.stop();
    }
  });

  test('DUR-1 DUR-3 the storm while an etcd member is killed and restarted and a daemon is kill -9’d and restarted: nothing lost, nothing twice, no leak', async () => {
    const acts: Promise<void>[] = [];
    let phase = 0;
    const onProgress = (acked: number): void => {
      if (phase === 0 && acked >= ADDS * 0.2) {
        phase = 1;
        acts.push(fleet.cluster.kill(0)); // SIGKILL by pid
      } else if (phase === 1 && acked >= ADDS * 0.4) {
        phase = 2;
        acts.push(
          fleet
            .killDaemon(1)
            .then(() => sleep(1000))
            .then(() => fleet.startDaemon(1)),
        );
      } else if (phase === 2 && acked >= ADDS * 0.6) {
        phase = 3;
        fleet.cluster.restart(0);
        acts.push(fleet.cluster.waitHealthy(0, 60_000));
      }
    };
    const codes = new Map<string, number>();
    const [result, reservations] = await Promise.all([
      storm({
        adds: ADDS,
        clients: CLIENTS,
        network: 'rough',
        socketOf: (c) => fleet.daemons[c % 3]!.socket,
        onProgress,
      }),
      kubectlCreates(fleet, 'rough', codes),
    ]);
    await Promise.all(acts);
    assert.equal(phase, 3, 'every disruption happened mid-storm');
    assert.deepEqual(result.unexpected, []);
    assert.deepEqual(
      [...result.failures.keys()].filter((c) => c !== 11),
      [],
      'only "try again later" while a daemon was away',
    );
    assert.deepEqual(
      [...codes.keys()].filter((k) => k !== '503' && k !== 'daemon down'),
      [],
      'kubectl saw only 503, or the killed daemon refusing or cutting connections',
    );
    assert.equal(result.acked.size, ADDS);
    await checkConsistent(fleet, result, 'rough', reservations);
    // ADD again is idempotent for what was acknowledged before the daemon died (ENG-4 across the crash).
    const sample = [...result.acked].slice(0, 50);
    for (const [id, got] of sample) {
      const again = await cniCall(fleet.daemons[1]!.socket, 'ADD', id, 'rough');
      assert.deepEqual([again.address, again.mac], [got.address, got.mac], `${id} again`);
    }
  });

  test('DUR-3 all etcd members stopped for 10 s mid-storm: only code 11 and 503 meanwhile, and the storm finishes without restarting any daemon', async () => {
    const pids = fleet.daemons.map((d) => d.pid);
    let stopped: Promise<void> | undefined;
    let readyzDuringOutage: number[] = [];
    let statusDuringOutage: number[] = [];
    const onProgress = (acked: number): void => {
      if (stopped || acked < ADDS * 0.3) return;
      stopped = (async () => {
        await Promise.all([0, 1, 2].map((i) => fleet.cluster.stop(i)));
        await sleep(3000);
        readyzDuringOutage = await Promise.all(fleet.daemons.map((d) => readyz(d.api)));
        statusDuringOutage = await Promise.all(fleet.daemons.map((d) => cniStatus(d.socket, 'dark')));
        await sleep(7000);
        for (const i of [0, 1, 2]) fleet.cluster.restart(i);
        await Promise.all([0, 1, 2].map((i) => fleet.cluster.waitHealthy(i, 60_000)));
      })();
    };
    const codes = new Map<string, number>();
    const [result, reservations] = await Promise.all([
      storm({
        adds: ADDS,
        clients: CLIENTS,
        network: 'dark',
        socketOf: (c) => fleet.daemons[c % 3]!.socket,
        onProgress,
        patienceMs: 180_000,
      }),
      kubectlCreates(fleet, 'dark', codes),
    ]);
    await stopped;
    assert.ok(stopped, 'etcd was stopped mid-storm');
    assert.deepEqual(result.unexpected, []);
    assert.ok((result.failures.get(11) ?? 0) > 0, 'calls failed with 11 while etcd was away');
    assert.deepEqual(
      [...result.failures.keys()].filter((c) => c !== 11),
      [],
      'nothing but 11',
    );
    assert.deepEqual(
      [...codes.keys()].filter((k) => k !== '503'),
      [],
      'kubectl saw only 503',
    );
    assert.deepEqual(readyzDuringOutage, [503, 503, 503], '/readyz failed on every daemon meanwhile');
    assert.deepEqual(
      fleet.daemons.map((d) => d.pid),
      pids,
      'no daemon was restarted',
    );
    assert.deepEqual(await Promise.all(fleet.daemons.map((d) => readyz(d.api))), [200, 200, 200]);
    assert.deepEqual(statusDuringOutage, [50, 50, 50], 'CNI STATUS: ADD cannot be served meanwhile (50)');
    assert.deepEqual(
      await Promise.all(fleet.daemons.map((d) => cniStatus(d.socket, 'dark'))),
      [0, 0, 0],
      'CNI STATUS: ready again',
    );
    assert.equal(result.acked.size, ADDS);
    await checkConsistent(fleet, result, 'dark', reservations);
  });
});

/** GET /readyz (unauthenticated) → status code. */
async function readyz(api: string): Promise<number> {
  const { request } = await import('node:https');
  return new Promise((resolve) => {
    const req = request(`${api}/readyz`, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}
