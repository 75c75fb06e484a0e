import { ServiceError } from './errors.js';
import { type Entry } from './resource-service.js';
import { type DeleteOptions, type KindName, type KubeObject } from './types.js';

/** Whether `rv` names the entry's current version (the stored one, or the one its derived status moved to). */
function matchesVersion(entry: Entry, rv: string): boolean {
  return rv === String(entry.revision) || rv === String(entry.storedRevision);
}

/**
 * A uid in a write is a precondition, as the API server treats it: another object of the same name (deleted
 * and re-created since the client read it) is a conflict, never silently overwritten.
 */
function checkUid(kind: KindName, entry: Entry, uid: string | undefined): void {
  if (!uid || uid === entry.object.metadata.uid) return;
  throw new ServiceError(
    'Conflict',
    `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${entry.object.metadata.uid ?? ''}`,
    { kind, name: entry.object.metadata.name! },
  );
}

/**
 * An update names the version it was based on. No unconditional updates, as the API server refuses them for
 * custom resources (422): a replace without that version would silently overwrite whatever changed since it
 * was read. Another version is a conflict (409: re-read and retry).
 */
export function checkUpdatePreconditions(kind: KindName, entry: Entry, obj: KubeObject): void {
  const name = entry.object.metadata.name!;
  const rv = obj.metadata.resourceVersion;
  if (rv === undefined || rv === '') {
    throw new ServiceError('Invalid', 'must be specified for an update', {
      kind,
      name,
      field: 'metadata.resourceVersion',
      value: 0,
    });
  }
  checkUid(kind, entry, obj.metadata.uid);
  if (!matchesVersion(entry, rv)) {
    throw new ServiceError(
      'Conflict',
      'the object has been modified; please apply your changes to the latest version and try again',
      { kind, name },
    );
  }
}

/** DeleteOptions.preconditions: uid and resourceVersion, each a conflict when it does not match. */
export function checkDeletePreconditions(
  kind: KindName,
  entry: Entry,
  pre: DeleteOptions['preconditions'],
): void {
  checkUid(kind, entry, pre?.uid);
  if (pre?.resourceVersion && !matchesVersion(entry, pre.resourceVersion)) {
    throw new ServiceError(
      'Conflict',
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${entry.revision}`,
      { kind, name: entry.object.metadata.name! },
    );
  }
}
