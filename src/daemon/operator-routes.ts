import { getHeapSpaceStatistics } from 'node:v8';
import { subnetUsage } from '../core/index.js';
import { type IpamService } from '../service/service.js';
import { type MaintenanceStats } from '../store/etcd/maintenance.js';

/** Counters the daemon keeps about CNI calls (the edges log failures once and count them here). */
export interface CniCounters {
  /** By `command="…",code="…"` label pairs. */
  failures: Map<string, number>;
}

/** The commands of the CNI specification; anything else a caller puts in CNI_COMMAND is counted as `other`. */
const CNI_COMMANDS = new Set(['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION']);

/**
 * Counts one failed CNI call. The label set stays bounded whatever a runtime sends: CNI_COMMAND is the
 * caller's text, and one series per distinct value would let any local user grow the daemon's memory and
 * every scrape without limit (and break the exposition format with a quote).
 */
export function countCniFailure(counters: CniCounters, command: string, code: number): void {
  const key = `command="${CNI_COMMANDS.has(command) ? command : 'other'}",code="${Math.trunc(code)}"`;
  counters.failures.set(key, (counters.failures.get(key) ?? 0) + 1);
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * `/metrics` in the Prometheus text format: objects, leases, store revision, per-subnet usage, CNI failures,
 * with a shared store the propose → commit retries, replication and etcd maintenance, and the process's
 * memory (resident set, V8 heap, external).
 */
export function metricsText(service: IpamService, cni: CniCounters, store?: MaintenanceStats): string {
  const lines: string[] = [];
  const stats = service.stats();
  lines.push('# HELP ipkeeper_objects Objects served, by kind.', '# TYPE ipkeeper_objects gauge');
  for (const [kind, n] of Object.entries(stats.kinds)) lines.push(`ipkeeper_objects{kind="${kind}"} ${n}`);
  lines.push(
    '# HELP ipkeeper_leases Owner interfaces holding addresses.',
    '# TYPE ipkeeper_leases gauge',
    `ipkeeper_leases ${stats.leases}`,
  );
  lines.push(
    '# HELP ipkeeper_store_revision Revision of the newest committed change.',
    '# TYPE ipkeeper_store_revision counter',
    `ipkeeper_store_revision ${stats.revision}`,
  );
  lines.push(
    '# HELP ipkeeper_subnet_using_ips Addresses in use, by subnet and family.',
    '# TYPE ipkeeper_subnet_using_ips gauge',
  );
  const available: string[] = [
    '# HELP ipkeeper_subnet_available_ips Addresses still available, by subnet and family.',
    '# TYPE ipkeeper_subnet_available_ips gauge',
  ];
  for (const name of service.engine.subnets.keys()) {
    for (const u of subnetUsage(service.engine, name) ?? []) {
      const l = `subnet="${label(name)}",family="IPv${u.family}"`;
      lines.push(`ipkeeper_subnet_using_ips{${l}} ${u.using}`);
      available.push(`ipkeeper_subnet_available_ips{${l}} ${u.available.toString()}`);
    }
  }
  lines.push(...available);
  lines.push(
    '# HELP ipkeeper_objects_not_in_effect Stored objects that did not load into the engine (see /healthz), by kind.',
    '# TYPE ipkeeper_objects_not_in_effect gauge',
  );
  for (const kind of Object.keys(stats.kinds)) {
    const n = service.loadProblems.filter((p) => p.kind === kind).length;
    lines.push(`ipkeeper_objects_not_in_effect{kind="${kind}"} ${n}`);
  }
  lines.push(
    '# HELP ipkeeper_cni_failures_total Failed CNI calls, by command and CNI code.',
    '# TYPE ipkeeper_cni_failures_total counter',
  );
  for (const [key, n] of cni.failures) lines.push(`ipkeeper_cni_failures_total{${key}} ${n}`);
  lines.push(...sharedStoreMetrics(service, store));
  lines.push(...processMemoryMetrics());
  return `${lines.join('\n')}\n`;
}

/** What the health endpoints list: each stored object that is served but not in effect, and how to fix it. */
export function healthWarnings(service: IpamService): string[] {
  return service.loadProblems.map(
    (p) =>
      `${p.kind} "${p.name}" is stored but not in effect (it did not load): ${p.reason}; fix it (kubectl edit) or delete it`,
  );
}

/** One metric in the text format. */
function metric(name: string, type: 'counter' | 'gauge', help: string, value: number): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`];
}

/**
 * The process's memory, under the names Prometheus' client libraries give every process
 * (`process_resident_memory_bytes`) and prom-client gives Node.js (`nodejs_*`), so existing dashboards
 * read them unchanged. Read at each scrape (cheap).
 */
function processMemoryMetrics(): string[] {
  const m = process.memoryUsage();
  return [
    ...metric('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', m.rss),
    ...metric(
      'nodejs_heap_size_total_bytes',
      'gauge',
      'Process heap size from Node.js in bytes.',
      m.heapTotal,
    ),
    ...metric(
      'nodejs_heap_size_used_bytes',
      'gauge',
      'Process heap size used from Node.js in bytes.',
      m.heapUsed,
    ),
    ...metric(
      'nodejs_external_memory_bytes',
      'gauge',
      'Node.js external memory size in bytes (C++ objects bound to JavaScript, Buffers included).',
      m.external,
    ),
    ...metric(
      'nodejs_array_buffers_bytes',
      'gauge',
      'Memory of ArrayBuffers and Buffers in bytes (part of the external memory).',
      m.arrayBuffers,
    ),
    ...heapSpaceMetrics(),
  ];
}

/** V8's heap by space (prom-client's names): which part of the heap holds the memory, and how much is in use. */
function heapSpaceMetrics(): string[] {
  const spaces = getHeapSpaceStatistics();
  const series = (name: string, help: string, value: (s: (typeof spaces)[number]) => number): string[] => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} gauge`,
    ...spaces.map((s) => `${name}{space="${s.space_name.replace(/_space$/, '')}"} ${value(s)}`),
  ];
  return [
    ...series(
      'nodejs_heap_space_size_total_bytes',
      'Process heap space size total from Node.js in bytes.',
      (s) => s.space_size,
    ),
    ...series(
      'nodejs_heap_space_size_used_bytes',
      'Process heap space size used from Node.js in bytes.',
      (s) => s.space_used_size,
    ),
  ];
}

/** Metrics of several daemons on one store: proposals taken by others, replication, etcd maintenance. */
function sharedStoreMetrics(service: IpamService, store: MaintenanceStats | undefined): string[] {
  const lines = [
    ...metric(
      'ipkeeper_proposal_retries_total',
      'counter',
      'Proposals the store refused as taken by another daemon and that were proposed again.',
      service.proposals.retries,
    ),
    ...metric(
      'ipkeeper_proposal_retries_exhausted_total',
      'counter',
      'Requests answered "try again" (CNI 11, HTTP 503) after too many proposals were taken while addresses remained.',
      service.proposals.exhausted,
    ),
  ];
  const r = service.replication();
  if (r) {
    lines.push(
      ...metric(
        'ipkeeper_replication_applied_revision',
        'gauge',
        'Newest store revision applied here.',
        r.applied,
      ),
      ...metric(
        'ipkeeper_replication_remote_total',
        'counter',
        'Revisions of other daemons applied here.',
        r.remote,
      ),
      ...metric(
        'ipkeeper_replication_held_back_total',
        'counter',
        'Remote revisions that waited for a local batch touching the same addresses.',
        r.heldBack,
      ),
      ...metric(
        'ipkeeper_replication_relists_total',
        'counter',
        'Full reloads after the change feed fell behind a compaction.',
        r.relists,
      ),
    );
  }
  if (store) {
    lines.push(
      ...metric(
        'ipkeeper_etcd_db_size_bytes',
        'gauge',
        "etcd's database size (as a member reported it).",
        store.dbSize,
      ),
      ...metric(
        'ipkeeper_etcd_db_size_in_use_bytes',
        'gauge',
        "Bytes of etcd's database in use.",
        store.dbSizeInUse,
      ),
      ...metric(
        'ipkeeper_etcd_compacted_revision',
        'gauge',
        'Revision the leader last compacted etcd to.',
        store.compactedRevision,
      ),
      ...metric(
        'ipkeeper_etcd_history_trimmed_total',
        'counter',
        'History entries the leader deleted beyond --history-limit.',
        store.historyTrimmed,
      ),
    );
  }
  return lines;
}

/**
 * The daemon's operator endpoints on the API (authenticated like the rest):
 * - `GET /metrics`
 * - `GET /ipkeeper/v1/history?address=A&key=K&limit=N` — who held an address when (SPEC §12), newest first;
 *   with kubectl: `kubectl get --raw '/ipkeeper/v1/history?address=10.16.0.3'`.
 */
export function operatorRoutes(
  service: IpamService,
  cni: CniCounters,
  store: () => MaintenanceStats | undefined = () => undefined,
): Record<string, (q: URLSearchParams) => Promise<{ contentType: string; body: string }>> {
  return {
    '/metrics': async () => ({
      contentType: 'text/plain; version=0.0.4',
      body: metricsText(service, cni, store()),
    }),
    '/ipkeeper/v1/history': async (q) => {
      const limit = Number(q.get('limit') ?? 100);
      const entries = await service.history({
        address: q.get('address') ?? undefined,
        key: q.get('key') ?? undefined,
        limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, 10_000) : 100,
      });
      return {
        contentType: 'application/json',
        body: `${JSON.stringify({ kind: 'History', items: entries })}\n`,
      };
    },
  };
}
