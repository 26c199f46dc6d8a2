/**
 * The journal's record types. The journal is the source of truth; the SQLite index, the status API
 * and tracking projections are rebuilt from these records plus the artifact store.
 */
import type { ResourceOrigin } from "../domain/origin.js";
import type { FailureReason, RunPhase } from "../domain/run-states.js";
import type { Condition, RunSpec } from "../domain/resources.js";

interface RecordBase {
  /** Monotonic across segments, assigned by the journal on append. */
  seq: number;
  /** ISO-8601 wall-clock time of the append. */
  ts: string;
}

/** A Benchmark was expanded into this run (desired state). Journaled once per logical run and benchmark generation. */
export interface RunPlannedRecord extends RecordBase {
  type: "RUN_PLANNED";
  runId: string;
  name: string;
  spec: RunSpec;
}

/** A state-machine transition of a run. `snapshot` is the persisted xstate snapshot with its machine version. */
export interface RunTransitionRecord extends RecordBase {
  type: "RUN_TRANSITION";
  runId: string;
  attemptId?: string;
  attempt?: number;
  event: string;
  from: RunPhase;
  to: RunPhase;
  reason?: FailureReason;
  message?: string;
  snapshot: PersistedRunSnapshot;
}

/** Written and fsynced before the executor is asked to create the container/job (invariant 1). */
export interface LaunchIntentRecord extends RecordBase {
  type: "LAUNCH_INTENT";
  runId: string;
  attemptId: string;
  attempt: number;
  executor: string;
  /** Deterministic engine-side name (container name, Slurm job name). */
  handle: string;
  workspaceDir: string;
}

/** An attempt's outcome as observed from the engine. */
export interface AttemptExitedRecord extends RecordBase {
  type: "ATTEMPT_EXITED";
  runId: string;
  attemptId: string;
  exitCode: number | null;
  oomKilled: boolean;
  startedAt?: string;
  finishedAt?: string;
}

export interface PromotionIntentRecord extends RecordBase {
  type: "PROMOTION_INTENT";
  runId: string;
  attemptId: string;
  stagingDir: string;
  artifactDir: string;
}

export interface PromotedRecord extends RecordBase {
  type: "PROMOTED";
  runId: string;
  attemptId: string;
  artifactDir: string;
  manifestSha256: string;
}

/** The run was skipped because a verified ARTIFACT_SUCCESS bundle of the same logical run exists. */
export interface RunReusedRecord extends RecordBase {
  type: "RUN_REUSED";
  runId: string;
  attemptId: string;
  artifactDir: string;
}

/**
 * The state of an attempt's projection into a tracking server (MLflow). A projection: it never changes the
 * run's phase. pending = not (yet) complete, retried; synced = complete; failed = refused by the server.
 */
export interface TrackingProjectionRecord extends RecordBase {
  type: "TRACKING_PROJECTION";
  runId: string;
  attemptId: string;
  target: "mlflow";
  state: "pending" | "synced" | "failed";
  trackingUri: string;
  experimentName: string;
  experimentId?: string;
  /** The MLflow run of this attempt, once it exists. */
  mlflowRunId?: string;
  /** Why pending or failed; what was done when synced. */
  message?: string;
}

/** Controller mode: a source declared a Benchmark spec the controller had not seen (a new generation). */
export interface BenchmarkAppliedRecord extends RecordBase {
  type: "BENCHMARK_APPLIED";
  name: string;
  generation: number;
  specHash: string;
  /** File and line that declare it (file sources). */
  file?: string;
  line?: number;
  /** Where it is declared when that is not a file (a Kubernetes object). */
  origin?: ResourceOrigin;
  jobs: number;
}

/** Controller mode: the Benchmark is no longer declared; its non-terminal runs are being cancelled. */
export interface BenchmarkDeletedRecord extends RecordBase {
  type: "BENCHMARK_DELETED";
  name: string;
  generation: number;
}

/** Controller mode: the Benchmark controller's latest view, journaled when it changes. */
export interface BenchmarkStatusRecord extends RecordBase {
  type: "BENCHMARK_STATUS";
  name: string;
  observedGeneration: number;
  conditions: Condition[];
  /** Logical runs the observed generation's plan asks for. */
  runIds: string[];
}

/**
 * A sweep's trial: Optuna was asked for it and it became this run. Journaled before the run is planned, so that a
 * restart continues the trial's run instead of asking again (src/sweeps/sweep-ledger.ts).
 */
export interface SweepTrialAskedRecord extends RecordBase {
  type: "SWEEP_TRIAL_ASKED";
  benchmark: string;
  jobName: string;
  study: string;
  /** Optuna storage URL (a password in it is masked). */
  storage: string;
  trialNumber: number;
  params: Record<string, unknown>;
  runId: string;
  /** The study's direction and metric (absent in journals written before they were recorded). */
  direction?: "minimize" | "maximize";
  optimizeMetric?: string;
}

/** What Optuna was told about a sweep's trial: the run's metric, PRUNED for a missing metric, FAIL for a failed run. */
export interface SweepTrialToldRecord extends RecordBase {
  type: "SWEEP_TRIAL_TOLD";
  study: string;
  storage: string;
  trialNumber: number;
  /** The trial's run; absent for a trial that was asked but never became a run (a crash in between). */
  trialRunId?: string;
  state: "COMPLETE" | "PRUNED" | "FAIL";
  value?: number;
  message?: string;
}

/** What `multiverse gc` collects: a workspace, a staging directory, a promoted bundle, a quarantine entry or a simple-layout _failed/ copy. */
export type GcItemKind = "workspace" | "staging" | "bundle" | "quarantine" | "failed-copy";

/** Journaled before gc removes the directory (a crash in between leaves a half-removed directory the next gc collects again). */
export interface GcCollectedRecord extends RecordBase {
  type: "GC_COLLECTED";
  kind: GcItemKind;
  /** Path relative to the output directory (the state root's parent in the simple layout). */
  path: string;
  runId?: string;
  attemptId?: string;
  bytes: number;
  files: number;
  /** The retention rule that let it go (src/maintenance/gc-rules). */
  rule: string;
}

/** `multiverse export` verified and copied a promoted bundle; gc --apply-to-promoted requires this (and the EXPORTED marker). */
export interface BundleExportedRecord extends RecordBase {
  type: "BUNDLE_EXPORTED";
  runId: string;
  attemptId: string;
  artifactDir: string;
  manifestSha256: string;
  /** The export's directory or tar file. */
  to: string;
}

/**
 * The broker's ledger (seeds doc 001): a run's attempt was granted a reservation of the capacity when it was admitted,
 * journaled in the same batch as the ADMIT transition; released in the batch of the transition that leaves the
 * holding phases (ADMITTED, RUNNING, CANCEL_REQUESTED). After a crash the ledger is read, not guessed.
 */
export interface ReservationGrantedRecord extends RecordBase {
  type: "RESERVATION_GRANTED";
  runId: string;
  attemptId?: string;
  cpus: number;
  memBytes: number;
  gpus: number;
}

export interface ReservationReleasedRecord extends RecordBase {
  type: "RESERVATION_RELEASED";
  runId: string;
  attemptId?: string;
  /** The phase the run left the holding phases for. */
  phase: RunPhase;
}

/** `multiverse migrate` brought the state root from one layout version to the next. */
export interface StateMigratedRecord extends RecordBase {
  type: "STATE_MIGRATED";
  from: number;
  to: number;
  steps: string[];
}

/** A launch's evaluation began: its ready members were handed to the evaluator (src/evaluation). */
export interface EvaluationStartedRecord extends RecordBase {
  type: "EVALUATION_STARTED";
  launchId: string;
  evaluationId: string;
  benchmark: string;
  /** The Benchmark generation the launch planned (controller mode). */
  generation?: number;
  metrics: string;
  backend: string;
  evaluator: string;
  members: number;
  ready: number;
}

/** The evaluation ended: done (outputs moved into the launch dir) or failed (the evaluator could not run or crashed). */
export interface EvaluationFinishedRecord extends RecordBase {
  type: "EVALUATION_FINISHED";
  launchId: string;
  evaluationId: string;
  benchmark: string;
  generation?: number;
  status: "done" | "failed";
  message?: string;
  /** Members by evaluation status (done, evaluation_failed, not_ready, ...). */
  statuses: Record<string, number>;
}

export type JournalRecord =
  | EvaluationStartedRecord
  | EvaluationFinishedRecord
  | BenchmarkAppliedRecord
  | BenchmarkDeletedRecord
  | BenchmarkStatusRecord
  | RunPlannedRecord
  | RunTransitionRecord
  | LaunchIntentRecord
  | AttemptExitedRecord
  | PromotionIntentRecord
  | PromotedRecord
  | RunReusedRecord
  | TrackingProjectionRecord
  | SweepTrialAskedRecord
  | SweepTrialToldRecord
  | GcCollectedRecord
  | BundleExportedRecord
  | StateMigratedRecord
  | ReservationGrantedRecord
  | ReservationReleasedRecord;

export type JournalRecordType = JournalRecord["type"];

/** A record before the journal assigns seq and ts. */
export type NewJournalRecord = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, "seq" | "ts"> : never) : never;

/**
 * Version of the journal's record format (line encoding and record bodies). Bump when a record changes shape in a way
 * an older reader would misread, and ship a step in src/state/migrations.ts.
 */
export const JOURNAL_FORMAT_VERSION = 1;

/** Version of the run machine's persisted snapshots: bump when states, events or context change shape; restore refuses another. */
export const RUN_MACHINE_VERSION = 1;

export interface PersistedRunSnapshot {
  machineVersion: number;
  value: RunPhase;
  context: RunMachineContext;
}

export interface RunMachineContext {
  attempt: number;
  attemptId?: string;
  reason?: FailureReason;
  message?: string;
  artifactDir?: string;
}
