/**
 * DUR-1: a storm of concurrent creates over HTTPS, `kill -9` of the daemon in the middle, a restart on the same
 * data dir. Every acknowledged (201) reservation must be there with its address and MAC; no address or MAC is held
 * twice; the subnet's counter equals the number of IP objects. Three rounds on one data dir.
 */
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { after, describe, test } from 'node:test';
import { E2E, assertMacShape, collectionPath, make, removeDir, tempDir } from './e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

const CLIENTS = 32;
const ROUNDS = 3;
/** Acknowledged creates per round before the kill (the storm keeps going while the signal lands). */
const KILL_AFTER = 48;

interface Acked {
  v4: string;
  mac: string;
}

describe('DUR-1 kill -9 during a storm of creates', { skip: kubectlSkipReason() }, () => {
  const dir = tempDir('ipkeeper-crash-');
  let e: E2E | undefined;
  after(async () => {
    await e?.close();
    removeDir(dir);
  });

  test('DUR-1 DUR-2 every acknowledged reservation survives kill -9; nothing is held twice; counters match', async () => {
    const acked = new Map<string, Acked>();
    e = await E2E.start({ dataDir: dir });
    for (let round = 0; round < ROUNDS; round++) {
      const daemon = e;
      const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
      const statuses = new Map<number, number>();
      let roundAcks = 0;
      let killed = false;
      let reachedKillPoint!: () => void;
      const killPoint = new Promise<void>((resolve) => (reachedKillPoint = resolve));

      const client = async (c: number): Promise<void> => {
        for (let n = 0; !killed; n++) {
          const name = `r${round}-c${c}-n${n}`;
          let reply;
          try {
            reply = await daemon.http('POST', collectionPath('ips'), {
              body: JSON.stringify(
                make.reservation(name, 'crash', 'ovn-default', { podType: 'VirtualMachine' }),
              ),
              agent,
              timeoutMs: 10_000,
            });
          } catch {
            return; // the connection died with the daemon
          }
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          if (reply.status !== 201) continue;
          const spec = reply.json!['spec'] as Record<string, string>;
          acked.set(`${name}.crash`, { v4: spec['v4IpAddress']!, mac: spec['macAddress']! });
          if (++roundAcks === KILL_AFTER) reachedKillPoint();
        }
      };
      const storm = Array.from({ length: CLIENTS }, (_, c) => client(c));
      await killPoint;
      await daemon.daemon.kill(); // SIGKILL by pid, requests in flight
      killed = true;
      await Promise.all(storm);
      agent.destroy();
      // Before the kill every answer was a success: no 5xx, no conflicts under concurrency.
      assert.deepEqual(
        [...statuses.keys()],
        [201],
        `round ${round}: statuses ${JSON.stringify([...statuses])}`,
      );

      e = await E2E.start({ dataDir: dir });
      const ips = await e.list('ips');
      const byName = new Map(ips.map((i) => [i.metadata.name, i]));
      for (const [name, want] of acked) {
        const got = byName.get(name);
        assert.ok(got, `round ${round}: acknowledged ${name} lost after kill -9`);
        assert.equal(got.spec['v4IpAddress'], want.v4, `${name} address`);
        assert.equal(got.spec['macAddress'], want.mac, `${name} MAC`);
      }
      const v4s = ips.map((i) => i.spec['v4IpAddress'] as string);
      const macs = ips.map((i) => i.spec['macAddress'] as string);
      macs.forEach(assertMacShape);
      assert.equal(new Set(v4s).size, v4s.length, `round ${round}: an address is held twice`);
      assert.equal(new Set(macs).size, macs.length, `round ${round}: a MAC is held twice`);
      const st = await e.subnetStatus('ovn-default');
      assert.equal(st['v4usingIPs'], ips.length, `round ${round}: V4USED equals the number of IP objects`);
      assert.equal(st['v4availableIPs'], 65533 - ips.length);
    }
    assert.ok(acked.size >= ROUNDS * KILL_AFTER);
  });
});
