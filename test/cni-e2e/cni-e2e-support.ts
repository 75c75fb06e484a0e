/**
 * Shared pieces of the CNI end-to-end suites: the built plugin (`bin/ipkeeper`, from `npm run build`) exec'd
 * as a runtime does, against a REAL ipkeeperd (test/e2e/e2e-support.ts starts it and drives kubectl). State is
 * read back through kubectl only; nothing here looks inside the daemon.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCni, type ExecResult } from '../support/cni-exec.js';
import { REPO } from '../support/daemon.js';
import { E2E, type Obj } from '../e2e/e2e-support.js';

export { E2E, type Obj };

/**
 * The plugin executable `npm run build` produced (bin/ipkeeper → dist/cni/ipkeeper), or the one named by
 * `IPKEEPER_CNI_PLUGIN` (to run the suites against an installed copy or an older build).
 */
export function pluginFile(): string {
  const bin = process.env['IPKEEPER_CNI_PLUGIN'] || join(REPO, 'bin', 'ipkeeper');
  assert.ok(existsSync(bin), `${bin} is not built: run npm run build first`);
  return realpathSync(bin);
}

/** A pod as the runtime names it in CNI_ARGS (CNI-2). */
export interface Pod {
  namespace: string;
  name: string;
  uid?: string;
}

/** `CNI_ARGS` as containerd/CRI-O send it for a pod sandbox. */
export function podCniArgs(pod: Pod, containerId: string): string {
  return [
    'IgnoreUnknown=1',
    `K8S_POD_NAMESPACE=${pod.namespace}`,
    `K8S_POD_NAME=${pod.name}`,
    `K8S_POD_INFRA_CONTAINER_ID=${containerId}`,
    `K8S_POD_UID=${pod.uid ?? `uid-${pod.namespace}-${pod.name}`}`,
  ].join(';');
}

/** One plugin run with its stdout parsed (a result, an error, or `{}` when empty). */
export interface CniCall extends ExecResult {
  // Results and errors are read field by field; a full type per version would only restate docs/cni.md.
  json: Record<string, unknown> & {
    code?: number;
    msg?: string;
    details?: string;
    cniVersion?: string;
    ips?: { address: string; gateway?: string; version?: string; interface?: number }[];
    interfaces?: { name: string; mac?: string }[];
    routes?: { dst: string; gw?: string }[];
  };
}

export function parseCall(r: ExecResult): CniCall {
  let json: CniCall['json'] = {};
  if (r.stdout.trim() !== '') {
    try {
      json = JSON.parse(r.stdout) as CniCall['json'];
    } catch {
      assert.fail(`stdout is not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
    }
  }
  return { ...r, json };
}

/** What one attachment call needs beyond the network config. */
export interface Attach {
  containerId: string;
  ifName?: string;
  netns?: string;
  pod?: Pod;
  /** Pod annotations the runtime passes in `runtimeConfig["io.kubernetes.cri.pod-annotations"]`. */
  annotations?: Record<string, string>;
  /** Extra `ipam` keys. */
  ipam?: Record<string, unknown>;
  cniVersion?: string;
  /** Network name (default: the harness's). */
  network?: string;
  /** Extra environment (e.g. IPKEEPER_SOCKET). */
  env?: Record<string, string>;
  /** `runtimeConfig.mac` (capability `mac`). */
  runtimeMac?: string;
  /** More `CNI_ARGS` segments (e.g. `MAC=…`), after the pod's. */
  cniArgs?: string;
}

/** The plugin against one real daemon, called directly as an IPAM-only runtime would. */
export class CniHarness {
  readonly plugin = pluginFile();
  constructor(
    public e: E2E,
    public network: string,
  ) {}

  get socket(): string {
    return this.e.daemon.socket;
  }

  /** The network config for `a` (IPAM only; the main plugin's keys do not matter to ipkeeper). */
  conf(a: Omit<Attach, 'containerId'> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const conf: Record<string, unknown> = {
      cniVersion: a.cniVersion ?? '1.0.0',
      name: a.network ?? this.network,
      ipam: { type: 'ipkeeper', socket: this.socket, ...(a.ipam ?? {}) },
      ...extra,
    };
    const runtimeConfig: Record<string, unknown> = {};
    if (a.annotations) runtimeConfig['io.kubernetes.cri.pod-annotations'] = a.annotations;
    if (a.runtimeMac) runtimeConfig['mac'] = a.runtimeMac;
    if (Object.keys(runtimeConfig).length > 0) conf['runtimeConfig'] = runtimeConfig;
    return conf;
  }

  env(command: string, a: Attach): Record<string, string> {
    const env: Record<string, string> = {
      CNI_COMMAND: command,
      CNI_CONTAINERID: a.containerId,
      CNI_NETNS: a.netns ?? `/var/run/netns/${a.containerId}`,
      CNI_IFNAME: a.ifName ?? 'eth0',
      CNI_PATH: '/usr/lib/cni',
      ...(a.env ?? {}),
    };
    const args = [a.pod ? podCniArgs(a.pod, a.containerId) : '', a.cniArgs ?? ''].filter(Boolean);
    if (args.length > 0) env['CNI_ARGS'] = args.join(';');
    return env;
  }

  async call(command: string, a: Attach, extra: Record<string, unknown> = {}): Promise<CniCall> {
    return parseCall(await execCni(this.plugin, this.env(command, a), JSON.stringify(this.conf(a, extra))));
  }

  /** Raw call: exactly this environment and stdin. */
  async raw(env: Record<string, string>, stdin: string): Promise<CniCall> {
    return parseCall(await execCni(this.plugin, env, stdin));
  }

  add(a: Attach): Promise<CniCall> {
    return this.call('ADD', a);
  }

  /** An ADD that must succeed; returns the result. */
  async addOk(a: Attach): Promise<CniCall['json']> {
    const r = await this.add(a);
    assert.equal(r.code, 0, `ADD ${a.containerId} failed: ${r.stdout}${r.stderr}`);
    return r.json;
  }

  /** An ADD that must fail with CNI error `code`; returns the error. */
  async addFails(a: Attach, code: number): Promise<CniCall['json']> {
    const r = await this.add(a);
    assert.notEqual(r.code, 0, `ADD ${a.containerId} should have failed: ${r.stdout}`);
    assert.equal(r.json.code, code, `ADD ${a.containerId}: ${r.stdout}`);
    return r.json;
  }

  async delOk(a: Attach): Promise<void> {
    const r = await this.call('DEL', a);
    assert.deepEqual([r.code, r.stdout], [0, ''], `DEL ${a.containerId}: ${r.stdout}${r.stderr}`);
  }

  /** `kubectl get ip NAME -o json`, or undefined. */
  ip(name: string): Promise<Obj | undefined> {
    return this.e.get('ip', name);
  }

  ips(): Promise<Obj[]> {
    return this.e.list('ips.kubeovn.io');
  }

  /** V4USED / V6USED of a subnet as `kubectl get subnet` reports them (SUB-7). */
  async used(subnet: string, family: 4 | 6 = 4): Promise<number> {
    const value = (await this.e.subnetStatus(subnet))[`v${family}usingIPs`];
    assert.equal(typeof value, 'number', `subnet ${subnet} status v${family}usingIPs`);
    return value as number;
  }
}

/** The address of the first `ips` entry without its prefix. */
export function firstAddress(result: CniCall['json']): string {
  const ip = result.ips?.[0]?.address;
  assert.ok(ip, `no ips in ${JSON.stringify(result)}`);
  return ip.split('/')[0]!;
}

/** Every address of a result without prefix. */
export function addresses(result: CniCall['json']): string[] {
  return (result.ips ?? []).map((ip) => ip.address.split('/')[0]!);
}

/** The MAC a result carries (interfaces[0].mac). */
export function macOf(result: CniCall['json']): string | undefined {
  return result.interfaces?.[0]?.mac;
}

/** A short unique tag for names (interfaces are limited to 15 bytes). */
/**
 * A runtime's CNI_PATH as installed on a node, in a new temp dir: `plugin` as `ipkeeper` beside the named
 * Debian plugins. The caller removes `dir`.
 */
export function cniPathDir(plugin: string, mains: readonly string[]): { dir: string; binDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ipk-cni-path-'));
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  symlinkSync(plugin, join(binDir, 'ipkeeper'));
  for (const p of mains) symlinkSync(`/usr/lib/cni/${p}`, join(binDir, p));
  return { dir, binDir };
}

export function tag(): string {
  return `${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
