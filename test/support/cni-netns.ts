/**
 * Network-namespace helpers for the CNI integration tests: names unique per test process, and cleanup that
 * tolerates things already gone. Needs root and iproute2.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Runs a command and returns its stdout; throws with stderr on failure. */
export function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command, ignoring failure (cleanup). */
export function shQuiet(cmd: string, ...args: string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore' });
}

/** Why the real-plugin tests cannot run here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, links)';
  if (!existsSync('/usr/lib/cni/bridge'))
    return 'needs Debian containernetworking-plugins (/usr/lib/cni/bridge)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (ip)';
  return undefined;
}

/** True when `name` runs (e.g. ping from iputils-ping). */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** A short unique tag (interface names are limited to 15 bytes). */
export function uniqueTag(): string {
  return `${process.pid % 100000}${Math.floor(Math.random() * 100)}`;
}

/** Creates a named network namespace and returns its path. */
export function addNetns(name: string): string {
  sh('ip', 'netns', 'add', name);
  return `/run/netns/${name}`;
}

/** Runs a command inside a namespace. */
export function inNetns(name: string, cmd: string, ...args: string[]): string {
  return sh('ip', 'netns', 'exec', name, cmd, ...args);
}

/**
 * A parent link for macvlan: a dummy link where the kernel has the module, else one end of a veth pair
 * (containers often lack the dummy module). Returns its name and the links to delete afterwards.
 */
export function addParentLink(tag: string): { parent: string; cleanup: string[] } {
  const dummy = `ipkd${tag}`;
  if (spawnSync('ip', ['link', 'add', dummy, 'type', 'dummy'], { stdio: 'ignore' }).status === 0) {
    sh('ip', 'link', 'set', dummy, 'up');
    return { parent: dummy, cleanup: [dummy] };
  }
  const veth = `ipkv${tag}`;
  sh('ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`);
  sh('ip', 'link', 'set', veth, 'up');
  return { parent: veth, cleanup: [veth] };
}

/**
 * The network namespaces and links one suite creates, named `PREFIX-suffix`, all removed by `cleanup()`
 * (in the suite's `after`, whatever happened).
 */
export class NetnsScope {
  private readonly namespaces: string[] = [];
  private readonly links: string[];

  constructor(
    private readonly prefix: string,
    links: string[] = [],
  ) {
    this.links = [...links];
  }

  /** Creates `PREFIX-suffix` and answers its name and /run/netns path. */
  netns(suffix: string): { name: string; path: string } {
    const name = `${this.prefix}-${suffix}`;
    this.namespaces.push(name);
    return { name, path: addNetns(name) };
  }

  /** Links to delete at cleanup (e.g. a macvlan parent). */
  track(...links: string[]): void {
    this.links.push(...links);
  }

  cleanup(): void {
    for (const ns of this.namespaces) shQuiet('ip', 'netns', 'del', ns);
    for (const link of this.links) shQuiet('ip', 'link', 'del', link);
  }
}
