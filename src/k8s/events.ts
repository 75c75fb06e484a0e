import { createHash } from 'node:crypto';
import { type KubeHttp } from './http.js';
import { type RawPod } from './objects.js';

/** Events remembered for counting repeats (the runtime retries a failing sandbox every few seconds). */
const MAX_REMEMBERED = 2048;

/**
 * Writes core/v1 Events on pods (K8S-4), as `kubectl describe pod` shows them. A repeat of the same
 * reason and message on the same pod bumps the first event's count and lastTimestamp instead of adding
 * one event per retry, as client-go's recorder does.
 */
export class EventRecorder {
  private readonly seen = new Map<string, { name: string; count: number; first: string }>();

  constructor(
    private readonly http: KubeHttp,
    private readonly component: string,
    private readonly host: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async warning(pod: RawPod, reason: string, message: string): Promise<void> {
    const namespace = pod.metadata.namespace ?? 'default';
    const podName = pod.metadata.name ?? '';
    const uid = pod.metadata.uid ?? '';
    const id = createHash('sha256').update(`${uid}\0${reason}\0${message}`).digest('hex').slice(0, 16);
    const at = this.now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    const previous = this.seen.get(id);
    const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
    if (previous) {
      previous.count++;
      const res = await this.http.request({
        method: 'PATCH',
        path: `${base}/${previous.name}`,
        body: { count: previous.count, lastTimestamp: at },
      });
      if (res.status === 200) return;
      this.seen.delete(id);
    }
    const name = `${podName.slice(0, 200)}.${id}`;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace,
        name: podName,
        uid,
        resourceVersion: pod.metadata.resourceVersion,
      },
      reason,
      message,
      type: 'Warning',
      source: { component: this.component, host: this.host },
      reportingComponent: this.component,
      reportingInstance: this.host,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    const res = await this.http.request({ method: 'POST', path: base, body: event });
    if (res.status === 409) {
      // Written by an earlier run of this daemon: count on from it.
      await this.http.request({ method: 'PATCH', path: `${base}/${name}`, body: { lastTimestamp: at } });
    }
    if (this.seen.size >= MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(id, { name, count: 1, first: at });
  }
}
