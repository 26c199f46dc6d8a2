/**
 * What a Benchmark's /status says (pure): the Benchmark controller's journaled conditions, the source's own verdict
 * on the object (SourceValid: the object as the API server holds it now, which may be newer than what the
 * controller acts on), the observed generation in the object's own terms (metadata.generation), and the counts of
 * the planned runs by phase group (status.runs, the printer columns' RUNS, SUCCEEDED, FAILED). Datasets and Models get their SourceValid alone.
 */
import type { Condition } from "../../domain/resources.js";
import type { RunPhase } from "../../domain/run-states.js";
import type { ObjectVerdict } from "../../sources/kubernetes/compose-state.js";
import { API_VERSION, type KubeObject, type SourceKindName } from "../../sources/kubernetes/kube-objects.js";

export interface JournaledBenchmark {
  name: string;
  /** The object the journal's current generation came from. */
  namespace?: string;
  uid?: string;
  objectGeneration?: number;
  deleted: boolean;
  conditions: Condition[];
  runIds: string[];
}

/** The SourceValid condition of a verdict; `since` keeps lastTransitionTime until the status flips. */
export function sourceValidCondition(verdict: ObjectVerdict, since: string): Condition {
  const problem = verdict.problem;
  return problem
    ? { type: "SourceValid", status: "False", reason: "InvalidSpec", message: `${problem.field ? `${problem.field}: ` : ""}${problem.message}`, lastTransitionTime: since, observedGeneration: verdict.generation }
    : { type: "SourceValid", status: "True", reason: "Valid", message: "accepted by multiverse's validation", lastTransitionTime: since, observedGeneration: verdict.generation };
}

/** status.runs of the CRD (crds/benchmark.yaml): the planned runs by phase group, as the printer columns show them. */
export interface RunCounts {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  skipped: number;
}

const GROUP_OF: Record<RunPhase, Exclude<keyof RunCounts, "total" | "skipped">> = {
  PENDING: "pending",
  ADMITTED: "pending",
  RUNNING: "running",
  TRAINING_SUCCEEDED: "running",
  EVALUATING: "running",
  PROMOTING: "running",
  CANCEL_REQUESTED: "running",
  RECOVERY_PENDING: "running",
  ARTIFACT_SUCCESS: "succeeded",
  FAILED: "failed",
  CANCELLED: "cancelled",
};

export function runCounts(runIds: readonly string[], phaseOf: (runId: string) => RunPhase | undefined): RunCounts {
  const counts: RunCounts = { total: runIds.length, pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, skipped: 0 };
  for (const runId of runIds) counts[GROUP_OF[phaseOf(runId) ?? "PENDING"]] += 1;
  return counts;
}

/**
 * The Benchmark's status. Without a journaled status for this object yet (a new or refused object) it holds the
 * source's verdict alone; the journal's SourceValid gives way to the verdict only when the verdict refuses the object.
 */
export function benchmarkStatusObject(target: { namespace: string; name: string }, journaled: JournaledBenchmark | undefined, verdict: Condition | undefined, counts: RunCounts): KubeObject {
  const observedGeneration = journaled?.objectGeneration;
  const conditions = (journaled?.conditions ?? []).map((c) => (observedGeneration !== undefined ? { ...c, observedGeneration } : c));
  if (verdict) {
    const at = conditions.findIndex((c) => c.type === "SourceValid");
    if (at < 0) conditions.unshift(verdict);
    // The journal's condition survives a restart (its lastTransitionTime too); a refusal is newer than the journal.
    else if (verdict.status === "False") conditions[at] = verdict;
  }
  const status: Record<string, unknown> = { conditions, runs: counts };
  if (observedGeneration !== undefined) status.observedGeneration = observedGeneration;
  return { apiVersion: API_VERSION, kind: "Benchmark", metadata: { name: target.name, namespace: target.namespace }, status };
}

/** A Dataset's or Model's status: whether multiverse accepts it. */
export function sourceStatusObject(kind: SourceKindName, verdict: ObjectVerdict, condition: Condition): KubeObject {
  return { apiVersion: API_VERSION, kind, metadata: { name: verdict.name, namespace: verdict.namespace }, status: { observedGeneration: verdict.generation, conditions: [condition] } };
}
