import { type Closing, type Engine, type PlacementWorld } from '../core/index.js';
import { type ObjectLookup } from './kinds/kind.js';
import { type ResourceTable } from './resource-service.js';
import { type KindName } from './types.js';

/**
 * The configured subnets and pools as placement sees them (K8S-3), each list oldest first: by the
 * object's creationTimestamp, then by name for objects created in the same second.
 */
export function placementWorld(
  engine: Engine,
  resources: ResourceTable,
  configuredDefault: string | undefined,
): PlacementWorld {
  const byAge = <T extends { name: string }>(kind: KindName, items: Iterable<T>): T[] => {
    const created = (name: string): string => resources.raw(kind, name)?.metadata.creationTimestamp ?? '';
    return [...items].sort((a, b) => {
      const ca = created(a.name);
      const cb = created(b.name);
      return ca < cb ? -1 : ca > cb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
  };
  return {
    subnets: byAge(
      'Subnet',
      [...engine.subnets.values()].map((s) => ({
        name: s.name,
        cidrs: s.families.map((f) => f.cidr),
        namespaces: s.namespaces,
        isDefault: s.isDefault,
      })),
    ),
    ippools: byAge('IPPool', engine.ippools.values()),
    spiderPools: byAge(
      'SpiderIPPool',
      [...engine.spiderPools.values()].map((p) => ({
        name: p.name,
        family: p.family,
        isDefault: p.isDefault,
      })),
    ),
    configuredDefault,
  };
}

/**
 * The subnets and pools being deleted — their objects carry a deletionTimestamp while a finalizer keeps them —
 * for the allocator to give no new addresses from (undefined when there are none, the usual case).
 */
export function closingOf(objects: ObjectLookup): Closing | undefined {
  const closing = (kind: KindName): Set<string> => {
    const names = new Set<string>();
    for (const o of objects.list(kind)) if (o.metadata.deletionTimestamp) names.add(o.metadata.name!);
    return names;
  };
  const c = { subnets: closing('Subnet'), ippools: closing('IPPool'), spiderPools: closing('SpiderIPPool') };
  return c.subnets.size + c.ippools.size + c.spiderPools.size === 0 ? undefined : c;
}
