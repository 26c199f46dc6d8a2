/** Prometheus series of every reconcile loop, labelled by controller (controller-runtime's controller_runtime_* figures). */
import { RECONCILE_DURATION_BUCKETS, type ReconcileLoopStats } from "../domain/controller-metrics.js";

export function renderLoopMetrics(loops: readonly ReconcileLoopStats[]): string[] {
  if (loops.length === 0) return [];
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  family("multiverse_controller_reconcile_total", "counter", "Reconciles per controller by result.");
  for (const loop of loops) {
    for (const [result, count] of Object.entries(loop.reconciles)) lines.push(`multiverse_controller_reconcile_total{controller="${loop.controller}",result="${result}"} ${count}`);
  }
  family("multiverse_controller_reconcile_errors_total", "counter", "Reconciles that returned an error, per controller.");
  for (const loop of loops) lines.push(`multiverse_controller_reconcile_errors_total{controller="${loop.controller}"} ${loop.reconciles.error}`);
  family("multiverse_controller_retries_total", "counter", "Keys requeued with backoff after an error, per controller.");
  for (const loop of loops) lines.push(`multiverse_controller_retries_total{controller="${loop.controller}"} ${loop.retries}`);
  family("multiverse_controller_queue_depth", "gauge", "Keys waiting in the controller's work queue.");
  for (const loop of loops) lines.push(`multiverse_controller_queue_depth{controller="${loop.controller}"} ${loop.queueDepth}`);
  family("multiverse_controller_active_workers", "gauge", "Workers reconciling a key now.");
  for (const loop of loops) lines.push(`multiverse_controller_active_workers{controller="${loop.controller}"} ${loop.active}`);
  family("multiverse_controller_reconcile_time_seconds", "histogram", "Duration of one reconcile, per controller.");
  for (const loop of loops) {
    RECONCILE_DURATION_BUCKETS.forEach((bound, i) => lines.push(`multiverse_controller_reconcile_time_seconds_bucket{controller="${loop.controller}",le="${bound}"} ${loop.duration.buckets[i] ?? 0}`));
    lines.push(`multiverse_controller_reconcile_time_seconds_bucket{controller="${loop.controller}",le="+Inf"} ${loop.duration.count}`);
    lines.push(`multiverse_controller_reconcile_time_seconds_sum{controller="${loop.controller}"} ${loop.duration.sum}`);
    lines.push(`multiverse_controller_reconcile_time_seconds_count{controller="${loop.controller}"} ${loop.duration.count}`);
  }
  return lines;
}
