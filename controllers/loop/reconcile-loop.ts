/**
 * One generic controller loop (controller-runtime's processNextWorkItem): workers take keys from a work queue
 * (deduplicated, never one key twice at once), call reconcile(key), and requeue by its result: `requeueAfterMs`
 * to look again later, `requeue` to look again now, neither when the key needs no more work; an error requeues
 * the key through the rate limiter (per-key backoff). Metrics are built in.
 */
import { RECONCILE_DURATION_BUCKETS, type ReconcileLoopStats } from "../../src/domain/controller-metrics.js";
import type { RateLimiter } from "../../src/util/rate-limiter.js";
import { WorkQueue, type Timers } from "./work-queue.js";

export interface ReconcileResult {
  requeue?: boolean;
  requeueAfterMs?: number;
}

export interface Reconciler<K> {
  reconcile(key: K): Promise<ReconcileResult>;
}

export interface ReconcileLoopOptions<K> {
  name: string;
  reconciler: Reconciler<K>;
  workers?: number;
  rateLimiter?: RateLimiter<K>;
  /** Backoff bounds when no rate limiter is given. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  timers?: Timers;
  onError?: (key: K, error: unknown) => void;
}

export class ReconcileLoop<K> {
  readonly name: string;
  private readonly queue: WorkQueue<K>;
  private workers: Promise<void>[] | undefined;
  private active = 0;
  private readonly stats = { success: 0, error: 0, requeue: 0, requeueAfter: 0, retries: 0 };
  private readonly buckets = RECONCILE_DURATION_BUCKETS.map(() => 0);
  private durationCount = 0;
  private durationSum = 0;
  private readonly recent: number[] = [];

  constructor(private readonly options: ReconcileLoopOptions<K>) {
    this.name = options.name;
    this.queue = new WorkQueue<K>({
      ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
      ...(options.baseDelayMs !== undefined ? { baseDelayMs: options.baseDelayMs } : {}),
      ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
      ...(options.timers ? { timers: options.timers } : {}),
    });
  }

  enqueue(key: K): void {
    this.queue.add(key);
  }

  enqueueAfter(key: K, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /** Starts the workers (once); keys queued before start wait for them. */
  start(workers = this.options.workers ?? 1): void {
    if (this.workers) return;
    this.workers = Array.from({ length: workers }, () => this.work());
  }

  get running(): boolean {
    return this.workers !== undefined;
  }

  /** Stops taking keys; resolves when every worker has finished the key it holds. */
  async stop(): Promise<void> {
    const workers = this.workers;
    this.queue.shutDown();
    if (!workers) return;
    await Promise.all(workers);
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  metrics(): ReconcileLoopStats {
    let cumulative = 0;
    const buckets = this.buckets.map((count) => (cumulative += count));
    return {
      controller: this.name,
      reconciles: { success: this.stats.success, error: this.stats.error, requeue: this.stats.requeue, requeueAfter: this.stats.requeueAfter },
      retries: this.stats.retries,
      queueDepth: this.queue.length,
      active: this.active,
      duration: { buckets, count: this.durationCount, sum: this.durationSum },
    };
  }

  /** The last (up to 10,000) reconcile durations in seconds. */
  recentDurations(): readonly number[] {
    return this.recent;
  }

  private observeDuration(seconds: number): void {
    if (this.recent.length >= 10_000) this.recent.splice(0, 5_000);
    this.recent.push(seconds);
    this.durationCount += 1;
    this.durationSum += seconds;
    const bucket = RECONCILE_DURATION_BUCKETS.findIndex((bound) => seconds <= bound);
    if (bucket >= 0) this.buckets[bucket]! += 1;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.active += 1;
      const startedAt = performance.now();
      try {
        const result = await this.options.reconciler.reconcile(key);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
          this.stats.requeueAfter += 1;
          this.queue.addAfter(key, result.requeueAfterMs);
        } else if (result.requeue || result.requeueAfterMs === 0) {
          this.stats.requeue += 1;
          this.queue.add(key);
        } else {
          this.stats.success += 1;
        }
      } catch (error) {
        this.stats.error += 1;
        this.stats.retries += 1;
        this.options.onError?.(key, error);
        this.queue.addRateLimited(key);
      } finally {
        this.observeDuration((performance.now() - startedAt) / 1000);
        this.active -= 1;
        this.queue.done(key);
      }
    }
  }
}
