/** The registry of served kinds and lookups by URL parts and names. */
import type { ErrorSubject } from '../errors.js';
import type { KindName } from '../resource-service.js';
import { ipKind } from './ip.js';
import { ippoolKind } from './ippool.js';
import { spiderIPPoolKind } from './spider-ippool.js';
import { spiderReservedIPKind } from './spider-reserved-ip.js';
import { subnetKind } from './subnet.js';
import type { KindDefinition } from './types.js';

export type { KindDefinition, PrinterColumn, Schema } from './types.js';
export { apiVersionOf } from './types.js';

/** Every served kind, in discovery order. */
export const ALL_KINDS: readonly KindDefinition[] = [
  subnetKind,
  ipKind,
  ippoolKind,
  spiderIPPoolKind,
  spiderReservedIPKind,
];

/** Served group → its single version. */
export function servedGroups(): { group: string; version: string }[] {
  const seen = new Map<string, string>();
  for (const k of ALL_KINDS) seen.set(k.group, k.version);
  return [...seen].map(([group, version]) => ({ group, version }));
}

/** The kind served at `/apis/<group>/<version>/<plural>`, if any. */
export function kindByResource(group: string, version: string, plural: string): KindDefinition | undefined {
  return ALL_KINDS.find((k) => k.group === group && k.version === version && k.plural === plural);
}

export function kindByName(kind: KindName): KindDefinition {
  const def = ALL_KINDS.find((k) => k.kind === kind);
  if (!def) throw new Error(`unknown kind ${kind}`);
  return def;
}

/** The object an error is about, worded as Kubernetes words it (`ips.kubeovn.io "x"`, `IP.kubeovn.io "x"`). */
export function subjectOf(def: KindDefinition, name: string): ErrorSubject {
  return {
    resource: `${def.plural}.${def.group}`,
    qualifiedKind: `${def.kind}.${def.group}`,
    group: def.group,
    kind: def.kind,
    name,
  };
}
