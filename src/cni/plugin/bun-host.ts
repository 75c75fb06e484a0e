/**
 * The plugin's I/O on the Bun runtime that `bun build --compile` puts into the executable (DEP-1,
 * docs/cni.md "The executable"). Bun's own socket and process APIs are native and cost nothing to load,
 * where Bun's `node:net` is JavaScript that costs ~2 ms (bytecode) to ~8 ms of every call; `node:fs` is
 * native in Bun and used for the synchronous stdin/stdout and the CNI_PATH look-up.
 *
 * Only the few Bun APIs used here are declared (below), so the project's types stay Node's.
 */
import { accessSync, constants, readSync, statSync, writeSync } from 'node:fs';
import { TransportError, httpPost, parseHttpReply, type HttpReply } from './http-reply.js';
import type { ExecOutcome, PluginHost } from './plugin.js';

/** The subset of Bun's socket handle the plugin uses. */
interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
}

/** Handlers of `Bun.connect`; each receives the socket first. */
interface BunSocketHandler {
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  close(socket: BunSocket): void;
  error(socket: BunSocket, err: Error): void;
  connectError(socket: BunSocket, err: Error): void;
}

/** What `Bun.spawnSync` returns. */
interface BunSyncSubprocess {
  exitCode: number | null;
  stdout: Uint8Array | undefined;
  stderr: Uint8Array | undefined;
}

/** The subset of the `Bun` global the plugin uses. */
interface BunRuntime {
  connect(options: { unix: string; socket: BunSocketHandler }): Promise<BunSocket>;
  spawnSync(options: {
    cmd: string[];
    env: Record<string, string>;
    stdin: Uint8Array;
    stdout: 'pipe';
    stderr: 'pipe';
  }): BunSyncSubprocess;
}

function bun(): BunRuntime {
  const runtime = (globalThis as { Bun?: BunRuntime }).Bun;
  if (!runtime) throw new Error('the ipkeeper plugin runs on the Bun runtime compiled into bin/ipkeeper');
  return runtime;
}

/** The host of the compiled executable. */
export const bunHost: PluginHost = { post, findPlugin, exec };

/**
 * One HTTP request over the daemon's unix socket: the request is written at once, the reply collected
 * until the daemon closes the connection (`Connection: close`), bounded by `timeoutMs`.
 */
function post(socketPath: string, path: string, json: string, timeoutMs: number): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const request = httpPost(path, json);
    const chunks: Uint8Array[] = [];
    let written = 0;
    let settled = false;
    let handle: BunSocket | undefined;
    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else {
        try {
          resolve(parseHttpReply(concat(chunks)));
        } catch (e) {
          reject(e as Error);
        }
      }
    };
    const timer = setTimeout(() => {
      finish(new TransportError('ETIMEDOUT', `no reply within ${timeoutMs / 1000} s`));
      handle?.end();
    }, timeoutMs);
    const flush = (socket: BunSocket): void => {
      // write() may take part of a large request; drain() calls back for the rest.
      while (written < request.length) {
        const n = socket.write(request.subarray(written));
        if (n <= 0) return;
        written += n;
      }
    };
    bun()
      .connect({
        unix: socketPath,
        socket: {
          open: (socket) => {
            handle = socket;
            flush(socket);
          },
          drain: flush,
          data: (_socket, data) => chunks.push(new Uint8Array(data)),
          close: () => finish(undefined),
          error: (_socket, err) => finish(transportError(err)),
          connectError: (_socket, err) => finish(transportError(err)),
        },
      })
      .catch((err: unknown) => finish(transportError(err)));
  });
}

function transportError(err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return new TransportError(typeof code === 'string' ? code : 'EIO', message);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The first `dir/name` of `CNI_PATH` that is an executable file. */
function findPlugin(name: string, cniPath: string): string | undefined {
  for (const dir of cniPath.split(':')) {
    if (!dir) continue;
    const file = `${dir.replace(/\/+$/, '')}/${name}`;
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here: try the next directory
    }
  }
  return undefined;
}

async function exec(file: string, env: Record<string, string>, stdin: string): Promise<ExecOutcome> {
  const child = bun().spawnSync({
    cmd: [file],
    env,
    stdin: new TextEncoder().encode(stdin),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const text = (bytes: Uint8Array | undefined): string => (bytes ? new TextDecoder().decode(bytes) : '');
  return { exitCode: child.exitCode ?? 1, stdout: text(child.stdout), stderr: text(child.stderr) };
}

/**
 * Reads fd 0 to its end, synchronously (cheaper than any stream). A runtime may hand over a non-blocking
 * pipe, so EAGAIN waits a millisecond and retries; a closed or absent stdin reads as empty.
 */
export function readStdin(): string {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EAGAIN') {
        pause();
        continue;
      }
      if (code === 'EOF' || code === 'EBADF') break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(buf.slice(0, n));
  }
  return new TextDecoder().decode(concat(chunks));
}

/** Writes all of `text` to fd 1, waiting out EAGAIN on a non-blocking pipe. */
export function writeStdout(text: string): void {
  const data = new TextEncoder().encode(text);
  let at = 0;
  while (at < data.length) {
    try {
      at += writeSync(1, data, at, data.length - at);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw err;
      pause();
    }
  }
}

function pause(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
}
