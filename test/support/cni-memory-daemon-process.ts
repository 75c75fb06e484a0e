/**
 * Runs the memory daemon (cni-memory-daemon.ts) as its own process, so its work does not share the event loop
 * of the process that spawns and times plugin executables (bench/cni).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './cni-exec.js';

/** Starts it on `socket` with one default subnet and resolves once it prints its ready line. */
export function spawnMemoryDaemon(socket: string, subnet: string): Promise<ChildProcess> {
  const script = join(REPO_ROOT, 'test', 'support', 'cni-memory-daemon.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--socket', socket, '--subnet', subnet], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: REPO_ROOT,
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`memory daemon exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
  });
}
