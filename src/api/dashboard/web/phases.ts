/** Run phases as the page shows them: order, colour class, what is terminal, and failure classes (pure). */
export const PHASE_ORDER = [
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

const TERMINAL = new Set(["ARTIFACT_SUCCESS", "FAILED", "CANCELLED"]);
const ACTIVE = new Set(["ADMITTED", "RUNNING", "TRAINING_SUCCEEDED", "EVALUATING", "PROMOTING", "CANCEL_REQUESTED"]);

export function isTerminalPhase(phase: string): boolean {
  return TERMINAL.has(phase);
}

/** Something is happening to the run now (a spinner, a followed log). */
export function isActivePhase(phase: string): boolean {
  return ACTIVE.has(phase);
}

/** Whether the page offers to cancel a run in this phase. */
export function isCancellable(phase: string): boolean {
  return !TERMINAL.has(phase) && phase !== "CANCEL_REQUESTED";
}

/** The CSS class of a phase (`ph-running`); unknown phases get `ph-unknown`. */
export function phaseClass(phase: string): string {
  return (PHASE_ORDER as readonly string[]).includes(phase) ? `ph-${phase.toLowerCase().replace(/_/g, "-")}` : "ph-unknown";
}

/** `ARTIFACT_SUCCESS` -> `artifact success`. */
export function phaseLabel(phase: string): string {
  return phase.toLowerCase().replace(/_/g, " ");
}

const FAILURE_CLASSES: Record<string, "infrastructure" | "method" | "user"> = {
  image_missing: "infrastructure",
  launch_error: "infrastructure",
  engine_unavailable: "infrastructure",
  lost: "infrastructure",
  node_fail: "infrastructure",
  preempted: "infrastructure",
  promotion_failed: "infrastructure",
  storage_full: "infrastructure",
  nonzero_exit: "method",
  oom_killed: "method",
  timeout: "method",
  validation_failed: "method",
  unverified_image: "method",
  unschedulable: "method",
  cancelled: "user",
  discarded: "user",
};

/** method: a scientific result (recorded, not retried); infrastructure: retried; user: asked for. */
export function failureClassOf(reason: string | null): string | undefined {
  return reason ? FAILURE_CLASSES[reason] : undefined;
}

/** Phase counts in display order, zero counts left out. */
export function orderedCounts(counts: Record<string, number>): { phase: string; count: number }[] {
  const known = PHASE_ORDER.filter((p) => (counts[p] ?? 0) > 0).map((phase) => ({ phase: phase as string, count: counts[phase]! }));
  const other = Object.keys(counts)
    .filter((p) => !(PHASE_ORDER as readonly string[]).includes(p) && counts[p]! > 0)
    .sort()
    .map((phase) => ({ phase, count: counts[phase]! }));
  return [...known, ...other];
}
