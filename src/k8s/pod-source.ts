import { type ClusterCache } from './cluster-cache.js';
import { ClusterError } from './errors.js';
import { type KubeHttp, statusError } from './http.js';
import { type RawNamespace, type RawPod } from './objects.js';

/** What the CNI ADD of a pod learns from the cluster (K8S-2). */
export interface PodFromCluster {
  pod: RawPod;
  /** The pod's namespace, when it exists (its annotations take part in placement). */
  namespace: RawNamespace | undefined;
  /** Where the facts came from, for logs and tests. */
  source: 'cache' | 'api';
}

/**
 * A pod's facts for CNI ADD (K8S-2): from the informer cache, else a live GET. A pod missing from the
 * cluster, or one whose UID is not the runtime's `K8S_POD_UID` (deleted and re-created under the same
 * name), gets no address: the caller answers code 11 and the runtime tries again or gives up.
 */
export class PodSource {
  constructor(
    private readonly http: KubeHttp,
    private readonly cache: ClusterCache,
  ) {}

  async get(namespace: string, name: string, uid: string | undefined): Promise<PodFromCluster> {
    const cached = this.cache.pods.get(namespace, name);
    // A cached pod with another UID may be stale (the new pod not seen yet): ask the API server.
    if (cached && (uid === undefined || cached.metadata.uid === uid))
      return { pod: cached, namespace: await this.namespace(namespace), source: 'cache' };
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
    const res = await this.http.request<RawPod>({ method: 'GET', path });
    if (res.status === 404)
      throw new ClusterError(
        'PodNotFound',
        `pod ${namespace}/${name} does not exist in the cluster (deleted?); no address is given to it`,
      );
    if (res.status !== 200) throw statusError({ method: 'GET', path }, res);
    const pod = res.body;
    if (uid !== undefined && pod.metadata.uid !== uid)
      throw new ClusterError(
        'PodUidMismatch',
        `pod ${namespace}/${name} is now UID ${pod.metadata.uid ?? '?'}, not K8S_POD_UID ${uid}: the pod was deleted and re-created; no address is given to the old one`,
      );
    return { pod, namespace: await this.namespace(namespace), source: 'api' };
  }

  private async namespace(name: string): Promise<RawNamespace | undefined> {
    const cached = this.cache.namespaces.get(undefined, name);
    if (cached) return cached;
    const path = `/api/v1/namespaces/${encodeURIComponent(name)}`;
    const res = await this.http.request<RawNamespace>({ method: 'GET', path });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw statusError({ method: 'GET', path }, res);
    return res.body;
  }
}
