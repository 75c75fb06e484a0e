import { ServiceError } from './errors.js';
import { FINALIZER, type KindName, type KubeObject } from './types.js';

/**
 * Whether finalizers other than the server's own keep `obj` from going. The server's finalizer stands for
 * what the object holds in the engine and is released with it, so it never keeps an object by itself.
 */
export function keptBy(kind: KindName, obj: KubeObject): boolean {
  const ours = FINALIZER[kind];
  return (obj.metadata.finalizers ?? []).some((f) => f !== ours);
}

/**
 * No finalizer may be added to an object that is being deleted (as the API server rules): a finalizer added
 * then would keep alive an object whose deletion was already decided.
 */
export function checkNoNewFinalizers(kind: KindName, old: KubeObject, next: KubeObject): void {
  const before = new Set(old.metadata.finalizers ?? []);
  const added = (next.metadata.finalizers ?? []).filter((f) => !before.has(f));
  if (added.length === 0) return;
  throw new ServiceError(
    'Invalid',
    `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
    { kind, name: old.metadata.name!, field: 'metadata.finalizers', problem: 'forbidden' },
  );
}
