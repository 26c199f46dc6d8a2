/**
 * Writes projected objects to the API server at the rate the server answers, never faster: per object only the
 * latest wanted body counts (a burst of transitions is one write), a body equal to the last one written is not
 * written again, one write per object is in flight at a time, a few objects are written at once, and a failed
 * write is retried with per-object backoff. An object that is gone (404) is dropped: status is a projection.
 */
import { ExponentialBackoff, type RateLimiter } from "../../util/rate-limiter.js";
import { apiMessageOf } from "../../sources/kubernetes/kube-api.js";
import { httpStatusOf } from "../../executors/kubernetes/kube-errors.js";

export interface WriteStep {
  /** Which part of the object the step writes (e.g. "object", "status"). */
  slot: string;
  /** What the step writes, canonically: a step equal to the last one written is skipped. */
  key: string;
  write(): Promise<void>;
}

export interface CoalescingWriterOptions {
  concurrency?: number;
  backoff?: RateLimiter<string>;
  log?: (line: string) => void;
}

export class CoalescingWriter {
  private readonly wanted = new Map<string, WriteStep[]>();
  private readonly written = new Map<string, string>();
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly backoff: RateLimiter<string>;
  private readonly concurrency: number;
  private running = false;
  private idleWaiters: (() => void)[] = [];
  /** API writes made (for the figures: a burst of changes is one write per object). */
  writes = 0;

  constructor(private readonly options: CoalescingWriterOptions = {}) {
    this.backoff = options.backoff ?? new ExponentialBackoff<string>(100, 30_000);
    this.concurrency = options.concurrency ?? 4;
  }

  /**
   * The steps (in order) that make the object what it should be now; replaces what was wanted before. An urgent
   * object goes before the others waiting (a Benchmark's status before its many Runs).
   */
  put(object: string, steps: WriteStep[], options: { urgent?: boolean } = {}): void {
    if (steps.every((step) => this.written.get(`${object}#${step.slot}`) === step.key)) {
      this.wanted.delete(object);
      return;
    }
    this.wanted.set(object, steps);
    this.enqueue(object, options.urgent ?? false);
  }

  /** Forget what was written (the object was deleted: a new one of the same name starts from nothing). */
  forget(object: string): void {
    for (const key of [...this.written.keys()]) if (key.startsWith(`${object}#`)) this.written.delete(key);
    this.wanted.delete(object);
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  stop(): void {
    this.running = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.settle();
  }

  /** Resolves when nothing is waiting to be written (or the writer stopped). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return !this.running || (this.queue.length === 0 && this.inFlight.size === 0 && this.timers.size === 0);
  }

  private settle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private enqueue(object: string, urgent = false): void {
    if (this.queued.has(object)) {
      if (!urgent) return;
      this.queue.splice(this.queue.indexOf(object), 1);
    }
    this.queued.add(object);
    if (urgent) this.queue.unshift(object);
    else this.queue.push(object);
    this.pump();
  }

  private pump(): void {
    while (this.running && this.inFlight.size < this.concurrency) {
      const index = this.queue.findIndex((o) => !this.inFlight.has(o));
      if (index < 0) break;
      const [object] = this.queue.splice(index, 1) as [string];
      this.queued.delete(object);
      void this.writeObject(object);
    }
    this.settle();
  }

  private async writeObject(object: string): Promise<void> {
    const steps = this.wanted.get(object);
    this.wanted.delete(object);
    if (!steps) return;
    this.inFlight.add(object);
    try {
      for (const step of steps) {
        const slot = `${object}#${step.slot}`;
        if (this.written.get(slot) === step.key) continue;
        this.writes += 1;
        await step.write();
        this.written.set(slot, step.key);
      }
      this.backoff.forget(object);
    } catch (error) {
      if (httpStatusOf(error) === 404) this.forget(object);
      else {
        const delay = this.backoff.when(object);
        this.options.log?.(`kubernetes status of ${object}: ${apiMessageOf(error)}; retrying in ${delay} ms`);
        // A newer wanted body, if one came meanwhile, wins over the failed one.
        if (!this.wanted.has(object)) this.wanted.set(object, steps);
        clearTimeout(this.timers.get(object));
        this.timers.set(object, setTimeout(() => {
          this.timers.delete(object);
          this.enqueue(object);
        }, delay));
      }
    } finally {
      this.inFlight.delete(object);
      if (this.wanted.has(object) && !this.timers.has(object)) this.enqueue(object);
      this.pump();
    }
  }
}
