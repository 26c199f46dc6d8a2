/** Run phases, with the seeds' names. */
export const RUN_PHASES = [
  "PENDING",
  "ADMITTED",
  "RUNNING",
  "TRAINING_SUCCEEDED",
  "EVALUATING",
  "PROMOTING",
  "ARTIFACT_SUCCESS",
  "FAILED",
  "CANCEL_REQUESTED",
  "CANCELLED",
  "RECOVERY_PENDING",
] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

export const TERMINAL_PHASES: ReadonlySet<RunPhase> = new Set(["ARTIFACT_SUCCESS", "FAILED", "CANCELLED"]);

export function isTerminal(phase: RunPhase): boolean {
  return TERMINAL_PHASES.has(phase);
}

/**
 * Typed failure reasons. Infrastructure reasons may be retried under the same logical run;
 * method reasons are scientific results and are recorded, not retried (unless the manifest asks).
 */
export const FAILURE_REASONS = {
  image_missing: "infrastructure",
  launch_error: "infrastructure",
  engine_unavailable: "infrastructure",
  lost: "infrastructure",
  /** A batch scheduler lost the node the attempt ran on (Slurm NODE_FAIL). */
  node_fail: "infrastructure",
  /** A batch scheduler preempted the attempt for other work (Slurm PREEMPTED): retried under the same logical run. */
  preempted: "infrastructure",
  nonzero_exit: "method",
  oom_killed: "method",
  timeout: "method",
  validation_failed: "method",
  promotion_failed: "infrastructure",
  /** The state root's disk is full (ENOSPC, EDQUOT): another attempt right away would fail the same way. */
  storage_full: "infrastructure",
  unverified_image: "method",
  unschedulable: "method",
  cancelled: "user",
  discarded: "user",
} as const;
export type FailureReason = keyof typeof FAILURE_REASONS;
export type FailureClass = (typeof FAILURE_REASONS)[FailureReason];

export function failureClass(reason: FailureReason): FailureClass {
  return FAILURE_REASONS[reason];
}
