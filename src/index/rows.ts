/** The rows the run index answers with (one shape per table), and how a stored Benchmark row is read back. */
import type { Condition } from "../domain/resources.js";

export interface RunRow {
  runId: string;
  name: string;
  benchmark: string;
  jobName: string;
  dataset: string;
  model: string;
  modelVersion: string;
  seed: number;
  paramsHash: string;
  /** The run's hyperparameters as JSON text. */
  params: string;
  imageReference: string;
  imageDigest: string;
  imageKind: string;
  backend: string;
  phase: string;
  reason: string | null;
  message: string | null;
  attempt: number;
  attemptId: string | null;
  artifactDir: string | null;
  workspaceDir: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AttemptRow {
  attemptId: string;
  runId: string;
  attempt: number;
  executor: string | null;
  handle: string | null;
  workspaceDir: string | null;
  phase: string | null;
  reason: string | null;
  exitCode: number | null;
  oomKilled: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  launchedAt: string | null;
}

export interface TransitionRow {
  seq: number;
  runId: string;
  attemptId: string | null;
  event: string;
  from: string;
  to: string;
  reason: string | null;
  message: string | null;
  ts: string;
}

/** A sweep's trial and its run (SWEEP_TRIAL_ASKED / SWEEP_TRIAL_TOLD). */
export interface SweepTrialRow {
  trialKey: string;
  study: string;
  storage: string;
  trialNumber: number;
  benchmark: string | null;
  jobName: string | null;
  runId: string | null;
  /** The trial's parameters as JSON text. */
  params: string | null;
  /** RUNNING until told; then COMPLETE, PRUNED or FAIL. */
  state: string;
  value: number | null;
  message: string | null;
  askedAt: string | null;
  toldAt: string | null;
}

/** The MLflow projection of one attempt (TRACKING_PROJECTION). */
export interface TrackingProjectionRow {
  attemptId: string;
  runId: string;
  target: string;
  /** pending (retried), synced, or failed (refused by the server, with the reason). */
  state: "pending" | "synced" | "failed";
  trackingUri: string;
  experimentName: string;
  experimentId: string | null;
  mlflowRunId: string | null;
  message: string | null;
  updatedAt: string;
}

/** One entry of the broker's ledger (RESERVATION_GRANTED / RESERVATION_RELEASED). */
export interface ReservationEventRow {
  seq: number;
  runId: string;
  attemptId: string | null;
  event: "granted" | "released";
  cpus: number | null;
  memBytes: number | null;
  gpus: number | null;
  /** released: the phase the run left the holding phases for. */
  phase: string | null;
  ts: string;
}

export interface BenchmarkRow {
  name: string;
  generation: number;
  observedGeneration: number | null;
  specHash: string;
  file: string;
  line: number;
  jobs: number;
  conditions: Condition[];
  runIds: string[];
  deleted: boolean;
  createdAt: string;
  updatedAt: string;
}

export type StoredBenchmarkRow = Omit<BenchmarkRow, "conditions" | "runIds" | "deleted"> & { conditions: string; runIds: string; deleted: number };

export function benchmarkRow(row: StoredBenchmarkRow): BenchmarkRow {
  return { ...row, conditions: JSON.parse(row.conditions) as Condition[], runIds: JSON.parse(row.runIds) as string[], deleted: row.deleted === 1 };
}

export interface RunFilter {
  benchmark?: string;
  phase?: string;
  limit?: number;
  offset?: number;
  /** listRuns only: the runs after this one in listing order (keyset paging: as cheap on page 1,000 as on page 1). */
  after?: RunCursor;
}

/** A run's position in the listing order (benchmark, job name, seed, run id). */
export interface RunCursor {
  benchmark: string;
  jobName: string;
  seed: number;
  runId: string;
}
