/**
 * Concurrency and durability over CNI against a real daemon: a storm of ADDs from separate plugin processes,
 * and DUR-1, `kill -9` of the daemon in the middle of a storm, a restart on the same data dir and socket, and
 * a "runtime" that retries every failed ADD (code 11 while the daemon is down) until it succeeds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../support/daemon.js';
import { CniHarness, E2E, firstAddress, macOf, sleep, type CniCall } from './cni-e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

/** These networks declare the chained MAC step (STA-2), so every attachment is given a MAC. */
const CHAINED_MAC = { mac: 'chained' };

const STORM = 64;
const DUR_ADDS = 40;

/** Asserts no value occurs twice, naming the duplicates. */
function assertDistinct(values: string[], what: string): void {
  const seen = new Map<string, number>();
  for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1);
  const dup = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
  assert.deepEqual(dup, [], `${what} handed out twice`);
}

describe('CNI e2e: storms of ADDs against a real daemon', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  let h: CniHarness;

  before(async () => {
    e = await E2E.start();
    h = new CniHarness(e, 'storm');
  });
  after(() => e?.close());

  test(`DUR-2 ENG-6 IPR-10 ${STORM} parallel ADDs from separate processes: distinct addresses and MACs, counters +${STORM}`, async () => {
    const used = await h.used('ovn-default');
    const objects = (await h.ips()).length;
    const results = await Promise.all(
      Array.from({ length: STORM }, (_, i) =>
        h.add({ containerId: `storm-${i}`, network: 'storm', ipam: CHAINED_MAC }),
      ),
    );
    for (const r of results) assert.equal(r.code, 0, r.stdout + r.stderr);
    const addrs = results.map((r) => firstAddress(r.json));
    const macs = results.map((r) => macOf(r.json) ?? '');
    assertDistinct(addrs, 'an address');
    assertDistinct(macs, 'a MAC');
    assert.ok(
      macs.every((m) => m !== ''),
      'every attachment has a MAC',
    );
    assert.equal(await h.used('ovn-default'), used + STORM);
    const ips = (await h.ips()).filter((o) => o.metadata.annotations?.['ipkeeper.io/network'] === 'storm');
    assert.equal(ips.length, STORM);
    assert.equal((await h.ips()).length, objects + STORM);
    // The IP objects say what the plugin said.
    const byName = new Map(ips.map((o) => [o.metadata.name, o.spec['v4IpAddress']]));
    results.forEach((r, i) => assert.equal(byName.get(`storm-${i}.eth0`), firstAddress(r.json)));
  });

  test(`DUR-1 kill -9 during a storm of ${DUR_ADDS} ADDs, restart, runtime retries: nothing lost, nothing twice`, async () => {
    const network = 'dur';
    const a = (i: number) => ({ containerId: `dur-${i}`, network, ipam: CHAINED_MAC });
    const acked = new Map<number, string>(); // container → address, as the plugin reported it
    const codes = new Map<number, number>(); // CNI error code → count, while the daemon was away
    let next = 0;
    // The runtime: each worker takes the next container and retries its ADD until it succeeds.
    const worker = async (): Promise<void> => {
      for (let i = next++; i < DUR_ADDS; i = next++) {
        for (let attempt = 0; ; attempt++) {
          const r: CniCall = await h.add(a(i));
          if (r.code === 0) {
            acked.set(i, firstAddress(r.json));
            break;
          }
          codes.set(r.json.code ?? -1, (codes.get(r.json.code ?? -1) ?? 0) + 1);
          assert.equal(r.json.code, 11, `only "try again later" while the daemon is away: ${r.stdout}`);
          assert.ok(r.json.msg?.includes(h.socket), r.json.msg);
          assert.ok(attempt < 400, `ADD dur-${i} never succeeded`);
          await sleep(25);
        }
      }
    };
    let failure: unknown;
    const storm = Promise.all(Array.from({ length: 8 }, worker)).catch((err: unknown) => {
      failure = err;
    });
    const deadline = Date.now() + 30_000;
    while (acked.size < 8 && failure === undefined) {
      assert.ok(Date.now() < deadline, 'the storm never got going');
      await sleep(5);
    }
    if (failure !== undefined) throw failure;
    await e.daemon.kill(); // SIGKILL by pid
    const killedAt = acked.size;
    const before = new Map(acked); // everything acknowledged before the daemon died
    await sleep(400); // the runtime keeps calling: every ADD now fails with 11
    const socket = e.daemon.socket;
    e.daemon = await startDaemon({ dataDir: e.dataDir });
    assert.equal(e.daemon.socket, socket, 'same socket after the restart');
    await storm;
    if (failure !== undefined) throw failure;

    assert.ok(killedAt > 0 && killedAt < DUR_ADDS, `the kill came mid-storm (${killedAt} acknowledged)`);
    assert.ok((codes.get(11) ?? 0) > 0, 'some ADDs failed with 11 while the daemon was down');
    assert.equal(acked.size, DUR_ADDS);
    assertDistinct([...acked.values()], 'an address');
    // Every ADD acknowledged before the kill still holds its address: ADD again is idempotent and returns it.
    for (const [i, address] of before) {
      assert.equal(acked.get(i), address, `dur-${i} changed address across the crash`);
      assert.equal(firstAddress(await h.addOk(a(i))), address, `dur-${i} lost its address`);
    }
    // Counters equal the objects: nothing leaked by an ADD whose reply died with the daemon.
    const ips = await h.ips();
    const dur = ips.filter((o) => o.metadata.annotations?.['ipkeeper.io/network'] === network);
    assert.equal(dur.length, DUR_ADDS);
    for (const o of dur)
      assert.equal(o.spec['v4IpAddress'], acked.get(Number(o.metadata.name.split(/[-.]/)[1])));
    assertDistinct(
      ips.map((o) => String(o.spec['v4IpAddress'])),
      'an address (all objects)',
    );
    assertDistinct(
      ips.map((o) => String(o.spec['macAddress'])),
      'a MAC (all objects)',
    );
    assert.equal(await h.used('ovn-default'), ips.filter((o) => o.spec['subnet'] === 'ovn-default').length);
  });
});
