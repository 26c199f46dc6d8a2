/**
 * A work queue in the style of client-go/controller-runtime:
 * - a key is queued at most once (deduplicated);
 * - a key is never handed to two workers at once: adding a key that is being processed marks it dirty,
 *   and it is queued again when the worker calls done();
 * - per-key backoff for errors through a rate limiter (addRateLimited), reset by forget();
 * - addAfter for polling observed state (requeue-after).
 */
import { ExponentialBackoff, type RateLimiter } from "../../src/util/rate-limiter.js";

export interface WorkQueueOptions<K> {
  /** Exponential backoff bounds, when no rate limiter is given. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  rateLimiter?: RateLimiter<K>;
  timers?: Timers;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  // Not unref'd: a pending requeue is work, and must keep a `multiverse run` process alive.
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class WorkQueue<K> {
  private readonly queue: K[] = [];
  private readonly queued = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly dirty = new Set<K>();
  private readonly delayed = new Map<K, { handle: unknown; due: number }>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private readonly rateLimiter: RateLimiter<K>;
  private readonly timers: Timers;
  private shuttingDown = false;

  constructor(options: WorkQueueOptions<K> = {}) {
    this.rateLimiter = options.rateLimiter ?? new ExponentialBackoff<K>(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000);
    this.timers = options.timers ?? realTimers;
  }

  add(key: K): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queued.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
  }

  /** Queue the key after `ms`; an earlier pending deadline for the same key wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.due <= due) return;
    if (existing) this.timers.clearTimeout(existing.handle);
    const handle = this.timers.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { handle, due });
  }

  /** Requeue after this key's next backoff delay (the rate limiter's). */
  addRateLimited(key: K): number {
    const delay = this.rateLimiter.when(key);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: K): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.rateLimiter.retries(key);
  }

  /** The next key, waiting if none is ready; undefined once the queue is shut down. */
  get(): Promise<K | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { handle } of this.delayed.values()) this.timers.clearTimeout(handle);
    this.delayed.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  get length(): number {
    return this.queue.length;
  }

  get pendingDelayed(): number {
    return this.delayed.size;
  }

  isProcessing(key: K): boolean {
    return this.processing.has(key);
  }
}
