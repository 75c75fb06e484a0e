// Where a daemon's memory is: the kernel's figures for its process and the V8/Node figures its /metrics
// serves, read together so they can be compared (bench/k8s).
import { readFileSync } from 'node:fs';
import { type RunningDaemon } from '../../test/support/daemon.js';
import { runKubectl } from '../../test/support/kubectl.js';

/** Megabytes (MiB, one decimal) of one process, from /proc and from its own /metrics. */
export interface DaemonMemory {
  /** Resident set (VmRSS) = rss_anon + rss_file (+ shared memory, none here). */
  rss: number;
  /** Anonymous resident memory: V8's heap pages, malloc (SQLite, OpenSSL, Buffers), thread stacks. */
  rss_anon: number;
  /** Resident pages of mapped files: the node executable's code and the shared libraries touched. */
  rss_file: number;
  /** V8 heap reserved (committed) and in use, and memory held outside it (Buffers, native objects). */
  heap_total: number;
  heap_used: number;
  external: number;
  array_buffers: number;
  /** V8's heap by space: reserved (total) and in use, e.g. `old`, `new`, `code`, `large_object`. */
  heap_spaces: Record<string, { total: number; used: number }>;
}

/** One line of /proc/PID/status in MB (`VmRSS`, `VmHWM`, `RssAnon`, `RssFile`). */
export function statusMb(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Math.round(Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) / 102.4) / 10;
}

/** One gauge of the daemon's /metrics (its own API, token and CA), as a number. */
export async function daemonMetric(d: RunningDaemon, name: string): Promise<number> {
  const r = await runKubectl(['get', '--raw', '/metrics'], { kubeconfig: d.kubeconfig });
  return metricValue(r.stdout, name);
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

export async function daemonMemory(d: RunningDaemon): Promise<DaemonMemory> {
  const text = (await runKubectl(['get', '--raw', '/metrics'], { kubeconfig: d.kubeconfig })).stdout;
  const mb = (name: string): number => Math.round(metricValue(text, name) / 104857.6) / 10;
  return {
    rss: statusMb(d.pid, 'VmRSS'),
    rss_anon: statusMb(d.pid, 'RssAnon'),
    rss_file: statusMb(d.pid, 'RssFile'),
    heap_total: mb('nodejs_heap_size_total_bytes'),
    heap_used: mb('nodejs_heap_size_used_bytes'),
    external: mb('nodejs_external_memory_bytes'),
    array_buffers: mb('nodejs_array_buffers_bytes'),
    heap_spaces: heapSpaces(text),
  };
}

function heapSpaces(text: string): Record<string, { total: number; used: number }> {
  const out: Record<string, { total: number; used: number }> = {};
  for (const m of text.matchAll(/^nodejs_heap_space_size_(total|used)_bytes\{space="(\w+)"\} (\d+)$/gm)) {
    const space = (out[m[2]!] ??= { total: 0, used: 0 });
    space[m[1] as 'total' | 'used'] = Math.round(Number(m[3]) / 104857.6) / 10;
  }
  return out;
}
