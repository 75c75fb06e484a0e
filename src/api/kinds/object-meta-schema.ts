/** The schema of `metav1.ObjectMeta` as served (validation and the OpenAPI documents). */
import { int, obj, str, strList, strMap } from './schema-helpers.js';
import type { Schema } from './types.js';

export const objectMetaSchema: Schema = obj(
  'Standard object metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  {
    name: str('Name, unique among objects of the kind. A lowercase RFC 1123 subdomain.'),
    generateName: str('Prefix of a server-generated name, used when name is empty.'),
    namespace: str('Ignored: every served kind is cluster-scoped.'),
    selfLink: str('Deprecated; not set by this server.'),
    uid: str('Unique id set by the server at creation. Read-only.'),
    resourceVersion: str('Opaque version of this object, for optimistic concurrency and watches. Read-only.'),
    generation: int('Sequence number of the desired state; grows when the spec changes. Read-only.'),
    creationTimestamp: str('When the object was created. Read-only.', {
      format: 'date-time',
      nullable: true,
    }),
    deletionTimestamp: str('When deletion was requested; set while finalizers remain. Read-only.', {
      format: 'date-time',
      nullable: true,
    }),
    deletionGracePeriodSeconds: int('Seconds allowed for graceful termination. Read-only.'),
    labels: strMap('Key/value pairs for organising and selecting objects.'),
    annotations: strMap('Unstructured key/value metadata (kubectl keeps last-applied-configuration here).'),
    finalizers: strList('Must be empty before the object is removed from storage.'),
    ownerReferences: {
      type: 'array',
      description: 'Objects this object depends on.',
      items: obj(
        'One owner.',
        {
          apiVersion: str('API version of the owner.'),
          kind: str('Kind of the owner.'),
          name: str('Name of the owner.'),
          uid: str('UID of the owner.'),
          controller: { type: 'boolean', description: 'The owner is the managing controller.' },
          blockOwnerDeletion: { type: 'boolean', description: 'Block foreground deletion of the owner.' },
        },
        { required: ['apiVersion', 'kind', 'name', 'uid'] },
      ),
    },
    managedFields: {
      type: 'array',
      description: 'Field ownership records; stored as given.',
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  },
);
