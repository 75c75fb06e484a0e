#!/usr/bin/env node
/**
 * Entry point of the `ipkeeper` CNI IPAM plugin executable (bin/ipkeeper). A container runtime or a main
 * plugin (bridge, macvlan…) execs it once per call; it forwards the call to the daemon and prints the
 * answer. stdout is the CNI protocol, so nothing else is ever written there.
 */
import { readSync, writeSync } from 'node:fs';
import { postJson } from './http-over-socket.js';
import { runPlugin } from './plugin.js';

// No top-level await: the build bundles this file as CommonJS (docs/cni.md, "Start-up").
runPlugin({ env: process.env, stdin: readStdin() }, postJson).then(
  (reply) => {
    writeAll(reply.stdout);
    // Exit at once: nothing else is pending, and waiting for handles to drain only adds latency.
    process.exit(reply.exitCode);
  },
  (err: unknown) => {
    // runPlugin catches daemon failures itself; this is a bug guard so the runtime still gets CNI JSON.
    writeAll(
      JSON.stringify({ cniVersion: '1.1.0', code: 999, msg: `ipkeeper plugin failed: ${String(err)}` }),
    );
    process.exit(1);
  },
);

/**
 * Reads fd 0 synchronously (cheaper than building `process.stdin`). A runtime may hand us a non-blocking
 * pipe, so EAGAIN waits a millisecond and retries instead of failing.
 */
function readStdin(): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        pause();
        continue;
      }
      if (code === 'EOF' || code === 'EBADF') break; // closed or absent stdin: VERSION needs none
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function writeAll(text: string): void {
  const data = Buffer.from(text, 'utf8');
  let at = 0;
  while (at < data.length) {
    try {
      at += writeSync(1, data, at, data.length - at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      pause();
    }
  }
}

function pause(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
}
