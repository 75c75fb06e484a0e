// Starts a real ipkeeperd (the built daemon, dist/daemon/main.js) in a child process on a free loopback port
// and a temp data dir, for integration tests and benchmarks. Stopped by its process id.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DAEMON = join(REPO, 'dist/daemon/main.js');

export interface RunningDaemon {
  process: ChildProcess;
  pid: number;
  api: string;
  socket: string;
  kubeconfig: string;
  dataDir: string;
  token: string;
  /** Everything the daemon wrote to stderr so far (JSON log lines). */
  stderr: () => string;
  /** SIGTERM and wait for exit. */
  stop: () => Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill: () => Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  /** Run with exactly `args`, which name `--data-dir` (= `dataDir`) and `--listen` themselves. */
  argsOnly?: boolean;
  /** Milliseconds to wait for the ready line. */
  timeoutMs?: number;
  /** Node.js flags added to those bin/ipkeeperd uses (a benchmark's diagnostics). */
  nodeArgs?: string[];
  /** Environment variables added to this process's (e.g. MALLOC_ARENA_MAX). */
  env?: Record<string, string>;
}

export function tempDir(prefix = 'ipkeeper-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts ipkeeperd and resolves once it printed its ready line. */
export async function startDaemon(options: StartOptions = {}): Promise<RunningDaemon> {
  const dataDir = options.dataDir ?? tempDir();
  // The Node flags bin/ipkeeperd runs the daemon with, so tests and benchmarks measure what ships.
  const args = [
    '--max-semi-space-size=4',
    ...(options.nodeArgs ?? []),
    DAEMON,
    ...(options.argsOnly ? [] : ['--data-dir', dataDir, '--listen', '127.0.0.1:0']),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const ready = await new Promise<string>((ok, fail) => {
    let out = '';
    const timer = setTimeout(
      () =>
        fail(new Error(`ipkeeperd not ready within ${options.timeoutMs ?? 20000} ms; stderr:\n${stderr}`)),
      options.timeoutMs ?? 20000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('ipkeeperd ready '));
      if (line) {
        clearTimeout(timer);
        ok(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`ipkeeperd exited with ${code} before ready; stderr:\n${stderr}`));
    });
  });
  const field = (name: string): string => new RegExp(`(?:^| )${name}=(\\S+)`).exec(ready)![1]!;
  return {
    process: child,
    pid: child.pid!,
    api: field('api'),
    socket: field('socket'),
    kubeconfig: field('kubeconfig'),
    dataDir,
    token: readFileSync(join(dataDir, 'token'), 'utf8').trim(),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
      await exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
