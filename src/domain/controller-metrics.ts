/** What each reconcile loop reports about itself (rendered on the status API's /metrics). */
export const RECONCILE_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export interface ReconcileLoopStats {
  /** The controller's name: run, benchmark, sweep, ... */
  controller: string;
  reconciles: { success: number; error: number; requeue: number; requeueAfter: number };
  /** Requeues through the rate limiter after errors. */
  retries: number;
  queueDepth: number;
  /** Workers busy with a key now. */
  active: number;
  /** Cumulative counts per RECONCILE_DURATION_BUCKETS bound (then +Inf = count), sum in seconds. */
  duration: { buckets: number[]; count: number; sum: number };
}
