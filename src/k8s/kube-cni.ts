import { isIpamError } from '../core/index.js';
import { requestAnnotations, resultAnnotations } from '../core/annotations/index.js';
import type {
  CniAddRequest,
  CniAttachmentRequest,
  CniAllocation,
  CniCheckRequest,
  CniDelRequest,
  CniGcRequest,
  CniOwner,
  CniService,
  CniStatusRequest,
} from '../cni/cni-service.js';
import { ClusterError, toClusterError } from './errors.js';
import { type EventRecorder } from './events.js';
import { type KubeHttp, statusError } from './http.js';
import { type K8sLog } from './informer.js';
import { type RawPod } from './objects.js';
import { type PodSource } from './pod-source.js';

/** The service's CNI operations, with the facts only Kubernetes mode has (src/service/cni-ops.ts). */
export interface ServiceCni extends CniService {
  add(
    req: CniAddRequest & { namespaceAnnotations?: Record<string, string>; nodeName?: string },
  ): Promise<CniAllocation & { subnet?: string }>;
}

export interface KubeCniDeps {
  inner: ServiceCni;
  pods: PodSource;
  events: EventRecorder;
  http: KubeHttp;
  /** The IP object name of an attachment (src/service leaseKeyOf). */
  keyOf: (owner: CniOwner, ifName: string) => string;
  /** Which pod and container hold an IP object now (undefined: none). */
  holderOf: (key: string) => { uid: string | undefined; containerId: string } | undefined;
  /** Releases an allocation this ADD made, if it still is what this ADD left. */
  release: (
    key: string,
    guard: { uid: string | undefined; containerId: string },
    reason: string,
  ) => Promise<boolean>;
  log?: K8sLog;
}

/** Reason of the Warning event a failed allocation leaves on its pod (Kube-OVN's word for it). */
export const ACQUIRE_FAILED = 'AcquireAddressFailed';

/**
 * CNI in Kubernetes mode: the CNI service, with the pod's facts read from the cluster (K8S-2) and the
 * outcome written back (K8S-4). ADD of a pod that cannot be confirmed (API server down, pod gone, UID
 * changed) allocates nothing and answers code 11; a failed allocation leaves a Warning event; a success
 * writes Kube-OVN's result annotations, and if that write fails the allocation this ADD made is undone,
 * so the pod never holds an address the cluster does not show. DEL, CHECK, GC and STATUS are the
 * service's own.
 */
export class KubeCni implements CniService {
  constructor(private readonly d: KubeCniDeps) {}

  async add(req: CniAddRequest): Promise<CniAllocation> {
    if (req.owner.kind !== 'pod') return this.d.inner.add(req);
    const { namespace, name } = req.owner;
    const found = await this.d.pods.get(namespace, name, req.owner.uid);
    const pod = found.pod;
    const uid = pod.metadata.uid;
    const key = this.d.keyOf(req.owner, req.attachment.ifName);
    const before = this.d.holderOf(key);
    const repeat =
      before !== undefined && before.uid === uid && before.containerId === req.attachment.containerId;
    let result: CniAllocation & { subnet?: string };
    try {
      result = await this.d.inner.add({
        ...req,
        owner: { ...req.owner, ...(uid ? { uid } : {}) },
        annotations: requestAnnotations(pod.metadata.annotations ?? {}),
        namespaceAnnotations: found.namespace?.metadata.annotations ?? {},
        ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      });
    } catch (e) {
      if (isIpamError(e)) await this.warn(pod, e.message);
      throw e;
    }
    if (req.attachment.ifName !== 'eth0') return result;
    try {
      await this.annotate(pod, result);
    } catch (e) {
      if (!repeat) {
        await this.d
          .release(key, { uid, containerId: req.attachment.containerId }, 'k8s-annotate-failed')
          .catch((err: unknown) =>
            this.d.log?.('error', 'undoing an allocation failed', { key, error: String(err) }),
          );
      }
      throw toClusterError(e, `writing the result annotations on pod ${namespace}/${name}`);
    }
    return result;
  }

  del(req: CniDelRequest): Promise<void> {
    return this.d.inner.del(req);
  }

  check(req: CniCheckRequest): Promise<void> {
    return this.d.inner.check(req);
  }

  gc(req: CniGcRequest): Promise<{ released: number }> {
    return this.d.inner.gc(req);
  }

  status(req: CniStatusRequest): Promise<void> {
    return this.d.inner.status(req);
  }

  attachmentMac(req: CniAttachmentRequest): Promise<string | undefined> {
    return this.d.inner.attachmentMac(req);
  }

  /** Kube-OVN's result annotations (K8S-4); `metadata.uid` in the patch makes it apply to this pod only. */
  private async annotate(pod: RawPod, result: CniAllocation & { subnet?: string }): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? '')}/pods/${encodeURIComponent(pod.metadata.name ?? '')}`;
    const annotations = resultAnnotations(result, pod.metadata.annotations ?? {});
    const req = {
      method: 'PATCH' as const,
      path,
      body: { metadata: { uid: pod.metadata.uid, annotations } },
    };
    const res = await this.d.http.request(req);
    if (res.status === 404 || res.status === 409)
      throw new ClusterError(
        'PodNotFound',
        `pod ${pod.metadata.namespace}/${pod.metadata.name} was deleted during ADD`,
      );
    if (res.status !== 200) throw statusError(req, res);
  }

  /** K8S-4: a Warning event with the engine's message; never changes the CNI answer. */
  private async warn(pod: RawPod, message: string): Promise<void> {
    try {
      await this.d.events.warning(pod, ACQUIRE_FAILED, message);
    } catch (e) {
      this.d.log?.('warn', 'could not record a pod event', { pod: pod.metadata.name, error: String(e) });
    }
  }
}
