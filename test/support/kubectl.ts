/**
 * Running the real `/usr/bin/kubectl` against a test server: one-shot (`runKubectl`) and in the
 * background (`startKubectl`, e.g. `get -w`), with a kubeconfig of our own so the user's is never read.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';

/**
 * The oldest kubectl the suites are written for: they rely on aggregated discovery (kubectl 1.26 reads it by
 * default; it is what maps a `kind: List` to the core group) and on server-side apply as kubectl 1.26+ sends
 * it. Tested with 1.32. Debian's kubernetes-client (1.20) is too old.
 */
export const KUBECTL_MIN_MINOR = 26;

let skipReason: string | false | undefined;

/**
 * Why the kubectl suites cannot run here (no kubectl, or one too old), or false when they can: for
 * `describe(…, { skip: kubectlSkipReason() })`, so `npm test` on a machine without kubectl reports the
 * reason instead of failing.
 */
export function kubectlSkipReason(): string | false {
  if (skipReason !== undefined) return skipReason;
  const need = `these suites need kubectl >= 1.${KUBECTL_MIN_MINOR} (aggregated discovery, server-side apply; tested with 1.32; Debian's kubernetes-client 1.20 is too old) at ${KUBECTL} or in $KUBECTL`;
  const r = spawnSync(KUBECTL, ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) {
    skipReason = `kubectl cannot be run (${r.error?.message ?? `exit ${r.status}`}); ${need}`;
    return skipReason;
  }
  let minor = NaN;
  try {
    const v = JSON.parse(r.stdout) as { clientVersion?: { major?: string; minor?: string } };
    minor = v.clientVersion?.major === '1' ? parseInt(v.clientVersion.minor ?? '', 10) : NaN;
  } catch {
    // An unreadable answer is treated as an unknown version below.
  }
  skipReason = minor >= KUBECTL_MIN_MINOR ? false : `kubectl at ${KUBECTL} is 1.${minor}; ${need}`;
  return skipReason;
}

/** A kubectl that could not be started, as a failed run (the caller sees why instead of crashing). */
function spawnFailure(e: Error): KubectlResult {
  return { code: -1, stdout: '', stderr: `kubectl could not be started: ${e.message}` };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  kubeconfig: string;
  /** Written to stdin (for `-f -`). */
  input?: string;
  /** Kill after this many ms (default 30 s). */
  timeoutMs?: number;
  /** Extra environment, e.g. `KUBE_EDITOR` for `kubectl edit`. */
  env?: Record<string, string>;
}

function env(opts: KubectlOptions): NodeJS.ProcessEnv {
  // A private cache dir: discovery and OpenAPI caches of one test server must not leak into another.
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/tmp',
    KUBECONFIG: opts.kubeconfig,
    KUBECACHEDIR: `${opts.kubeconfig}.cache`,
    ...(opts.env ?? {}),
  };
}

/** Run kubectl to completion. Never rejects: a failure is a non-zero `code`. */
export function runKubectl(args: string[], opts: KubectlOptions): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = spawn(
      KUBECTL,
      ['--kubeconfig', opts.kubeconfig, '--cache-dir', `${opts.kubeconfig}.cache`, ...args],
      { env: env(opts) },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(spawnFailure(e));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    // A process that exits before reading its stdin (a refused flag) makes the write fail with EPIPE: its exit
    // code and output say what happened, so the write error is not the test's failure.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** A kubectl running in the background; `output()` is what it printed so far. */
export interface BackgroundKubectl {
  child: ChildProcess;
  output(): string;
  /** Resolve once stdout contains `text` (reject after `timeoutMs`). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Kill it by its pid and wait for it to exit. */
  stop(): Promise<void>;
}

export function startKubectl(args: string[], opts: KubectlOptions): BackgroundKubectl {
  const child = spawn(
    KUBECTL,
    ['--kubeconfig', opts.kubeconfig, '--cache-dir', `${opts.kubeconfig}.cache`, ...args],
    { env: env(opts) },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  child.on('error', (e) => (err += spawnFailure(e).stderr));
  const has = (t: string | RegExp): boolean => (typeof t === 'string' ? out.includes(t) : t.test(out));
  return {
    child,
    output: () => out,
    waitFor: (text, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = (): void => {
          if (has(text)) return resolve();
          if (Date.now() - started > timeoutMs)
            return reject(
              new Error(`kubectl did not print ${String(text)}; stdout:\n${out}\nstderr:\n${err}`),
            );
          setTimeout(poll, 50);
        };
        poll();
      }),
    stop: async () => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      await exited;
    },
  };
}
