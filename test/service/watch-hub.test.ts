/**
 * The watch hub's memory of recent events (API-watch): a watch resumes from a recent resourceVersion; events
 * older than the window are let go (beyond the newest few of each kind), so a burst of changes does not stay
 * in memory until thousands of later changes push it out, and resuming from before them answers Gone.
 */
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { ServiceError } from '../../src/service/errors.js';
import { type KubeObject, type WatchEvent } from '../../src/service/types.js';
import { WatchHub } from '../../src/service/watch-hub.js';

const ip = (n: number): KubeObject => ({
  apiVersion: 'kubeovn.io/v1',
  kind: 'IP',
  metadata: { name: `p${n}.default`, resourceVersion: String(n) },
  spec: { subnet: 'ovn-default', podName: `p${n}`, namespace: 'default' },
});

/** The events a watch from `from` is given first, or the error it gets. */
async function resume(hub: WatchHub, from: number): Promise<WatchEvent[] | ServiceError> {
  const events: WatchEvent[] = [];
  let stop: () => void;
  try {
    stop = hub.watch(
      'IP',
      String(from),
      () => [],
      (e) => events.push(e),
    );
  } catch (e) {
    if (e instanceof ServiceError) return e;
    throw e;
  }
  await new Promise((ok) => queueMicrotask(() => ok(undefined)));
  stop();
  return events;
}

/** A burst of ADDs then DELs of `n` pods' IP objects at revisions 1…2n. */
function burst(hub: WatchHub, n: number): void {
  for (let i = 1; i <= n; i++) hub.emit('IP', i, { type: 'ADDED', object: ip(i) });
  for (let i = 1; i <= n; i++) hub.emit('IP', n + i, { type: 'DELETED', object: ip(i) });
}

describe('watch hub memory', () => {
  test('API-watch a watch resumes from any version of the window, each later event once, in order', async () => {
    let now = 0;
    const hub = new WatchHub(0, 10_000, { now: () => now });
    burst(hub, 500);
    now += 60_000;
    hub.prune();
    const events = await resume(hub, 10);
    assert.ok(Array.isArray(events));
    assert.equal(events.length, 990);
    assert.equal(events[0]!.object.metadata.name, 'p11.default');
    assert.equal(events.at(-1)!.type, 'DELETED');
  });

  test('API-watch events older than the window are let go but the newest 100; older versions answer Gone', async () => {
    let now = 0;
    const hub = new WatchHub(0, 10_000, { now: () => now });
    burst(hub, 500);
    now += 76_000;
    hub.prune();
    const gone = await resume(hub, 10);
    assert.ok(gone instanceof ServiceError, 'a version from before the window is too old');
    assert.equal(gone.code, 'Gone');
    // The newest 100 are kept however old: a watcher that saw revision 900 still resumes.
    const kept = await resume(hub, 900);
    assert.ok(Array.isArray(kept));
    assert.deepEqual(
      kept.map((e) => e.object.metadata.name),
      Array.from({ length: 100 }, (_, i) => `p${401 + i}.default`),
    );
    assert.ok((await resume(hub, 899)) instanceof ServiceError);
  });

  test('API-watch the hub lets a burst go by itself a window after it, with no later change', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let now = 0;
      const hub = new WatchHub(0, 10_000, { now: () => now });
      burst(hub, 500);
      now += 80_000;
      mock.timers.tick(80_000);
      assert.ok((await resume(hub, 10)) instanceof ServiceError);
      assert.ok(Array.isArray(await resume(hub, 900)));
    } finally {
      mock.timers.reset();
    }
  });

  test('API-watch at most `capacity` events per kind are remembered, whatever their age', async () => {
    const hub = new WatchHub(0, 50, { now: () => 0 });
    burst(hub, 100);
    assert.ok((await resume(hub, 149)) instanceof ServiceError);
    const last = await resume(hub, 150);
    assert.ok(Array.isArray(last));
    assert.equal(last.length, 50);
  });
});
