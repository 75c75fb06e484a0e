import { type Engine, type SubnetModel, ErrorCode, IpamError } from '../../core/index.js';
import { type StoreOp } from '../../store/store.js';
import { type Avoid } from '../proposals.js';
import { type KindName, type KubeObject } from '../types.js';

/** A reference to an object whose derived status changed (its watchers get a MODIFIED event). */
export interface ObjectRef {
  kind: KindName;
  name: string;
}

/**
 * What a kind handler decided for one write: the object to store (undefined = remove it), the store
 * operations of the engine changes, and how to undo those engine changes if the commit fails or the write
 * was a dry run.
 */
export interface Change {
  object: KubeObject | undefined;
  ops: StoreOp[];
  undo: () => void;
  /** Other objects whose status this change moved (subnet and pool counters). */
  touched: ObjectRef[];
}

/** Read access to the current objects, for handlers that look at other kinds. */
export interface ObjectLookup {
  get(kind: KindName, name: string): KubeObject | undefined;
  list(kind: KindName): Iterable<KubeObject>;
}

export interface KindContext {
  engine: Engine;
  objects: ObjectLookup;
  /** What an allocation must pass over: addresses and MACs the store said another owner took (DUR-5). */
  avoid?: Avoid | undefined;
}

/** Domain rules of one kind. Every method either throws (IpamError/ServiceError) having changed nothing, or returns a Change. */
export interface KindHandler {
  readonly kind: KindName;
  /** Validates and normalises a new object and applies it to the engine. */
  create(obj: KubeObject, ctx: KindContext): Change;
  /** Validates a replacement (immutable fields, in-use rules) and applies it. */
  update(old: KubeObject, obj: KubeObject, ctx: KindContext): Change;
  /**
   * Undoes the object's effect on the engine as it is deleted (release, remove config); may refuse. `reason`
   * is recorded in the address history (`delete`, `cni-del`, `gc`).
   */
  finalize(old: KubeObject, ctx: KindContext, reason?: string): Change;
  /** The object as served: with status computed from the engine. */
  decorate(obj: KubeObject, ctx: KindContext): KubeObject;
  /** Installs a stored object into a freshly loaded engine, without checks (start-up). */
  install(obj: KubeObject, ctx: KindContext): void;
}

/** A Change that stores `object` and changes nothing in the engine. */
export function plainChange(object: KubeObject | undefined): Change {
  return { object, ops: [], undo: () => undefined, touched: [] };
}

/** Reads a string field of a spec, accepting undefined/null as absent; other types are a field error. */
export function specString(spec: Record<string, unknown> | undefined, field: string): string | undefined {
  const v = spec?.[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw new IpamError('InvalidInput', `spec.${field} must be a string`, { field: `spec.${field}` });
  return v;
}

/** Reads a string-list field of a spec. */
export function specStrings(spec: Record<string, unknown> | undefined, field: string): string[] | undefined {
  const v = spec?.[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new IpamError('InvalidInput', `spec.${field} must be a list of strings`, {
      field: `spec.${field}`,
    });
  }
  return v as string[];
}

/**
 * A rejected value as errors show it: a string as it is (the API edge quotes it once), anything else as JSON.
 */
export function shownValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

/** Refuses a change of a field that is immutable once set (IPR-6, SPP-1, POOL-1). */
export function checkImmutable(
  old: Record<string, unknown> | undefined,
  next: Record<string, unknown> | undefined,
  fields: readonly string[],
  what: string,
): void {
  for (const f of fields) {
    const before = old?.[f];
    const after = next?.[f];
    const set = before !== undefined && before !== null && before !== '';
    if (set && JSON.stringify(before) !== JSON.stringify(after ?? '')) {
      throw new IpamError(
        'Immutable',
        `spec.${f} of ${what} cannot change once set (was ${JSON.stringify(before)}); delete and re-create the object to change it`,
        {
          field: `spec.${f}`,
          value: shownValue(after),
        },
      );
    }
  }
}

/** `spec.subnet` of an IP or IPPool: required, and the subnet must exist (IPR-5, POOL-1). */
export function requireSubnet(spec: Record<string, unknown>, ctx: KindContext, purpose: string): SubnetModel {
  const name = specString(spec, 'subnet');
  if (!name) {
    throw new IpamError(ErrorCode.NoSubnet, `spec.subnet is required: ${purpose}`, { field: 'spec.subnet' });
  }
  const subnet = ctx.engine.subnets.get(name);
  if (!subnet) {
    throw new IpamError(
      ErrorCode.NoSubnet,
      `subnet ${name} does not exist; create it first or fix spec.subnet`,
      {
        field: 'spec.subnet',
        value: name,
      },
    );
  }
  return subnet;
}
