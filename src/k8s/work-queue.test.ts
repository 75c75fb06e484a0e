import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkQueue } from './work-queue.js';

describe('K8S-1 the de-duplicating work queue', () => {
  test('K8S-1 a key added many times before it runs is reconciled once', async () => {
    const seen: string[] = [];
    const q = new WorkQueue({ handler: async (k) => void seen.push(k), concurrency: 1 });
    for (let i = 0; i < 5; i++) for (const k of ['a', 'b']) q.add(k);
    await q.idle();
    assert.deepEqual(seen.sort(), ['a', 'b']);
    await q.close();
  });

  test('K8S-1 a key added while it runs runs again afterwards, never twice at once', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const q = new WorkQueue({
      concurrency: 4,
      handler: async () => {
        running++;
        most = Math.max(most, running);
        runs++;
        await sleep(20);
        running--;
      },
    });
    q.add('a');
    await sleep(5);
    q.add('a');
    q.add('a');
    await sleep(5);
    await q.idle();
    assert.equal(most, 1, 'one key is never reconciled concurrently');
    assert.equal(runs, 2, 'the adds made while it ran collapse into one more run');
    await q.close();
  });

  test('K8S-1 a failing key is retried with backoff until it succeeds', async () => {
    let calls = 0;
    const delays: number[] = [];
    const q = new WorkQueue({
      baseDelayMs: 10,
      handler: async () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
      },
      onError: (_k, _e, ms) => delays.push(ms),
    });
    q.add('a');
    for (let i = 0; i < 100 && calls < 3; i++) await sleep(10);
    assert.equal(calls, 3);
    assert.deepEqual(delays, [10, 20]);
    await q.close();
  });

  test('K8S-1 addAfter: the earliest request wins; add() runs it at once', async () => {
    const seen: number[] = [];
    const start = Date.now();
    const q = new WorkQueue({ handler: async () => void seen.push(Date.now() - start) });
    q.addAfter('a', 5000);
    q.addAfter('a', 30);
    await sleep(300);
    assert.equal(seen.length, 1);
    q.addAfter('b', 5000);
    q.add('b');
    await q.idle();
    assert.equal(seen.length, 2);
    await q.close();
  });
});
