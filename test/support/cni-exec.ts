/**
 * Helpers for running CNI executables the way a runtime does: a fresh process, only the CNI variables and
 * PATH in the environment, the config on stdin, the answer on stdout.
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPluginExecutable } from '../../src/cni/build-plugin.js';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What one exec produced. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in milliseconds. */
  ms: number;
}

/** Who runs the executable, and where. */
export interface ExecOptions {
  uid?: number;
  gid?: number;
  cwd?: string;
}

/** Runs `file` (with `args`) with exactly `env` (plus PATH) and `stdin`. */
export function execCni(
  file: string,
  env: Record<string, string>,
  stdin: string,
  args: string[] = [],
  options: ExecOptions = {},
): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, args, {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      stdio: 'pipe',
      ...options,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolvePromise({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      }),
    );
    // A program that exits without reading stdin (VERSION of some plugins, `node -e 0`) closes the pipe
    // first: EPIPE is its answer, not a failure of the run.
    child.stdin.on('error', () => undefined);
    // A process that exits before reading its stdin (a refused flag) makes the write fail with EPIPE: its exit
    // code and output say what happened, so the write error is not the test's failure.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

/**
 * Compiles the plugin executable from the TypeScript sources into `dir` (the same `bun build --compile` as
 * `npm run build`, so the tests never run a stale dist/). Returns its path, `dir/ipkeeper`, a file of about
 * 110 MB; the caller removes `dir`.
 */
export function buildPluginForTest(dir: string): string {
  const out = join(dir, 'ipkeeper');
  buildPluginExecutable(out);
  return out;
}
