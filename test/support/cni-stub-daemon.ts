/**
 * A stand-in for the real daemon until src/daemon lands: a unix-socket HTTP server that serves the CNI
 * endpoint (src/cni/http-endpoint.ts → handleCniRequest) with the in-memory CniService. The integration
 * tests and bench/cni run the real plugin executable against it.
 *
 * As a program: `node --import tsx test/support/cni-stub-daemon.ts --socket PATH [--subnet CIDR[,CIDR]] [--mac]`
 * prints `cni-stub-daemon ready socket=PATH` and serves until SIGTERM.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createCniListener } from '../../src/cni/http-endpoint.js';
import { MemoryCniService, type MemoryServiceOptions } from './cni-memory-service.js';

export interface StubDaemon {
  socketPath: string;
  service: MemoryCniService;
  close(): Promise<void>;
}

/** Starts the stub on `socketPath` (directory 0700, socket 0600, as SEC-1 asks of the real daemon). */
export async function startStubDaemon(
  socketPath: string,
  options: MemoryServiceOptions,
): Promise<StubDaemon> {
  const service = new MemoryCniService(options);
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
  const { values } = parseArgs({
    options: { socket: { type: 'string' }, subnet: { type: 'string' }, mac: { type: 'boolean' } },
  });
  if (!values.socket) throw new Error('--socket PATH is required');
  const cidrs = (values.subnet ?? '10.99.0.0/16').split(',');
  const daemon = await startStubDaemon(values.socket, {
    subnets: { default: { cidrs } },
    defaultSubnet: 'default',
    assignMac: values.mac ?? false,
  });
  process.stdout.write(`cni-stub-daemon ready socket=${daemon.socketPath}\n`);
  process.once('SIGTERM', () => void daemon.close().then(() => process.exit(0)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
