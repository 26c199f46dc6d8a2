/**
 * How long a key waits before it is retried after a failed reconcile (controller-runtime's rate limiters).
 * `when` records a failure and returns the delay; `forget` resets the key after a success.
 */
export interface RateLimiter<K> {
  when(key: K): number;
  forget(key: K): void;
  retries(key: K): number;
}

/** base * 2^failures, capped at max (controller-runtime: 5 ms doubling to 1000 s). */
export class ExponentialBackoff<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(private readonly baseDelayMs = 5, private readonly maxDelayMs = 1_000_000) {}

  when(key: K): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** failures);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}
