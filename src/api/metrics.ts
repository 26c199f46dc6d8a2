/** Prometheus text exposition (format 0.0.4) of the controller's figures. */
import type { ControllerMetrics } from "../status/controller-port.js";
import { renderLoopMetrics } from "./loop-metrics.js";

export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

export function renderMetrics(metrics: ControllerMetrics, runsByPhase: Record<string, number>, phases: readonly string[]): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
  lines.push("# HELP multiverse_runs Runs in the index by phase.", "# TYPE multiverse_runs gauge");
  for (const phase of phases) lines.push(`multiverse_runs{phase="${escapeLabel(phase)}"} ${runsByPhase[phase] ?? 0}`);
  gauge("multiverse_queue_depth", "Keys waiting in the controllers' work queues.", metrics.queueDepth);
  gauge("multiverse_journal_seq", "Last sequence number appended to the journal.", metrics.journalSeq);
  gauge("multiverse_index_seq", "Last journal sequence number projected into the index.", metrics.indexSeq);
  gauge("multiverse_journal_lag", "Journal records not yet projected into the index.", Math.max(0, metrics.journalSeq - metrics.indexSeq));
  lines.push("# HELP multiverse_reconcile_duration_seconds Duration of one reconcile of one run.", "# TYPE multiverse_reconcile_duration_seconds histogram");
  const counts = DURATION_BUCKETS.map(() => 0);
  let sum = 0;
  for (const seconds of metrics.reconcileSeconds) {
    sum += seconds;
    DURATION_BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) counts[i]! += 1;
    });
  }
  DURATION_BUCKETS.forEach((bound, i) => lines.push(`multiverse_reconcile_duration_seconds_bucket{le="${bound}"} ${counts[i]}`));
  lines.push(`multiverse_reconcile_duration_seconds_bucket{le="+Inf"} ${metrics.reconcileSeconds.length}`);
  lines.push(`multiverse_reconcile_duration_seconds_sum ${sum}`);
  lines.push(`multiverse_reconcile_duration_seconds_count ${metrics.reconcileSeconds.length}`);
  lines.push(...renderLoopMetrics(metrics.loops ?? []));
  return `${lines.join("\n")}\n`;
}
