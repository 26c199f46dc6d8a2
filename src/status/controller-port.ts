/**
 * What the status API needs from a running controller. The API reads the SQLite index (its own read-only
 * connection) and the journal; it never calls into the reconcile loop except through these few methods, so a
 * slow client can never block reconciliation.
 */
import type { JournalRecord } from "../journal/records.js";
import type { ReconcileLoopStats } from "../domain/controller-metrics.js";

export interface ControllerMetrics {
  /** Keys waiting in the work queues (runs and benchmarks). */
  queueDepth: number;
  /** Reconcile durations observed since start, in seconds (for a histogram). */
  reconcileSeconds: readonly number[];
  /** Last seq appended to the journal. */
  journalSeq: number;
  /** Last seq projected into the index. */
  indexSeq: number;
  /** Each reconcile loop's own figures (run, benchmark, sweep, ...). */
  loops?: readonly ReconcileLoopStats[];
}

export interface ControllerPort {
  /** True once the controller has read the journal, adopted what runs, and read its sources once. */
  ready(): boolean;
  metrics(): ControllerMetrics;
  /** Journal records as they are appended (after fsync). Returns an unsubscribe function. */
  subscribe(listener: (records: readonly JournalRecord[]) => void): () => void;
  /**
   * Ask for a run to be cancelled (by run id, unique id prefix, or name). Resolves with the run id and its phase
   * after the request was taken; throws a MultiverseError (not found, ambiguous) otherwise.
   */
  cancelRun(idOrName: string): Promise<{ runId: string; phase: string }>;
}
