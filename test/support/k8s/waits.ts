/**
 * Reading and waiting on cluster state from the suites: pods reaching a phase or an IP, their events,
 * namespaces ready for pods, and Node objects without a kubelet (for benchmarks that bind many pods).
 */
import type { ControlPlane } from './control-plane.js';
import { waitForServiceAccountToken } from './control-plane.js';
import type { EventObject, PodObject } from './objects.js';
import { waitUntil } from './processes.js';

export interface WaitTimeout {
  /** Default 120 s (the machine is shared; pod start-up is slow under load). */
  timeoutMs?: number;
}

const podPath = (ns: string, name: string): string => `/api/v1/namespaces/${ns}/pods/${name}`;

/** The pod, or undefined when it does not exist. */
export function getPod(cp: ControlPlane, namespace: string, name: string): Promise<PodObject | undefined> {
  return cp.api.get<PodObject>(podPath(namespace, name));
}

/** Pods of a namespace matching a label selector (`app=web`). */
export async function listPods(
  cp: ControlPlane,
  namespace: string,
  labelSelector?: string,
): Promise<PodObject[]> {
  const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
  return (
    (await cp.api.get<{ items: PodObject[] }>(`/api/v1/namespaces/${namespace}/pods${query}`))?.items ?? []
  );
}

/** The pods that run and have an address. */
export function runningPods(pods: PodObject[]): PodObject[] {
  return pods.filter((p) => p.status.phase === 'Running' && p.status.podIP);
}

/**
 * Waits until the pods selected by `labelSelector` are `total` in number and `running` of them run with an
 * address (a Deployment whose last replicas cannot get one); resolves with all of them.
 */
export function waitForRunningSplit(
  cp: ControlPlane,
  namespace: string,
  labelSelector: string,
  total: number,
  running: number,
  options: WaitTimeout = {},
): Promise<PodObject[]> {
  return waitUntil(
    `${running} of the ${total} pods ${labelSelector} to run`,
    async () => {
      const pods = await listPods(cp, namespace, labelSelector);
      return pods.length === total && runningPods(pods).length === running ? pods : undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 180_000,
      detail: async () => JSON.stringify((await listPods(cp, namespace, labelSelector)).map((p) => p.status)),
    },
  );
}

/** The events whose involved object is this pod, oldest first. */
export async function podEvents(cp: ControlPlane, namespace: string, name: string): Promise<EventObject[]> {
  const selector = encodeURIComponent(`involvedObject.kind=Pod,involvedObject.name=${name}`);
  return (
    (
      await cp.api.get<{ items: EventObject[] }>(
        `/api/v1/namespaces/${namespace}/events?fieldSelector=${selector}`,
      )
    )?.items ?? []
  );
}

/** A description of the pod for timeout messages: phase, conditions, container states, events. */
export async function describePod(cp: ControlPlane, namespace: string, name: string): Promise<string> {
  const pod = await getPod(cp, namespace, name).catch(() => undefined);
  const events = await podEvents(cp, namespace, name).catch(() => []);
  return [
    `pod ${namespace}/${name}: ${pod ? JSON.stringify(pod.status) : 'not found'}`,
    ...events.map((e) => `  event ${e.type} ${e.reason}: ${e.message}`),
  ].join('\n');
}

/** Waits until `check(pod)` holds; resolves with the pod. */
export function waitForPod(
  cp: ControlPlane,
  namespace: string,
  name: string,
  what: string,
  check: (pod: PodObject) => boolean,
  o: WaitTimeout = {},
): Promise<PodObject> {
  return waitUntil(
    `pod ${namespace}/${name} ${what}`,
    async () => {
      const pod = await getPod(cp, namespace, name);
      return pod && check(pod) ? pod : undefined;
    },
    { timeoutMs: o.timeoutMs ?? 120_000, intervalMs: 500, detail: () => describePod(cp, namespace, name) },
  );
}

/** Waits until the pod is Running with all containers ready. */
export function waitForPodRunning(
  cp: ControlPlane,
  namespace: string,
  name: string,
  o: WaitTimeout = {},
): Promise<PodObject> {
  return waitForPod(
    cp,
    namespace,
    name,
    'to be Running',
    (p) => p.status.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready),
    o,
  );
}

/** Waits until the pod has an IP (status.podIP) and returns it. */
export async function waitForPodIp(
  cp: ControlPlane,
  namespace: string,
  name: string,
  o: WaitTimeout = {},
): Promise<string> {
  const pod = await waitForPod(cp, namespace, name, 'to have an IP', (p) => Boolean(p.status.podIP), o);
  return pod.status.podIP!;
}

/** Waits for an event on the pod with this reason (and a message matching `message`); returns it. */
export function waitForPodEvent(
  cp: ControlPlane,
  namespace: string,
  name: string,
  reason: string,
  o: WaitTimeout & { message?: RegExp } = {},
): Promise<EventObject> {
  return waitUntil(
    `an event ${reason}${o.message ? ` matching ${String(o.message)}` : ''} on pod ${namespace}/${name}`,
    async () =>
      (await podEvents(cp, namespace, name)).find(
        (e) => e.reason === reason && (!o.message || o.message.test(e.message)),
      ),
    { timeoutMs: o.timeoutMs ?? 120_000, intervalMs: 500, detail: () => describePod(cp, namespace, name) },
  );
}

/** Waits until no pod of the namespace matches the selector (or the named pod is gone). */
export function waitForPodGone(
  cp: ControlPlane,
  namespace: string,
  name: string,
  o: WaitTimeout = {},
): Promise<true> {
  return waitUntil(
    `pod ${namespace}/${name} to be gone`,
    async () => (await getPod(cp, namespace, name)) === undefined,
    {
      timeoutMs: o.timeoutMs ?? 120_000,
      intervalMs: 500,
    },
  );
}

/** Creates a namespace and waits until pods can be created in it (its service account has a token). */
export async function createNamespace(
  cp: ControlPlane,
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): Promise<void> {
  await cp.api.must('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels, annotations },
  });
  await waitForServiceAccountToken(cp.api, name);
}

export interface FakeNodeOptions {
  /** Allocatable pods per node (default 110). */
  pods?: number;
  labels?: Record<string, string>;
}

/**
 * Node objects without a kubelet, Ready and schedulable, so the scheduler binds pods to them (they never
 * start). Nothing renews their heartbeat: start the control plane with `controllers: ['*', '-nodelifecycle']`,
 * or they turn NotReady after 40 s and get tainted (this helper removes the not-ready taint that admission
 * puts on every new Node).
 */
export async function createFakeNodes(
  cp: ControlPlane,
  names: string[],
  o: FakeNodeOptions = {},
): Promise<void> {
  const now = new Date().toISOString();
  const resources = { cpu: '64', memory: '256Gi', pods: String(o.pods ?? 110), 'ephemeral-storage': '1Ti' };
  for (const [i, name] of names.entries()) {
    await cp.api.must('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: { 'kubernetes.io/hostname': name, 'ipkeeper.test/fake-node': 'true', ...(o.labels ?? {}) },
      },
      spec: {},
    });
    await cp.api.must(
      'PATCH',
      `/api/v1/nodes/${name}/status`,
      {
        status: {
          capacity: resources,
          allocatable: resources,
          // Addresses of no network (TEST-NET-3 high range); nothing ever connects to them.
          addresses: [{ type: 'InternalIP', address: `203.0.113.${(i % 250) + 1}` }],
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'fake node (no kubelet)',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
        },
      },
      'application/merge-patch+json',
    );
    // The TaintNodesByCondition admission plugin marks every new Node not-ready; the node lifecycle
    // controller would lift it once Ready, but it is off for fake nodes.
    await cp.api.must(
      'PATCH',
      `/api/v1/nodes/${name}`,
      { spec: { taints: null } },
      'application/merge-patch+json',
    );
  }
}
