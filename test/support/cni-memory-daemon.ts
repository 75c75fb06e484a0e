/**
 * The CNI endpoint of a daemon without the rest of it: a unix-socket HTTP server serving
 * src/cni/http-endpoint.ts with the REAL service (IpamService) on the memory store — no API, no SQLite, no
 * fsync. The plugin suites and `bench/cni --memory` run the real plugin executable against it; the full daemon
 * is test/support/daemon.ts.
 *
 * As a program: `node --import tsx test/support/cni-memory-daemon.ts --socket PATH [--subnet CIDR[,CIDR]]`
 * prints `cni-memory-daemon ready socket=PATH` and serves until SIGTERM.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createCniListener } from '../../src/cni/http-endpoint.js';
import { RecordingCniService } from './cni-fixtures.js';
import { openTestService } from './service.js';

export interface MemoryDaemon {
  socketPath: string;
  /** The real service, recording what the endpoint asked of it. */
  service: RecordingCniService;
  close(): Promise<void>;
}

export interface MemoryDaemonOptions {
  /** The default subnet (name and cidrBlock, one CIDR or one per family). */
  defaultSubnet: { name: string; cidrBlock: string };
  /** More subnets, name → cidrBlock. */
  subnets?: Record<string, string>;
}

/** Starts it on `socketPath` (directory 0700, socket 0600, as SEC-1 asks of the daemon). */
export async function startMemoryDaemon(
  socketPath: string,
  options: MemoryDaemonOptions,
): Promise<MemoryDaemon> {
  const service = new RecordingCniService(
    await openTestService({ defaultSubnet: options.defaultSubnet, subnets: options.subnets ?? {} }),
  );
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  rmSync(socketPath, { force: true });
  const server: Server = createServer(createCniListener(service));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  return {
    socketPath,
    service,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { socket: { type: 'string' }, subnet: { type: 'string' } } });
  if (!values.socket) throw new Error('--socket PATH is required');
  const daemon = await startMemoryDaemon(values.socket, {
    defaultSubnet: { name: 'default', cidrBlock: values.subnet ?? '10.99.0.0/16' },
  });
  process.stdout.write(`cni-memory-daemon ready socket=${daemon.socketPath}\n`);
  process.once('SIGTERM', () => void daemon.close().then(() => process.exit(0)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
