export interface WorkQueueOptions {
  /** Reconciles one key: reads the current state and acts on it; throwing retries the key with backoff. */
  handler: (key: string) => Promise<void>;
  /** Keys reconciled at once (default 4). */
  concurrency?: number;
  /** First retry delay after a failure, doubled per failure up to maxDelayMs (defaults 500 ms, 60 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Told about each failure before its retry is scheduled. */
  onError?: (key: string, err: unknown, retryInMs: number) => void;
}

/**
 * A de-duplicating work queue for level-triggered reconcilers (STYLE lesson 11, client-go's workqueue):
 * a key added many times before it runs is reconciled once; a key added while it is being reconciled runs
 * again afterwards (never twice at once); a failed key is retried with exponential backoff; `addAfter`
 * schedules a later look (the earliest request wins).
 */
export class WorkQueue {
  /** Keys waiting to run, in the order they became dirty (a Set keeps insertion order). */
  private readonly ready = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added again while processing: they go back to `ready` when their run ends. */
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: (() => void)[] = [];
  private closed = false;
  private scheduled = false;
  private readonly concurrency: number;

  constructor(private readonly opts: WorkQueueOptions) {
    this.concurrency = opts.concurrency ?? 4;
  }

  /** Marks `key` as needing a reconcile. */
  add(key: string): void {
    if (this.closed) return;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer.timer);
      this.timers.delete(key);
    }
    if (this.processing.has(key)) this.again.add(key);
    else this.ready.add(key);
    this.schedule();
  }

  /** Runs waiting keys on the next microtask, so adds made in one burst of events coalesce first. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Reconciles `key` after `delayMs`, unless it is already due sooner. */
  addAfter(key: string, delayMs: number): void {
    if (this.closed) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const current = this.timers.get(key);
    if (current && current.at <= at) return;
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Keys waiting or running (not the delayed ones). */
  get depth(): number {
    return this.ready.size + this.processing.size + this.again.size;
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((ok) => this.idleWaiters.push(ok));
  }

  /** Stops taking keys, cancels delayed ones and waits for running reconciles to end. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.ready.clear();
    this.again.clear();
    await this.idle();
  }

  private pump(): void {
    while (!this.closed && this.processing.size < this.concurrency && this.ready.size > 0) {
      const key = this.ready.values().next().value as string;
      this.ready.delete(key);
      this.processing.add(key);
      void this.run(key);
    }
    if (this.depth === 0) for (const ok of this.idleWaiters.splice(0)) ok();
  }

  private async run(key: string): Promise<void> {
    try {
      await this.opts.handler(key);
      this.failures.delete(key);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = Math.min((this.opts.baseDelayMs ?? 500) * 2 ** (n - 1), this.opts.maxDelayMs ?? 60_000);
      this.opts.onError?.(key, err, delay);
      this.processing.delete(key);
      this.addAfter(key, delay);
    } finally {
      this.processing.delete(key);
      if (this.again.delete(key)) this.ready.add(key);
      this.pump();
    }
  }
}
