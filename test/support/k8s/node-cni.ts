/**
 * A node's CNI set-up: the caller's network config in the node's private conf dir, Debian's plugins and the
 * caller's copied into its private bin dir — copied, never linked, so an install into that directory (as a
 * DaemonSet's init container does) cannot write through into /usr/lib/cni.
 */
import { chmodSync, copyFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { NodeLayout } from './node-config.js';
import { DEBIAN_CNI_DIR } from './paths.js';

/** The network names and bridge names of a CNI config. */
export function describeCni(config: Record<string, unknown>): { names: string[]; bridges: string[] } {
  const plugins = Array.isArray(config['plugins'])
    ? (config['plugins'] as Record<string, unknown>[])
    : [config];
  const bridges = plugins
    .filter((p) => p['type'] === 'bridge')
    .map((p) => (typeof p['bridge'] === 'string' ? p['bridge'] : 'cni0'));
  return { names: typeof config['name'] === 'string' ? [config['name']] : [], bridges };
}

export function linkExists(name: string): boolean {
  try {
    statSync(`/sys/class/net/${name}`);
    return true;
  } catch {
    return false;
  }
}

/** Writes the network config and fills the bin dir. */
export function installCni(
  l: NodeLayout,
  cni: Record<string, unknown>,
  plugins: Record<string, string>,
): void {
  for (const plugin of readdirSync(DEBIAN_CNI_DIR))
    copyFileSync(join(DEBIAN_CNI_DIR, plugin), join(l.cniBinDir, plugin));
  for (const [file, source] of Object.entries(plugins)) {
    const target = join(l.cniBinDir, basename(file));
    copyFileSync(source, target);
    chmodSync(target, 0o755);
  }
  const confFile = Array.isArray(cni['plugins']) ? '10-test.conflist' : '10-test.conf';
  writeFileSync(join(l.cniConfDir, confFile), JSON.stringify(cni, null, 1));
}
