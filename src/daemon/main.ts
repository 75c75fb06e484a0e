#!/usr/bin/env node
// ipkeeperd: the composition root. Only this file (with store-setup.ts) picks backends, reads configuration and listens.
import { chmodSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { createApiServer } from '../api/server.js';
import { writeKubeconfig } from '../api/kubeconfig.js';
import { checkListenPolicy } from '../api/tls-policy.js';
import { createCniListener } from '../cni/http-endpoint.js';
import { IpamService } from '../service/service.js';
import { ConfigError, type DaemonConfig, HELP, parseArgs } from './config.js';
import { ensureDir, loadOrCreateTls, loadOrCreateToken, lockDataDir, prepareSocket } from './data-dir.js';
import { createLogger } from './logger.js';
import { runMigrate } from './migrate.js';
import { type CniCounters, operatorRoutes } from './operator-routes.js';
import { cryptoRandom } from './random.js';
import { openStore, startSharedStoreDuties } from './store-setup.js';

export async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'migrate') {
    process.exitCode = await runMigrate(argv.slice(1));
    return;
  }
  let config: DaemonConfig | 'help';
  try {
    config = parseArgs(argv, process.env, hostname());
  } catch (e) {
    process.stderr.write(`ipkeeperd: ${(e as Error).message}\n`);
    process.exit(2);
  }
  if (config === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const log = createLogger(config.logLevel, { component: 'ipkeeperd' });
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    process.stderr.write(
      'ipkeeperd: give both --tls-cert and --tls-key, or neither (a self-signed certificate is made)\n',
    );
    process.exit(2);
  }
  if (config.kubeconfig !== undefined) {
    process.stderr.write(
      'ipkeeperd: Kubernetes mode (--kubeconfig) is not available in this build yet; run without it (standalone CNI mode)\n',
    );
    process.exit(2);
  }
  config.dataDir = resolve(config.dataDir);
  config.socket = resolve(config.socket);
  ensureDir(config.dataDir);
  const unlock = lockDataDir(config.dataDir, hostname());
  const store = await openStore(config);
  const storeLog = log.child({ component: 'store' });
  // Set once the service is open; the service asks for this daemon's stripe only after that.
  const shared: { duties?: ReturnType<typeof startSharedStoreDuties> } = {};
  const service = await IpamService.open({
    store,
    random: cryptoRandom(),
    defaultSubnet:
      config.defaultSubnet === null ? null : { name: 'ovn-default', cidrBlock: config.defaultSubnet },
    nodeName: config.nodeName,
    quarantineCap: config.quarantineLimit,
    log: (level, msg, fields) => storeLog[level](msg, fields ?? {}),
    stripe: () => shared.duties?.membership.stripe(),
  });
  const duties = startSharedStoreDuties(store, service, config, log);
  shared.duties = duties;
  const token = loadOrCreateToken(config.dataDir);
  const tls = loadOrCreateTls(
    config.dataDir,
    config.listenHost,
    config.tlsCert ? { certFile: config.tlsCert, keyFile: config.tlsKey! } : undefined,
  );
  checkListenPolicy(config.listenHost, tls);
  const counters: CniCounters = { failures: new Map() };
  const api = createApiServer({
    service,
    token,
    logger: log.child({ component: 'api' }),
    tls: { cert: tls.cert, key: tls.key },
    extraRoutes: operatorRoutes(service, counters, () => duties?.maintenance.stats),
    ready: () => service.ready(),
  });
  const { url } = await api.listen(config.listenHost, config.listenPort);

  prepareSocket(config.socket);
  const cniLog = log.child({ component: 'cni' });
  const cni = createServer(
    createCniListener(service.cniService, {
      onFailure: (f) => {
        cniLog.warn('cni call failed', {
          command: f.command,
          containerId: f.containerId,
          ifName: f.ifName,
          code: f.error.code,
          msg: f.error.msg,
        });
        const key = `command="${f.command}",code="${f.error.code}"`;
        counters.failures.set(key, (counters.failures.get(key) ?? 0) + 1);
      },
    }),
  );
  await new Promise<void>((ok, fail) => cni.once('error', fail).listen(config.socket, () => ok()));
  chmodSync(config.socket, 0o600);

  const kubeconfig = join(config.dataDir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: url, token, ...(tls.ca ? { caData: tls.ca } : {}) });
  const stats = service.stats();
  log.info('started', {
    api: url,
    socket: config.socket,
    store: store.kind,
    leases: stats.leases,
    revision: stats.revision,
  });
  process.stdout.write(`ipkeeperd ready api=${url} socket=${config.socket} kubeconfig=${kubeconfig}\n`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    service.close();
    await Promise.allSettled([api.close(), new Promise<void>((ok) => cni.close(() => ok()))]);
    await duties?.close();
    await store.close();
    unlock();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`ipkeeperd: ${e instanceof Error ? e.message : String(e)}\n`);
  // 2: an option is wrong (as for parse errors); 1: anything else, e.g. the store cannot be reached.
  process.exit(e instanceof ConfigError ? 2 : 1);
});
