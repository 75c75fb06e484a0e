/**
 * Manifests the cluster suites create, built from the test images: a busybox pod or Deployment that
 * sleeps (imagePullPolicy Never: nothing can be pulled here), and the shapes of what the API returns.
 */
import { IMAGES } from './paths.js';

/** A Pod as the API returns it (only the fields the suites read are typed). */
export interface PodObject {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string }[];
    deletionTimestamp?: string;
  };
  spec: { nodeName?: string; hostNetwork?: boolean };
  status: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      state?: Record<string, { reason?: string; message?: string }>;
    }[];
  };
}

/** A core/v1 Event. */
export interface EventObject {
  metadata: { name: string; namespace: string };
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string };
  reason: string;
  message: string;
  type: string;
  count?: number;
  source?: { component?: string; host?: string };
}

export interface PodSpecOptions {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  /** The command (default `sleep 86400`; busybox applets are on PATH). */
  command?: string[];
  hostNetwork?: boolean;
  /** Bind to this node directly (skips the scheduler). */
  nodeName?: string;
}

function podSpec(o: PodSpecOptions): Record<string, unknown> {
  return {
    // busybox's sleep as PID 1 ignores SIGTERM: a second of grace, then SIGKILL.
    terminationGracePeriodSeconds: 1,
    ...(o.hostNetwork ? { hostNetwork: true } : {}),
    ...(o.nodeName ? { nodeName: o.nodeName } : {}),
    containers: [
      {
        name: 'main',
        image: IMAGES.busybox.ref,
        imagePullPolicy: 'Never',
        command: o.command ?? ['sleep', '86400'],
      },
    ],
  };
}

/** A busybox pod. */
export function podManifest(
  name: string,
  namespace: string,
  o: PodSpecOptions = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.labels ? { labels: o.labels } : {}),
    },
    spec: podSpec(o),
  };
}

/** A Deployment of busybox pods labelled `app: NAME`; `o.annotations` go on the pod template. */
export function deploymentManifest(
  name: string,
  namespace: string,
  replicas: number,
  o: PodSpecOptions = {},
): Record<string, unknown> {
  const labels = { app: name, ...(o.labels ?? {}) };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels, ...(o.annotations ? { annotations: o.annotations } : {}) },
        spec: podSpec(o),
      },
    },
  };
}
