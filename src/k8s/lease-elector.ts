import { type KubeHttp, statusError } from './http.js';
import { type K8sLog } from './informer.js';

export interface LeaseElectorOptions {
  http: KubeHttp;
  namespace: string;
  name: string;
  /** Who this daemon is (unique per process): `node_random`. */
  identity: string;
  /** How long a holder's claim lasts without renewal (default 15 s). */
  leaseDurationMs?: number;
  /** A holder that has not renewed for this long gives up at once (default 10 s, < leaseDuration). */
  renewDeadlineMs?: number;
  /** How often to try to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  /** Called when this daemon becomes the holder, and when it stops being it. */
  onChange?: (leader: boolean) => void;
  log?: K8sLog;
  now?: () => number;
}

interface LeaseObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease (K8S-6), as client-go's leaderelection does it:
 * every retry period the holder renews and the others try to take an expired lease, each write a
 * compare-and-swap on the Lease's resourceVersion. Expiry is judged by this process's own clock from when
 * it last saw the record change, never by comparing clocks across machines. `isLeader()` is true only
 * while the last successful renewal is younger than the renew deadline, so a holder cut off from the API
 * server stops its duties before anyone else may take the lease.
 */
export class LeaseElector {
  private leader = false;
  private lastRenewMs = 0;
  private observed: { record: string; atMs: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private readonly path: string;

  constructor(private readonly o: LeaseElectorOptions) {
    this.leaseMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryMs = o.retryPeriodMs ?? 2_000;
    this.now = o.now ?? Date.now;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(o.namespace)}/leases`;
  }

  /** True while this daemon holds the lease and renewed it within the renew deadline. */
  isLeader(): boolean {
    if (this.leader && this.now() - this.lastRenewMs >= this.renewDeadlineMs) this.setLeader(false);
    return this.leader;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.loop();
  }

  /** Stops trying; a holder gives the lease up (holder cleared) so another daemon takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leader) return;
    this.setLeader(false);
    try {
      const current = await this.read();
      if (current?.spec?.holderIdentity === this.o.identity) {
        await this.o.http.ok({
          method: 'PUT',
          path: `${this.path}/${this.o.name}`,
          body: { ...current, spec: { ...current.spec, holderIdentity: null, leaseDurationSeconds: 1 } },
          timeoutMs: 2000,
        });
      }
    } catch {
      /* it expires by itself */
    }
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.tryAcquireOrRenew();
    } catch (e) {
      this.o.log?.('debug', 'lease renewal failed', { lease: this.o.name, error: (e as Error).message });
    }
    this.isLeader(); // drops leadership once the renew deadline has passed
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.loop(), this.retryMs);
    this.timer.unref();
  }

  private async read(): Promise<LeaseObject | undefined> {
    const res = await this.o.http.request<LeaseObject>({
      method: 'GET',
      path: `${this.path}/${this.o.name}`,
      timeoutMs: this.retryMs * 2,
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw statusError({ method: 'GET', path: this.path }, res);
    return res.body;
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = this.now();
    const spec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      renewTime: microTime(now),
    };
    const current = await this.read();
    if (!current) {
      const res = await this.o.http.request({
        method: 'POST',
        path: this.path,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        },
        timeoutMs: this.retryMs * 2,
      });
      if (res.status === 201) this.renewed(now);
      return;
    }
    const record = JSON.stringify(current.spec ?? {});
    if (this.observed?.record !== record) this.observed = { record, atMs: now };
    const holder = current.spec?.holderIdentity ?? '';
    const duration = (current.spec?.leaseDurationSeconds ?? 0) * 1000;
    const mine = holder === this.o.identity;
    if (!mine && holder !== '' && this.observed.atMs + duration > now) {
      if (this.leader) this.setLeader(false);
      return;
    }
    const res = await this.o.http.request({
      method: 'PUT',
      path: `${this.path}/${this.o.name}`,
      body: {
        ...current,
        spec: {
          ...current.spec,
          ...spec,
          ...(mine
            ? {}
            : { acquireTime: microTime(now), leaseTransitions: (current.spec?.leaseTransitions ?? 0) + 1 }),
        },
      },
      timeoutMs: this.retryMs * 2,
    });
    if (res.status === 200) this.renewed(now);
    else if (res.status === 409 && this.leader) this.setLeader(false);
  }

  private renewed(atMs: number): void {
    this.lastRenewMs = atMs;
    this.observed = undefined;
    if (!this.leader) this.setLeader(true);
  }

  private setLeader(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    this.o.log?.('info', leader ? 'took the lease' : 'lost the lease', {
      lease: `${this.o.namespace}/${this.o.name}`,
    });
    this.o.onChange?.(leader);
  }
}
