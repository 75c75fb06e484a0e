/**
 * Bounded growth on etcd: N allocate/release cycles (a CNI ADD, then its DEL: an IP object, address, lease,
 * MAC and history written, then deleted, quarantined and recorded) through the service on a one-member etcd
 * with its default 2 GiB quota, the daemon's membership and leader maintenance running as in production
 * (compaction, history trimmed to --history-limit, markers swept), every 10 s. Reports etcd's database size
 * (allocated and in use) as it goes and at the end.
 */
import { hostname } from 'node:os';
import { IpamService } from '../../src/service/service.js';
import { EtcdStore } from '../../src/store/etcd/etcd-store.js';
import { Maintenance } from '../../src/store/etcd/maintenance.js';
import { EtcdMembership } from '../../src/store/etcd/membership.js';
import { mulberry32 } from '../../src/core/index.js';
import { EtcdCluster } from '../../test/support/etcd.js';

const PARALLEL = 64;
/** The daemon's default --history-limit with --store etcd. */
const HISTORY_LIMIT = 100_000;

export interface ChurnFigures {
  cycles: number;
  seconds: number;
  cycles_per_s: number;
  history_limit: number;
  db_size_max_mb: number;
  db_size_end_mb: number;
  db_in_use_end_mb: number;
  db_size_after_defrag_mb: number;
  compacted_revision: number;
  history_trimmed: number;
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

export async function churn(cycles: number, log: (line: string) => void): Promise<ChurnFigures> {
  const cluster = await EtcdCluster.start({ members: 1 });
  const store = await EtcdStore.open({
    connection: { endpoints: cluster.endpoints },
    historyLimit: HISTORY_LIMIT,
  });
  let membership: EtcdMembership | undefined;
  let maintenance: Maintenance | undefined;
  try {
    const service = await IpamService.open({ store, random: mulberry32(1) });
    membership = EtcdMembership.start(store, {
      host: hostname(),
      pid: process.pid,
      elect: true,
      applied: () => service.replication()?.applied ?? 0,
    });
    const members = membership;
    maintenance = new Maintenance(store, membership, {
      historyLimit: HISTORY_LIMIT,
      applied: async () => (await members.members()).map((m) => m.applied),
      log: (level, msg, fields) => log(`${level} ${msg} ${JSON.stringify(fields ?? {})}`),
    });
    maintenance.start();
    const cni = service.cniService;
    const ipam = { ippools: [], defaultIpv4Pools: [], defaultIpv6Pools: [] };
    const t0 = performance.now();
    let next = 0;
    let done = 0;
    let maxDb = 0;
    let lastReport = t0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let n = next++; n < cycles; n = next++) {
          const containerId = `churn-${n}`;
          const req = {
            network: 'churn',
            attachment: { containerId, ifName: 'eth0' },
            owner: { kind: 'container' as const, containerId },
            ipam,
          };
          await cni.add({
            ...req,
            netns: `/var/run/netns/${containerId}`,
            requested: { ips: [] },
            annotations: {},
          });
          await cni.del(req);
          done++;
          const now = performance.now();
          if (now - lastReport > 30_000) {
            lastReport = now;
            const s = maintenance!.stats;
            maxDb = Math.max(maxDb, s.dbSize);
            log(
              `${done} cycles in ${Math.round((now - t0) / 1000)} s: db ${mb(s.dbSize)} MB (in use ${mb(s.dbSizeInUse)} MB), compacted to ${s.compactedRevision}, history trimmed ${s.historyTrimmed}`,
            );
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    // One more round so the end state is measured after the leader's duties caught up.
    await maintenance.round();
    const s = maintenance.stats;
    maxDb = Math.max(maxDb, s.dbSize);
    const [endSize, endInUse] = [s.dbSize, s.dbSizeInUse];
    service.close();
    // What the live data needs: bbolt leaves pages a quarter to half full after deletions; a defragmentation
    // (an operator's `etcdctl defrag`) rewrites them.
    await store.client.maintenance.defragment({});
    await maintenance.round();
    return {
      cycles,
      seconds: Math.round(seconds),
      cycles_per_s: Math.round(cycles / seconds),
      history_limit: HISTORY_LIMIT,
      db_size_max_mb: mb(maxDb),
      db_size_end_mb: mb(endSize),
      db_in_use_end_mb: mb(endInUse),
      db_size_after_defrag_mb: mb(s.dbSize),
      compacted_revision: s.compactedRevision,
      history_trimmed: s.historyTrimmed,
    };
  } finally {
    await maintenance?.close();
    await membership?.close();
    await store.close();
    await cluster.close();
  }
}
