/**
 * The real service (src/service IpamService) on the memory store, in-process: what the API and CNI suites
 * run against, so a SPEC ID named in a test is proved by the product. Nothing here implements a rule.
 */
import { mulberry32 } from '../../src/core/index.js';
import { IpamService, type IpamServiceOptions } from '../../src/service/service.js';
import { type KindName, KIND_NAMES, type KubeObject } from '../../src/service/types.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { type Store } from '../../src/store/store.js';

export interface TestServiceOptions extends Partial<Omit<IpamServiceOptions, 'random'>> {
  /** Seed of the service's random source (MACs), so a run can be replayed. Default 42. */
  seed?: number;
  /** Subnets to create through the service after it opens (name → cidrBlock). */
  subnets?: Record<string, string>;
}

/**
 * Opens an IpamService on `store` (default a fresh MemoryStore) with the daemon's default subnet
 * `ovn-default` 10.16.0.0/16 unless `defaultSubnet` says otherwise, then creates `subnets`.
 */
export async function openTestService(options: TestServiceOptions = {}): Promise<IpamService> {
  const { seed = 42, subnets = {}, ...rest } = options;
  const service = await IpamService.open({ store: new MemoryStore(), random: mulberry32(seed), ...rest });
  for (const [name, cidrBlock] of Object.entries(subnets)) {
    await service.create(
      'Subnet',
      { apiVersion: 'kubeovn.io/v1', kind: 'Subnet', metadata: { name }, spec: { cidrBlock } },
      { dryRun: false },
    );
  }
  return service;
}

/** Every object of every kind as the service serves it, as text: equal text = no state change. */
export function stateOf(service: IpamService): string {
  const all: Record<string, KubeObject[]> = {};
  for (const kind of KIND_NAMES) all[kind] = service.list(kind).items;
  return JSON.stringify(all, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** A store whose commits can be made to fail (fault injection: the store is a thing that can break). */
export class FailingStore implements Store {
  readonly kind = 'failing';
  /** When set, the next commits throw it (a StoreError for "unavailable"). */
  failWith: Error | undefined;
  readonly inner: Store;

  constructor(inner: Store = new MemoryStore()) {
    this.inner = inner;
  }

  load(): ReturnType<Store['load']> {
    return this.inner.load();
  }

  async commit(batch: Parameters<Store['commit']>[0]): ReturnType<Store['commit']> {
    if (this.failWith) throw this.failWith;
    return this.inner.commit(batch);
  }

  history(query: Parameters<Store['history']>[0]): ReturnType<Store['history']> {
    return this.inner.history(query);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** An object of `kind` with `spec`, for service calls. */
export function obj(kind: KindName, name: string, spec: Record<string, unknown>): KubeObject {
  const group = kind.startsWith('Spider') ? 'spiderpool.spidernet.io/v2beta1' : 'kubeovn.io/v1';
  return { apiVersion: group, kind, metadata: { name }, spec };
}
