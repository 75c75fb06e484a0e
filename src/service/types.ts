/** The five served kinds, all cluster-scoped. */
export type KindName = 'Subnet' | 'IP' | 'IPPool' | 'SpiderIPPool' | 'SpiderReservedIP';

export const KIND_NAMES: readonly KindName[] = ['Subnet', 'IP', 'IPPool', 'SpiderIPPool', 'SpiderReservedIP'];

/** The object shapes the service keeps (the API layer's ObjectMeta extends this one). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface WriteOptions {
  dryRun: boolean;
}

export interface DeleteOptions {
  dryRun: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export const API_VERSION: Record<KindName, string> = {
  Subnet: 'kubeovn.io/v1',
  IP: 'kubeovn.io/v1',
  IPPool: 'kubeovn.io/v1',
  SpiderIPPool: 'spiderpool.spidernet.io/v2beta1',
  SpiderReservedIP: 'spiderpool.spidernet.io/v2beta1',
};

/** Finalizers the service adds and removes itself. */
export const FINALIZER: Partial<Record<KindName, string>> = {
  IP: 'kube-ovn-controller',
  IPPool: 'kube-ovn-controller',
  SpiderIPPool: 'spiderpool.spidernet.io',
};
