#!/usr/bin/env node
// ipkeeperd: the composition root. Only this file (with store-setup.ts) picks backends, reads configuration and listens.
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { createApiServer } from '../api/server.js';
import { writeKubeconfig } from '../api/kubeconfig.js';
import { checkListenPolicy } from '../api/tls-policy.js';
import { createCniListener } from '../cni/http-endpoint.js';
import { type KubernetesMode, startKubernetesMode } from '../k8s/kubernetes-mode.js';
import { IpamService } from '../service/service.js';
import { fixedLeader } from '../store/leader.js';
import { ConfigError, type DaemonConfig, HELP, type PodEnvironment, parseArgs } from './config.js';
import { ensureDir, loadOrCreateTls, loadOrCreateToken, lockDataDir, prepareSocket } from './data-dir.js';
import { createLogger } from './logger.js';
import { runMigrate } from './migrate.js';
import { type CniCounters, countCniFailure, healthWarnings, operatorRoutes } from './operator-routes.js';
import { cryptoRandom } from './random.js';
import { openStore, startSharedStoreDuties } from './store-setup.js';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Whether ipkeeperd runs in a pod with a service account (Kubernetes mode without --kubeconfig). */
function podEnvironment(): PodEnvironment {
  const hasServiceAccount = existsSync(join(SERVICE_ACCOUNT, 'token'));
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(SERVICE_ACCOUNT, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    /* not in a pod */
  }
  return { hasServiceAccount, namespace };
}

export async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'migrate') {
    process.exitCode = await runMigrate(argv.slice(1));
    return;
  }
  let config: DaemonConfig | 'help';
  try {
    config = parseArgs(argv, process.env, hostname(), podEnvironment());
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
  // Loud, not fatal: the rest of the store works, and the API serves these objects so they can be fixed.
  for (const p of service.loadProblems)
    log.error('stored object not in effect: it did not load into the engine; fix or delete it', {
      kind: p.kind,
      name: p.name,
      reason: p.reason,
    });
  let kube: KubernetesMode | undefined;
  // In Kubernetes mode the store's single-runner duties follow the same coordination.k8s.io Lease as GC.
  const kubeLeader = config.kubernetes ? fixedLeader(() => kube?.elector.isLeader() ?? false) : undefined;
  const duties = startSharedStoreDuties(store, service, config, log, kubeLeader);
  shared.duties = duties;
  const token = loadOrCreateToken(config.dataDir);
  const tls = await loadOrCreateTls(
    config.dataDir,
    config.listenHost,
    config.tlsCert ? { certFile: config.tlsCert, keyFile: config.tlsKey! } : undefined,
  );
  checkListenPolicy(config.listenHost, tls);
  if (config.kubernetes) {
    const k8sLog = log.child({ component: 'k8s' });
    try {
      kube = startKubernetesMode({
        service,
        source: config.kubernetes,
        nodeName: config.nodeName,
        gcGraceMs: config.gcGraceSeconds * 1000,
        gcIntervalMs: config.gcIntervalSeconds * 1000,
        lease: config.gcLease,
        log: (level, msg, fields) => k8sLog[level](msg, fields),
      });
    } catch (e) {
      process.stderr.write(`ipkeeperd: ${(e as Error).message}\n`);
      await store.close();
      unlock();
      process.exit(2);
    }
  }
  const counters: CniCounters = { failures: new Map() };
  const api = createApiServer({
    service,
    token,
    logger: log.child({ component: 'api' }),
    tls: { cert: tls.cert, key: tls.key },
    extraRoutes: operatorRoutes(service, counters, () => duties?.maintenance.stats),
    healthWarnings: () => healthWarnings(service),
    ready: () => service.ready() && (kube?.ready() ?? true),
  });
  const { url } = await api.listen(config.listenHost, config.listenPort);

  await prepareSocket(config.socket);
  const cniLog = log.child({ component: 'cni' });
  const cni = createServer(
    createCniListener(kube?.cni ?? service.cniService, {
      onFailure: (f) => {
        cniLog.warn('cni call failed', {
          command: f.command,
          containerId: f.containerId,
          ifName: f.ifName,
          code: f.error.code,
          msg: f.error.msg,
        });
        countCniFailure(counters, f.command, f.error.code);
      },
    }),
  );
  await new Promise<void>((ok, fail) => cni.once('error', fail).listen(config.socket, () => ok()));
  chmodSync(config.socket, 0o600);

  const kubeconfig = join(config.dataDir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: url, token, ...(tls.ca ? { caData: tls.ca } : {}) });
  const stats = service.stats();
  log.info('started', {
    mode: kube ? 'kubernetes' : 'standalone',
    node: config.nodeName,
    api: url,
    socket: config.socket,
    store: store.kind,
    leases: stats.leases,
    revision: stats.revision,
    notInEffect: service.loadProblems.length,
  });
  process.stdout.write(`ipkeeperd ready api=${url} socket=${config.socket} kubeconfig=${kubeconfig}\n`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    service.close();
    await Promise.allSettled([api.close(), new Promise<void>((ok) => cni.close(() => ok())), kube?.close()]);
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
