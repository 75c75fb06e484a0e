/**
 * Entry point of the `ipkeeper` CNI plugin executable (bin/ipkeeper), compiled with Bun into one file that
 * needs no Node.js on the node (DEP-1; src/cni/build-plugin.ts). A container runtime or a main plugin
 * (bridge, macvlan…) execs it once per call; it forwards the call to the daemon and prints the answer.
 * stdout is the CNI protocol, so nothing else is ever written there, and whatever fails, what is written
 * there is a CNI error object with a non-zero exit.
 */
import { bunHost, readStdin, writeStdout } from './bun-host.js';
import { runPlugin } from './plugin.js';

// Bun's `process.env` is a plain object of strings; only the CNI variables and IPKEEPER_SOCKET are read.
let stdin = '';
try {
  stdin = readStdin();
} catch {
  // An unreadable stdin is an empty one: VERSION still answers, any other command says code 6.
}
runPlugin({ env: process.env, stdin }, bunHost).then(
  (reply) => {
    writeStdout(reply.stdout);
    // Exit at once: nothing else is pending, and waiting for handles to drain only adds latency.
    process.exit(reply.exitCode);
  },
  (err: unknown) => {
    // runPlugin turns every failure it knows into a CNI error; this guards bugs, so the runtime still
    // gets CNI JSON rather than a stack trace.
    writeStdout(
      JSON.stringify({ cniVersion: '1.1.0', code: 999, msg: `ipkeeper plugin failed: ${String(err)}` }),
    );
    process.exit(1);
  },
);
