import { type PodFacts } from '../core/index.js';

/** The parts of ObjectMeta the k8s layer reads, as the API server sends them (JSON, not client models). */
export interface RawMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata: RawMeta;
}

export interface RawPod extends RawObject {
  spec?: { nodeName?: string; restartPolicy?: string; hostNetwork?: boolean };
  status?: { phase?: string; reason?: string };
}

export type RawNamespace = RawObject;

/** The pod as the core's release rules see it (GC-1). */
export function podFacts(pod: RawPod): PodFacts {
  const deletion = pod.metadata.deletionTimestamp ? Date.parse(pod.metadata.deletionTimestamp) : NaN;
  return {
    uid: pod.metadata.uid ?? '',
    phase: pod.status?.phase,
    restartPolicy: pod.spec?.restartPolicy,
    reason: pod.status?.reason,
    deletionTimestampMs: Number.isNaN(deletion) ? undefined : deletion,
  };
}

/** `namespace/name`, the key of namespaced objects in caches and queues. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Where one owner kind is served; resolved against discovery (CronJob is batch/v1beta1 before 1.21). */
export interface OwnerKind {
  kind: string;
  group: string;
  /** Versions to look for, preferred first. */
  versions: readonly string[];
  plural: string;
  /** A missing optional API is not an error (KubeVirt, K8S-1). */
  optional?: boolean;
}

/** The owner kinds whose chain decides a pod's workload (K8S-1). */
export const OWNER_KINDS: readonly OwnerKind[] = [
  { kind: 'ReplicaSet', group: 'apps', versions: ['v1'], plural: 'replicasets' },
  { kind: 'Deployment', group: 'apps', versions: ['v1'], plural: 'deployments' },
  { kind: 'StatefulSet', group: 'apps', versions: ['v1'], plural: 'statefulsets' },
  { kind: 'DaemonSet', group: 'apps', versions: ['v1'], plural: 'daemonsets' },
  { kind: 'Job', group: 'batch', versions: ['v1'], plural: 'jobs' },
  { kind: 'CronJob', group: 'batch', versions: ['v1', 'v1beta1'], plural: 'cronjobs' },
  {
    kind: 'VirtualMachine',
    group: 'kubevirt.io',
    versions: ['v1'],
    plural: 'virtualmachines',
    optional: true,
  },
  {
    kind: 'VirtualMachineInstance',
    group: 'kubevirt.io',
    versions: ['v1'],
    plural: 'virtualmachineinstances',
    optional: true,
  },
];

/** Only the metadata the k8s layer reads (owner chains, annotations, UIDs, deletion). */
function trimMeta(m: Record<string, unknown> | undefined): RawMeta {
  const meta = (m ?? {}) as RawMeta & Record<string, unknown>;
  const out: RawMeta = {};
  for (const k of [
    'name',
    'namespace',
    'uid',
    'resourceVersion',
    'annotations',
    'labels',
    'ownerReferences',
    'deletionTimestamp',
  ] as const)
    if (meta[k] !== undefined) (out as Record<string, unknown>)[k] = meta[k];
  return out;
}

/**
 * What an informer keeps of an object: its metadata without managedFields (nothing reads them, and they
 * are a large part of every object), plus for pods the few spec and status fields the rules read. With
 * 1,000 pods the full objects cost the daemon tens of megabytes for nothing.
 */
export function trimObject(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    metadata: trimMeta(obj.metadata as Record<string, unknown> | undefined),
  };
  if (obj.kind === 'Pod' || (obj.spec as Record<string, unknown> | undefined)?.containers !== undefined) {
    const spec = (obj.spec ?? {}) as Record<string, unknown>;
    const status = (obj.status ?? {}) as Record<string, unknown>;
    out.spec = { nodeName: spec.nodeName, restartPolicy: spec.restartPolicy, hostNetwork: spec.hostNetwork };
    out.status = { phase: status.phase, reason: status.reason };
    return out;
  }
  // Owner kinds: their own owner references are in the metadata; the spec matters to part 2 (StatefulSet
  // replicas and ordinals, VM state), so it is kept; status is not read.
  if (obj.spec !== undefined) out.spec = obj.spec;
  return out;
}
