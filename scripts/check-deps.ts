// Dependency rule, checked in CI: core ← store ← service ← api, k8s, cni ← daemon.
// A module may import from its own layer or a lower one, never a higher one. The engine (src/core)
// imports nothing outside itself: no node:* built-ins and no packages. The CNI plugin executable
// (src/cni/plugin) stays thin: it may import only itself and the shared wire types (src/cni/wire.ts).
// The Kubernetes client library is the Kubernetes layer's alone: only src/k8s imports @kubernetes/client-node.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'src');
const rank: Record<string, number> = { core: 0, store: 1, service: 2, api: 3, k8s: 3, cni: 3, daemon: 4 };

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const importRe =
  /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
const problems: string[] = [];
for (const file of walk(src)) {
  if (file.endsWith('.test.ts')) continue;
  const rel = relative(src, file);
  const layer = rel.split('/')[0] ?? '';
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? '';
    const isRelative = spec.startsWith('.');
    if (layer === 'core' && !isRelative) {
      problems.push(`${rel}: the engine must not import '${spec}' (src/core imports nothing outside itself)`);
      continue;
    }
    if (spec.startsWith('@kubernetes/') && layer !== 'k8s') {
      problems.push(`${rel}: only src/k8s may import '${spec}' (the cluster is the Kubernetes layer's edge)`);
      continue;
    }
    if (!isRelative) continue;
    const target = relative(src, resolve(dirname(file), spec));
    if (target.startsWith('..')) {
      problems.push(`${rel}: imports '${spec}' from outside src/`);
      continue;
    }
    const targetLayer = target.split('/')[0] ?? '';
    if (
      rel.startsWith('cni/plugin/') &&
      !target.startsWith('cni/plugin/') &&
      !target.startsWith('cni/wire')
    ) {
      problems.push(
        `${rel}: the CNI plugin executable may import only cni/plugin and cni/wire, not '${target}'`,
      );
      continue;
    }
    if (layer === 'core' && targetLayer !== 'core') {
      problems.push(`${rel}: the engine imports '${target}' outside src/core`);
      continue;
    }
    const from = rank[layer];
    const to = rank[targetLayer];
    if (from === undefined || to === undefined) continue;
    if (to > from || (to === from && layer !== targetLayer && from !== 3)) {
      problems.push(`${rel}: layer '${layer}' must not import from '${targetLayer}' (${target})`);
    }
  }
}
if (problems.length > 0) {
  console.error(`dependency rule: ${problems.length} violation(s)\n  ` + problems.join('\n  '));
  process.exit(1);
}
console.log('dependency rule: ok');
