/**
 * The contract between the Kubernetes-style REST layer (src/api) and the domain (src/service).
 *
 * The API layer speaks only these shapes: it parses, validates and negotiates HTTP, and asks a
 * {@link ResourceService} to read and change objects. The service owns every domain rule (allocation,
 * normalisation such as `v6IpAddress: null` → `""`, status counters) and the generic metadata
 * rules (uid, generation, finalizers: src/service/object-meta.ts). The interface is structural: the service implements it without importing it.
 */
import type { KindName, ObjectMeta as ServiceObjectMeta } from '../service/types.js';

/** The five served kinds (all cluster-scoped): the service's own list, one definition for both layers. */
export type { KindName } from '../service/types.js';

/**
 * A JSON value as the API stores and serves it. `bigint` is allowed so that counters above 2^53
 * (the v6 counts of a /64) survive exactly; the serializer writes it as a bare JSON number.
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
/** A JSON object (`undefined` members are dropped when serialised). */
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

/** `metav1.OwnerReference`, carried through untouched. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/**
 * The subset of `metav1.ObjectMeta` the server keeps for cluster-scoped objects: the service's own metadata
 * (name, uid, generation, timestamps, labels, annotations, finalizers) plus what the API carries through.
 */
export interface ObjectMeta extends ServiceObjectMeta {
  deletionGracePeriodSeconds?: number;
  ownerReferences?: OwnerReference[];
  /** Stored as given, except that server-side apply records its manager's fields here (src/api/apply.ts). */
  managedFields?: JsonValue[];
  /** Present on objects sent by old clients; ignored. */
  namespace?: string;
}

/**
 * One stored object of any served kind. `spec` and `status` are kind-specific JSON (values are
 * {@link JsonValue}s; typed loosely so the service's own object type fits structurally).
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** How unknown or duplicate fields in a write are treated (`fieldValidation` query parameter). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Options of every create, update and status update. */
export interface WriteOptions {
  /** `dryRun=All`: run every check and return the would-be result (e.g. the address that would be given), change nothing. */
  dryRun: boolean;
  /** Already enforced by the API layer against the schema; passed on for the service's own checks. */
  fieldValidation: FieldValidation;
  /** `fieldManager` query parameter, when given (kubectl sends `kubectl-client-side-apply`, `kubectl-edit`…). */
  fieldManager?: string;
}

/** `metav1.Preconditions` of a delete. A mismatch is a 409 Conflict. */
export interface DeletePreconditions {
  uid?: string;
  resourceVersion?: string;
}

/** Options of a delete (`propagationPolicy` and grace periods are accepted and ignored). */
export interface DeleteOptions {
  dryRun: boolean;
  preconditions?: DeletePreconditions;
}

/** The event types of a watch stream. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/**
 * One watch event. For `BOOKMARK` the object carries only `apiVersion`, `kind` and
 * `metadata.resourceVersion`; for `DELETED` it is the last state of the object (with the
 * resourceVersion of the deletion).
 */
export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

/** A consistent list: every item, sorted by name, and the resourceVersion of that snapshot. */
export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  /** With a `limit`: more matching items follow the last one returned. */
  more?: boolean;
  /** With a `limit`: how many items (before filtering) follow the last one returned, when known. */
  remaining?: number;
}

/**
 * Which slice of a list to return. Paging is done by the service so a page costs O(page), not O(all):
 * items are in name order, `after` is the last name of the previous page.
 */
export interface ListOptions {
  after?: string;
  /** At most this many items (0 or absent: all). */
  limit?: number;
  /** Only items for which this is true (label and field selectors). */
  filter?: (o: KubeObject) => boolean;
}

/**
 * The domain side of the API. Every method may throw an `ApiError` (src/api/errors.ts) or an engine
 * `IpamError` (src/core/errors.ts); anything else becomes a 500.
 *
 * Resource versions are opaque strings to the API layer, except that they must be comparable by the
 * service itself (the API passes them back to `watch` unchanged).
 */
export interface ResourceService {
  /** The current object, or `undefined` when there is none. */
  get(kind: KindName, name: string): KubeObject | undefined;
  /** The current state, sorted by name, with the resourceVersion of that state. */
  list(kind: KindName, options?: ListOptions): ListResult;
  /**
   * Create. `obj.metadata` may carry `generateName` instead of `name`. The service applies
   * the metadata rules and its domain rules; returns the stored (or would-be) object.
   * Name taken → `ApiError` AlreadyExists.
   */
  create(kind: KindName, obj: KubeObject, opts: WriteOptions): Promise<KubeObject>;
  /**
   * Replace spec and metadata (status is kept). `obj.metadata.resourceVersion` is required (else Invalid:
   * no unconditional updates, as for custom resources) and must equal the current one, else Conflict. Removing the last finalizer of a terminating object deletes it;
   * the object is then returned as it was last stored.
   */
  update(kind: KindName, obj: KubeObject, opts: WriteOptions): Promise<KubeObject>;
  /** Replace status only (the `/status` subresource); spec and metadata of `obj` are ignored. */
  updateStatus(kind: KindName, obj: KubeObject, opts: WriteOptions): Promise<KubeObject>;
  /**
   * Delete. With finalizers present the object is only marked (`deletionTimestamp`) and returned;
   * otherwise it is removed and its last state returned.
   */
  delete(kind: KindName, name: string, opts: DeleteOptions): Promise<KubeObject>;
  /**
   * Subscribe to changes after `fromResourceVersion` (exclusive), or from now when it is undefined.
   * A version older than the service remembers → throw `ApiError.gone` (410 Expired), synchronously.
   * Returns the unsubscribe function; `onEvent` is never called after it.
   */
  watch(
    kind: KindName,
    fromResourceVersion: string | undefined,
    onEvent: (e: WatchEvent) => void,
  ): () => void;
}
