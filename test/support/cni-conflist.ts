/**
 * Runs a network configuration list the way a runtime's libcni does, so the tests can drive a real chain
 * (Debian's bridge, then the chained ipkeeper step, which delegates to Debian's tuning) in a real network
 * namespace: ADD runs the plugins in order, each given the previous one's result as `prevResult`; CHECK runs
 * them in order with the cached ADD result; DEL in reverse order with it. `runtimeConfig` carries only the
 * capabilities a plugin declares. This is the runtime's part, not a rule of ipkeeper's.
 */
import { join } from 'node:path';
import { execCni, type ExecResult } from './cni-exec.js';

/** A conflist: `{cniVersion, name, plugins: [...]}`. */
export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

/** What one attachment is called with. */
export interface ChainCall {
  containerId: string;
  netns: string;
  ifName?: string;
  cniArgs?: string;
  /** Capability arguments, e.g. `{mac: …, 'io.kubernetes.cri.pod-annotations': {…}}`. */
  capabilityArgs?: Record<string, unknown>;
}

/** One chain run: the last plugin's output (the result on ADD), or the first failure, and which plugin. */
export interface ChainResult extends ExecResult {
  plugin: string;
}

/** A runtime's view of one conflist in one CNI_PATH directory. */
export class ConfListRunner {
  /** The ADD results, by container ID and interface, as libcni caches them for CHECK and DEL. */
  private readonly cache = new Map<string, unknown>();

  constructor(
    readonly list: ConfList,
    readonly binDir: string,
  ) {}

  async add(call: ChainCall): Promise<ChainResult> {
    let prevResult: unknown;
    let last: ChainResult | undefined;
    for (const plugin of this.list.plugins) {
      last = await this.exec('ADD', plugin, call, prevResult);
      if (last.code !== 0) return last;
      prevResult = JSON.parse(last.stdout);
    }
    this.cache.set(key(call), prevResult);
    return last!;
  }

  async check(call: ChainCall): Promise<ChainResult> {
    let last: ChainResult | undefined;
    for (const plugin of this.list.plugins) {
      last = await this.exec('CHECK', plugin, call, this.cache.get(key(call)));
      if (last.code !== 0) return last;
    }
    return last!;
  }

  async del(call: ChainCall): Promise<ChainResult> {
    let last: ChainResult | undefined;
    for (const plugin of [...this.list.plugins].reverse()) {
      last = await this.exec('DEL', plugin, call, this.cache.get(key(call)));
      if (last.code !== 0) return last;
    }
    this.cache.delete(key(call));
    return last!;
  }

  /** One plugin of the list alone (index `i`), with the cached ADD result as prevResult. */
  runOne(command: string, i: number, call: ChainCall): Promise<ChainResult> {
    return this.exec(command, this.list.plugins[i]!, call, this.cache.get(key(call)));
  }

  private async exec(
    command: string,
    plugin: Record<string, unknown>,
    call: ChainCall,
    prevResult: unknown,
  ): Promise<ChainResult> {
    const type = String(plugin['type']);
    const conf: Record<string, unknown> = {
      cniVersion: this.list.cniVersion,
      name: this.list.name,
      ...plugin,
    };
    const capabilities = (plugin['capabilities'] ?? {}) as Record<string, boolean>;
    const runtimeConfig = Object.fromEntries(
      Object.entries(call.capabilityArgs ?? {}).filter(([k]) => capabilities[k] === true),
    );
    if (Object.keys(runtimeConfig).length > 0) conf['runtimeConfig'] = runtimeConfig;
    if (prevResult !== undefined) conf['prevResult'] = prevResult;
    const env: Record<string, string> = {
      CNI_COMMAND: command,
      CNI_CONTAINERID: call.containerId,
      CNI_NETNS: call.netns,
      CNI_IFNAME: call.ifName ?? 'eth0',
      CNI_PATH: this.binDir,
    };
    if (call.cniArgs) env['CNI_ARGS'] = call.cniArgs;
    return { ...(await execCni(join(this.binDir, type), env, JSON.stringify(conf))), plugin: type };
  }
}

function key(call: ChainCall): string {
  return `${call.containerId}/${call.ifName ?? 'eth0'}`;
}
