/**
 * The machine-wide node lock. A kubelet and containerd use machine-wide resources (cgroups, /var/log/pods,
 * kernel settings), so this machine runs one test node at a time: `startNode` takes an exclusive flock on
 * /run/ipkeeper-k8s/node.lock and waits for it, so suites running in parallel queue instead of clashing.
 * The lock is held by a small `flock … cat` process reading a pipe from this process: if the test process
 * dies, the pipe closes, `cat` ends and the lock is released by the kernel; no stale lock file to break.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { DEBIAN_BIN, NODE_LOCK_FILE, NODE_RUN_DIR } from './paths.js';

export interface NodeLock {
  release(): Promise<void>;
}

/** Waits (up to `timeoutMs`, default 30 min) for the node lock. */
export function acquireNodeLock(timeoutMs = 30 * 60_000): Promise<NodeLock> {
  mkdirSync(NODE_RUN_DIR, { recursive: true });
  const child = spawn(
    DEBIAN_BIN.flock,
    [
      '--exclusive',
      '--timeout',
      String(Math.ceil(timeoutMs / 1000)),
      NODE_LOCK_FILE,
      'sh',
      '-c',
      'echo locked; exec cat >/dev/null',
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('locked')) return;
      // Held for as long as the node runs, without keeping this process alive on its own.
      child.unref();
      for (const stream of [child.stdin, child.stdout, child.stderr])
        (stream as unknown as { unref?: () => void }).unref?.();
      resolve({
        release: async () => {
          child.ref();
          for (const stream of [child.stdin, child.stdout, child.stderr])
            (stream as unknown as { ref?: () => void }).ref?.();
          child.stdin.end();
          await exited;
        },
      });
    });
    child.once('close', (code) => {
      if (!out.includes('locked'))
        reject(
          new Error(
            `could not take the node lock ${NODE_LOCK_FILE} (flock exit ${code}): ${stderr || "timed out waiting for another suite's node"}`,
          ),
        );
    });
  });
}
