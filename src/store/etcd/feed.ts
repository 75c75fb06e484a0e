import { type Etcd3, type IEvent, type IWatchResponse } from 'etcd3';
import { type ChangeFeed, type ChangeFeedHandlers, type StoreChange } from '../change-feed.js';
import { type KeyLayout, decodeAddress, decodeLease, prefixEnd } from './keys.js';

type WatchStream = Awaited<ReturnType<Etcd3['watchClient']['watch']>>;

/**
 * The etcd change feed: one watch on the state keys (`s/`), on the client's raw watch stream. It keeps its own
 * position (the next revision it needs) and resumes from exactly there after any disconnection, so no
 * revision is skipped or delivered twice. Events are grouped by revision (etcd never splits a revision across
 * responses). A start revision that etcd has compacted away ends the feed with onReset.
 */
export class EtcdFeed implements ChangeFeed {
  private stream: WatchStream | undefined;
  private closed = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly layout: KeyLayout,
    /** The first revision not yet delivered. */
    private next: number,
    private readonly handlers: ChangeFeedHandlers,
  ) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let stream: WatchStream;
    try {
      stream = await this.client.watchClient.watch();
    } catch {
      this.reconnectLater();
      return;
    }
    if (this.closed) {
      stream.end();
      return;
    }
    this.stream = stream;
    let failed = false;
    const fail = (): void => {
      if (failed) return;
      failed = true;
      if (this.stream === stream) this.stream = undefined;
      this.handlers.onConnection?.(false);
      this.reconnectLater();
    };
    stream.on('data', (res: IWatchResponse) => {
      if (!failed && !this.closed) this.onResponse(res, fail);
    });
    stream.on('error', fail);
    stream.on('end', fail);
    const state = this.layout.sub('state');
    stream.write({
      create_request: {
        key: Buffer.from(state),
        range_end: prefixEnd(state),
        start_revision: this.next,
        progress_notify: true,
      },
    });
  }

  private reconnectLater(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 2000);
  }

  private onResponse(res: IWatchResponse, fail: () => void): void {
    if (res.canceled) {
      const compacted = Number(res.compact_revision ?? 0);
      if (compacted > 0) {
        this.closed = true;
        this.stream?.end();
        this.handlers.onReset(
          `the watch needs revision ${this.next}, which etcd compacted (compacted up to ${compacted})`,
        );
        return;
      }
      fail();
      return;
    }
    if (res.created) {
      this.retryMs = 100;
      this.handlers.onConnection?.(true);
      return;
    }
    if (res.events.length === 0) {
      // A progress report. Only a hint: etcd before 3.4.24 may send it before the events of the revisions it
      // covers (etcd issue 15220), so the feed's own position moves with events alone — advancing it here
      // dropped those events as already seen.
      this.handlers.onProgress?.(Number(res.header.revision));
      return;
    }
    let group: StoreChange[] = [];
    let revision = Number(res.events[0]!.kv.mod_revision);
    const flush = (): void => {
      if (revision < this.next) return; // already delivered before a reconnection
      this.next = revision + 1;
      this.handlers.onChanges({ revision, changes: group });
    };
    for (const ev of res.events) {
      const r = Number(ev.kv.mod_revision);
      if (r !== revision) {
        flush();
        group = [];
        revision = r;
      }
      const change = this.decode(ev);
      if (change) group.push(change);
    }
    flush();
  }

  private decode(ev: IEvent): StoreChange | undefined {
    const parsed = this.layout.parse(ev.kv.key.toString());
    if (!parsed) return undefined;
    const value = ev.type === 'Put' || (ev.type as string) === 'PUT' ? ev.kv.value.toString() : undefined;
    switch (parsed.type) {
      case 'object':
        return {
          type: 'object',
          kind: parsed.kind,
          name: parsed.name,
          body: value === undefined ? undefined : (JSON.parse(value) as Record<string, unknown>),
        };
      case 'address':
        return {
          type: 'address',
          space: parsed.space,
          address: parsed.address,
          holder: value === undefined ? undefined : ((v) => ({ key: v.k, pool: v.p }))(decodeAddress(value)),
        };
      case 'lease':
        return {
          type: 'lease',
          key: parsed.key,
          lease: value === undefined ? undefined : ((v) => ({ subnet: v.s, mac: v.m }))(decodeLease(value)),
        };
      case 'quarantine':
        return {
          type: 'quarantine',
          space: parsed.space,
          address: parsed.address,
          seq: value === undefined ? undefined : Number(value),
        };
      case 'mac':
        // The lease carries its MAC; the MAC key only enforces uniqueness in the store.
        return undefined;
    }
  }

  requestProgress(): void {
    this.stream?.write({ progress_request: {} });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      stream.on('error', () => undefined);
      stream.cancel();
    }
  }
}
