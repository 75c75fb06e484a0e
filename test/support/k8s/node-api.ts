/** What a test node does through the API server: becoming schedulable at start, draining at stop. */
import type { ControlPlane } from './control-plane.js';
import { listDir } from './node-cleanup.js';
import { waitUntil } from './processes.js';

/**
 * Removes the `node.kubernetes.io/not-ready` taint admission put on the new Node, so it is schedulable as
 * soon as this returns (the node lifecycle controller would lift it within seconds, or never when a suite
 * turned that controller off for fake nodes).
 */
export async function liftNotReadyTaint(cp: ControlPlane, name: string): Promise<void> {
  const node = await cp.api.get<{ spec?: { taints?: { key: string }[] } }>(`/api/v1/nodes/${name}`);
  const taints = node?.spec?.taints ?? [];
  const kept = taints.filter((t) => t.key !== 'node.kubernetes.io/not-ready');
  if (kept.length === taints.length) return;
  await cp.api.must(
    'PATCH',
    `/api/v1/nodes/${name}`,
    { spec: { taints: kept.length > 0 ? kept : null } },
    'application/merge-patch+json',
  );
}

/**
 * Cordons the node, force-deletes its pods and waits (up to 30 s) until the kubelet tore their sandboxes
 * down (CNI DEL included), then deletes the Node object. Best effort: cleanup follows regardless.
 */
export async function drainPods(cp: ControlPlane, name: string, netnsDir: string): Promise<void> {
  const node = await cp.api.request('PATCH', `/api/v1/nodes/${name}`, {
    body: { spec: { unschedulable: true } },
    contentType: 'application/merge-patch+json',
    timeoutMs: 5_000,
  });
  if (node.status !== 200) return;
  const pods = await cp.api.get<{ items: { metadata: { namespace: string; name: string } }[] }>(
    `/api/v1/pods?fieldSelector=spec.nodeName%3D${name}`,
  );
  for (const p of pods?.items ?? []) {
    await cp.api.request('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, {
      body: { gracePeriodSeconds: 0 },
    });
  }
  if ((pods?.items.length ?? 0) > 0) {
    await waitUntil("the pods' network namespaces to go", () => listDir(netnsDir).length === 0, {
      timeoutMs: 30_000,
    }).catch(() => undefined);
  }
  await cp.api.request('DELETE', `/api/v1/nodes/${name}`);
}
