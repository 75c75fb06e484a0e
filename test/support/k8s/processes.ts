/**
 * The long-running processes of a test cluster (etcd, the control plane, containerd, the kubelet): each
 * logs to a file (their logs are large; a pipe into the test process would only cost memory), is stopped by
 * its process id, and dies with the test process (parent-death signal) so a crashed suite leaves no server
 * running. Plus the two small tools every start-up needs: a free loopback port and a poll-until-true wait.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { DEBIAN_BIN } from './paths.js';

/** One process of the cluster. */
export interface Service {
  readonly name: string;
  readonly pid: number;
  /** Its stdout and stderr. */
  readonly logFile: string;
  /** True until it exited. */
  running(): boolean;
  /** Resolves with the exit code (or signal name) once it exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s); resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
  /** The last `lines` lines of its log (for failure messages). */
  logTail(lines?: number): string;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts `command args…` with output appended to `logFile`. */
export function spawnService(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  options: SpawnOptions = {},
): Service {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // setpriv execs the command (same pid) with SIGKILL as its parent-death signal.
    child = spawn(DEBIAN_BIN.setpriv, ['--pdeathsig', 'SIGKILL', '--', command, ...args], {
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
  } finally {
    closeSync(fd);
  }
  // Not keeping the test process alive: a suite that forgets stop() still ends (and the parent-death
  // signal then ends the process).
  child.unref();
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      done = true;
      resolve(`spawn error: ${err.message}`);
    });
  });
  const pid = child.pid ?? -1;
  return {
    name,
    pid,
    logFile,
    exited,
    running: () => !done,
    stop: async (graceMs = 10_000) => {
      if (done) return;
      // Keep this process alive until the exit is seen.
      child.ref();
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (!done) process.kill(pid, 'SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
    logTail: (lines = 40) => tail(logFile, lines),
  };
}

/** The last `lines` lines of a file ('' when it cannot be read). */
export function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WaitOptions {
  /** Give up after this many ms (default 120 s: the machine is shared, start-ups are slow under load). */
  timeoutMs?: number;
  intervalMs?: number;
  /** Extra text for the timeout error (e.g. a log tail), computed only on failure. */
  detail?: () => string | Promise<string>;
}

/**
 * Calls `check` until it returns a value other than undefined/false and resolves with it; rejects with
 * "timed out waiting for WHAT" (plus `detail`) after the timeout. `check` may throw to abort at once.
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const detail = options.detail ? `\n${await options.detail()}` : '';
      throw new Error(`timed out after ${options.timeoutMs ?? 120_000} ms waiting for ${what}${detail}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}
