/** Discovery documents: `/version`, `/api`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`. */
import { ALL_KINDS, servedGroups } from './kinds/index.js';
import type { JsonObject } from './resource-service.js';

/** `/version`. kubectl only reads it for `kubectl version`; values describe this server. */
export function versionInfo(serverVersion: string): JsonObject {
  return {
    major: '1',
    minor: '32',
    gitVersion: `v1.32.0+ipkeeper-${serverVersion}`,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch}`,
  };
}

/** `/api`: no core group is served. An empty list makes client-go skip `/api/v1`. */
export function coreApiVersions(): JsonObject {
  return { kind: 'APIVersions', versions: [], serverAddressByClientCIDRs: [] };
}

/**
 * Aggregated discovery (`apidiscovery.k8s.io` v2 or v2beta1, the same shape): `/apis` lists every served
 * group with its resources in one document; `/api` lists the core group `v1` with no resources.
 *
 * Why the empty core `v1`: kubectl maps a `kind: List` document (what `kubectl get -o yaml` prints for
 * several objects) through the core `v1` group before it splits it into items, so without the group
 * `kubectl apply -f list.yaml` stopped with "no matches for kind List in version v1". Plain per-group
 * discovery cannot carry an empty group (client-go reports "received empty response for: v1"), aggregated
 * discovery can, and clients that ask for the plain documents still get none.
 */
export function aggregatedDiscoveryList(which: 'core' | 'groups', version: 'v2' | 'v2beta1'): JsonObject {
  const items =
    which === 'core'
      ? [{ metadata: { name: '' }, versions: [{ version: 'v1', resources: [], freshness: 'Current' }] }]
      : servedGroups().map(({ group, version: v }) => ({
          metadata: { name: group },
          versions: [{ version: v, resources: aggregatedResources(group, v), freshness: 'Current' }],
        }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

function aggregatedResources(group: string, version: string): JsonObject[] {
  return ALL_KINDS.filter((k) => k.group === group && k.version === version).map((k) => {
    const responseKind = { group, version, kind: k.kind };
    const resource: JsonObject = {
      resource: k.plural,
      responseKind,
      scope: 'Cluster',
      singularResource: k.singular,
      verbs: RESOURCE_VERBS,
      shortNames: k.shortNames,
      categories: k.categories,
    };
    if (k.status) resource['subresources'] = [{ subresource: 'status', responseKind, verbs: STATUS_VERBS }];
    return resource;
  });
}

function groupDoc(group: string, version: string): JsonObject {
  const gv = { groupVersion: `${group}/${version}`, version };
  return { name: group, versions: [gv], preferredVersion: gv };
}

/** `/apis`. */
export function apiGroupList(): JsonObject {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: servedGroups().map((g) => groupDoc(g.group, g.version)),
  };
}

/** `/apis/<group>`, or undefined for a group we do not serve. */
export function apiGroup(group: string): JsonObject | undefined {
  const g = servedGroups().find((x) => x.group === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g.group, g.version) } : undefined;
}

/** Verbs of the main resource and of `<plural>/status`. */
export const RESOURCE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
export const STATUS_VERBS = ['get', 'patch', 'update'];

/** `/apis/<group>/<version>`, or undefined when not served. */
export function apiResourceList(group: string, version: string): JsonObject | undefined {
  const kinds = ALL_KINDS.filter((k) => k.group === group && k.version === version);
  if (kinds.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${group}/${version}`,
    resources: kinds.flatMap((k) => {
      const main: JsonObject = {
        name: k.plural,
        singularName: k.singular,
        namespaced: false,
        kind: k.kind,
        verbs: RESOURCE_VERBS,
        shortNames: k.shortNames,
        categories: k.categories,
      };
      const status: JsonObject = {
        name: `${k.plural}/status`,
        singularName: '',
        namespaced: false,
        kind: k.kind,
        verbs: STATUS_VERBS,
      };
      return k.status ? [main, status] : [main];
    }),
  };
}
