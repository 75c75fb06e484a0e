/**
 * DUR-6: one daemon per data directory, decided by an atomic lock the kernel releases when its holder dies
 * (SQLite's exclusive locking on DIR/ipkeeperd.lock), not by reading a pid file: real daemons, started
 * together, killed with SIGKILL, and a holder that is not even an ipkeeperd of this machine's pid space.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { pluginFile } from '../cni-e2e/cni-e2e-support.js';
import { execCni } from '../support/cni-exec.js';
import { type RunningDaemon, removeDir, startDaemon, tempDir } from '../support/daemon.js';

describe('DUR-6 one daemon per data directory', () => {
  test('DUR-6 two daemons started together on one dir: exactly one runs, the other exits at once naming its pid and host', async () => {
    const dir = tempDir();
    const started: RunningDaemon[] = [];
    try {
      const t0 = Date.now();
      const results = await Promise.allSettled([
        startDaemon({ dataDir: dir }),
        startDaemon({ dataDir: dir }),
      ]);
      for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
      assert.equal(started.length, 1, 'exactly one daemon runs');
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      const message = String((refused.reason as Error).message);
      assert.match(
        message,
        new RegExp(`another ipkeeperd \\(pid ${started[0]!.pid} on host ${hostname()}\\)`),
      );
      assert.match(message, /exited with 1 before ready/);
      assert.ok(Date.now() - t0 < 20_000, 'the second one did not wait');
      // kill -9 of the holder: the kernel drops the lock, a new daemon starts at once on the same dir.
      await started[0]!.kill();
      started.pop();
      started.push(await startDaemon({ dataDir: dir, timeoutMs: 10_000 }));
    } finally {
      for (const d of started) await d.stop();
      removeDir(dir);
    }
  });

  test('DUR-6 the lock is the file lock, not a pid: a stale pid file does not block; a holder pid 1 elsewhere does', async () => {
    const dir = tempDir();
    try {
      // A pid file naming a live process (this test) but no lock held: the daemon starts.
      writeFileSync(join(dir, 'ipkeeperd.pid'), `${process.pid} ${hostname()}\n`);
      const d = await startDaemon({ dataDir: dir });
      await d.stop();
      // A holder in another container: pid 1 on another host holds the lock on the shared directory.
      const holder = new Database(join(dir, 'ipkeeperd.lock'));
      holder.pragma('locking_mode = EXCLUSIVE');
      holder.exec('BEGIN EXCLUSIVE; DELETE FROM holder; COMMIT');
      writeFileSync(join(dir, 'ipkeeperd.pid'), '1 pod-in-another-container\n');
      try {
        await assert.rejects(
          startDaemon({ dataDir: dir }),
          /another ipkeeperd \(pid 1 on host pod-in-another-container\) is using/,
        );
      } finally {
        holder.close();
      }
      const again = await startDaemon({ dataDir: dir });
      await again.stop();
    } finally {
      removeDir(dir);
    }
  });

  test('DUR-6 a daemon on another data dir given the socket a running daemon serves is refused; the first keeps serving', async () => {
    const first = await startDaemon();
    const dir = tempDir();
    try {
      await assert.rejects(
        startDaemon({ dataDir: dir, args: ['--socket', first.socket] }),
        (e: Error) =>
          e.message.includes(`another process is serving CNI on ${first.socket}`) &&
          /exited with 1 before ready/.test(e.message),
      );
      const status = await execCni(
        pluginFile(),
        { CNI_COMMAND: 'STATUS', CNI_PATH: '/nonexistent' },
        JSON.stringify({ cniVersion: '1.1.0', name: 'n', ipam: { type: 'ipkeeper', socket: first.socket } }),
      );
      assert.equal(status.code, 0, `the first daemon still serves its socket: ${status.stdout}`);
      // A stale socket file (its daemon killed) is no obstacle.
      await first.kill();
      const next = await startDaemon({ dataDir: dir, args: ['--socket', first.socket] });
      await next.stop();
    } finally {
      await first.stop();
      removeDir(first.dataDir);
      removeDir(dir);
    }
  });
});
