// The store half of the composition root: which backend, and for a shared etcd store who runs its duties.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type IpamService } from '../service/service.js';
import { connectionProblem } from '../store/etcd/client.js';
import { EtcdStore } from '../store/etcd/etcd-store.js';
import { Maintenance } from '../store/etcd/maintenance.js';
import { EtcdMembership } from '../store/etcd/membership.js';
import { type Leader } from '../store/leader.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { type Store } from '../store/store.js';
import { ConfigError, type DaemonConfig } from './config.js';
import { type Logger } from './logger.js';

/** Opens the store the options name: SQLite in the data directory, or etcd (checked before connecting). */
export async function openStore(config: DaemonConfig): Promise<Store> {
  if (config.store === 'etcd') {
    const connection = { endpoints: config.etcdEndpoints, tls: config.etcdTls };
    const problem = connectionProblem(connection);
    if (problem) throw new ConfigError(problem);
    return EtcdStore.open({ connection, prefix: config.etcdPrefix, historyLimit: config.historyLimit });
  }
  return SqliteStore.open(join(config.dataDir, 'ipkeeper.db'), { historyLimit: config.historyLimit });
}

/** Liveness, leader election and maintenance of a shared etcd store; undefined for SQLite. */
export function startSharedStoreDuties(
  store: Store,
  service: IpamService,
  config: DaemonConfig,
  log: Logger,
  /**
   * Who runs the single-runner duties. Standalone (undefined): the etcd lease election of the daemons'
   * membership. Kubernetes mode: the coordination.k8s.io Lease of that mode (src/k8s).
   */
  kubernetesLeader?: Leader,
): { membership: EtcdMembership; maintenance: Maintenance; close: () => Promise<void> } | undefined {
  if (!(store instanceof EtcdStore)) return undefined;
  const dutyLog = log.child({ component: 'store' });
  const say = (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>): void =>
    dutyLog[level](msg, fields ?? {});
  const membership = EtcdMembership.start(store, {
    host: hostname(),
    pid: process.pid,
    elect: kubernetesLeader === undefined,
    applied: () => service.replication()?.applied ?? 0,
    log: say,
  });
  const maintenance = new Maintenance(store, kubernetesLeader ?? membership, {
    historyLimit: config.historyLimit,
    applied: async () => (await membership.members()).map((m) => m.applied),
    log: say,
  });
  maintenance.start();
  return {
    membership,
    maintenance,
    close: async () => {
      await maintenance.close();
      await membership.close();
    },
  };
}
