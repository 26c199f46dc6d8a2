/**
 * The Benchmark controller's decisions, without I/O: which generation the declared spec is, which runs the
 * plan asks for, which runs to cancel (superseded by a new generation, or the Benchmark deleted), and the
 * status conditions in Kubernetes form. The caller plans (catalog I/O) and hands the result in.
 */
import type { Condition } from "../src/domain/resources.js";
import { isTerminal, type RunPhase } from "../src/domain/run-states.js";
import type { NewJournalRecord } from "../src/journal/records.js";
import { describeOrigin, type ResourceOrigin } from "../src/domain/origin.js";
import { Errors } from "../src/domain/errors.js";

export interface DeclaredBenchmark {
  specHash: string;
  /** Where it is declared (a file and line, or a Kubernetes object). */
  origin: ResourceOrigin;
  /** The source's own generation (Kubernetes metadata.generation); without it a spec change counts one up. */
  generation?: number;
  jobs: number;
  /** The declaring file is broken; this is its last good version. */
  stale: boolean;
  /** Problems reported for the declaring file. */
  sourceProblems: string[];
  /** Other declarations of this Benchmark that are ignored ("<file>:<line>"): the source names them loudly. */
  duplicates?: string[];
}

export interface KnownBenchmark {
  generation: number;
  specHash: string;
  deleted: boolean;
  observedGeneration: number | null;
  conditions: Condition[];
  runIds: string[];
}

/** A plan that failed says why; `code` and `field` (a path like spec.jobs[0].params.n_latent) when the spec is at fault. */
export type PlanOutcome = { ok: true; runIds: string[] } | { ok: false; message: string; code?: string; field?: string };

/** Plan failures that are the declaration's own mistake (not the machine's: an image missing, a dataset unreadable). */
export const INVALID_SPEC_CODES: readonly string[] = [Errors.schema, Errors.unknownDataset, Errors.unknownModel, Errors.hyperparameters, Errors.modalities].map((error) => error.code);

export interface BenchmarkInput {
  name: string;
  declared?: DeclaredBenchmark;
  known?: KnownBenchmark;
  /** Required when declared: the plan of the declared spec. */
  plan?: PlanOutcome;
  /** Every run of this benchmark the controller knows, any generation. */
  runs: readonly { runId: string; phase: RunPhase }[];
  /** Sweeps of the plan whose study session has not ended (they will ask for more trial runs). */
  sweepsInProgress?: number;
  /** Why sweeps of the plan failed (their study could not be run). */
  sweepErrors?: readonly string[];
  now: string;
}

export interface BenchmarkDecision {
  /** Records to journal, in order (APPLIED or DELETED first, STATUS last). */
  records: NewJournalRecord[];
  /** Runs of the plan to apply (new ones journaled, existing ones left as they are). */
  applyRunIds: string[];
  /** Non-terminal runs no longer asked for. */
  cancelRunIds: string[];
  generation: number;
  conditions: Condition[];
}

export function reconcileBenchmark(input: BenchmarkInput): BenchmarkDecision {
  const { name, declared, known } = input;
  const records: NewJournalRecord[] = [];
  let generation = known?.generation ?? 0;

  if (!declared) {
    if (!known || known.deleted) return { records, applyRunIds: [], cancelRunIds: [], generation, conditions: known?.conditions ?? [] };
    generation += 1;
    records.push({ type: "BENCHMARK_DELETED", name, generation });
    const cancelRunIds = input.runs.filter((r) => !isTerminal(r.phase)).map((r) => r.runId);
    const conditions = mergeConditions(known.conditions, deletedConditions(input, cancelRunIds.length), input.now, generation);
    records.push({ type: "BENCHMARK_STATUS", name, observedGeneration: generation, conditions, runIds: [] });
    return { records, applyRunIds: [], cancelRunIds, generation, conditions };
  }

  const sourceGenerationMoved = declared.generation !== undefined && declared.generation !== known?.generation;
  const newGeneration = !known || known.deleted || known.specHash !== declared.specHash || sourceGenerationMoved;
  if (newGeneration) {
    generation = declared.generation !== undefined && declared.generation > generation ? declared.generation : generation + 1;
    const where = declared.origin.kind === "file" ? { file: declared.origin.file, line: declared.origin.line ?? 1 } : { origin: declared.origin };
    records.push({ type: "BENCHMARK_APPLIED", name, generation, specHash: declared.specHash, ...where, jobs: declared.jobs });
  }
  const plan = input.plan ?? { ok: false, message: "not planned yet" };
  // A spec that cannot be planned leaves the previous generation's runs alone: failing safe, not cancelling work.
  const runIds = plan.ok ? plan.runIds : (known?.runIds ?? []);
  const wanted = new Set(runIds);
  const cancelRunIds = plan.ok ? input.runs.filter((r) => !wanted.has(r.runId) && !isTerminal(r.phase)).map((r) => r.runId) : [];
  const phases = new Map(input.runs.map((r) => [r.runId, r.phase] as const));
  const planned = runIds.map((runId) => phases.get(runId) ?? "PENDING");
  const conditions = mergeConditions(known?.conditions ?? [], declaredConditions(declared, plan, planned, cancelRunIds.length, input.sweepsInProgress ?? 0, input.sweepErrors ?? []), input.now, generation);
  if (statusChanged(known, generation, conditions, runIds)) {
    records.push({ type: "BENCHMARK_STATUS", name, observedGeneration: generation, conditions, runIds });
  }
  return { records, applyRunIds: plan.ok ? runIds : [], cancelRunIds, generation, conditions };
}

type ConditionDraft = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

function declaredConditions(declared: DeclaredBenchmark, plan: PlanOutcome, planned: readonly RunPhase[], cancelling: number, sweeps: number, sweepErrors: readonly string[]): ConditionDraft[] {
  // A Kubernetes object the API server accepted but that names what does not exist or breaks a model's schema is
  // refused by multiverse's validation: SourceValid says so with the field (a file's broken spec is its own problem).
  const invalid = !plan.ok && declared.origin.kind === "kubernetes" && plan.code !== undefined && INVALID_SPEC_CODES.includes(plan.code);
  const source: ConditionDraft = declared.stale
    ? { type: "SourceValid", status: "False", reason: "SourceError", message: `${declared.origin.kind === "file" ? declared.origin.file : describeOrigin(declared.origin)} is broken; acting on its last good version: ${declared.sourceProblems.join("; ") || "unreadable"}` }
    : invalid && !plan.ok
      ? { type: "SourceValid", status: "False", reason: "InvalidSpec", message: `${plan.field ? `${plan.field}: ` : ""}${plan.message}` }
      : declared.duplicates && declared.duplicates.length > 0
        ? { type: "SourceValid", status: "False", reason: "DuplicateDeclaration", message: `declared in ${describeOrigin(declared.origin)} (acted on) and also in ${declared.duplicates.join(", ")} (ignored): remove or rename one` }
        : { type: "SourceValid", status: "True", reason: "Parsed", message: `declared in ${describeOrigin(declared.origin)}` };
  if (!plan.ok) {
    return [
      source,
      { type: "Planned", status: "False", reason: "PlanFailed", message: plan.message },
      { type: "Progressing", status: "False", reason: "PlanFailed", message: "no runs planned for this generation" },
      { type: "Ready", status: "False", reason: "PlanFailed", message: plan.message },
    ];
  }
  const total = planned.length;
  const terminal = planned.filter((p) => isTerminal(p)).length;
  const succeeded = planned.filter((p) => p === "ARTIFACT_SUCCESS").length;
  const failed = planned.filter((p) => p === "FAILED").length;
  const cancelled = planned.filter((p) => p === "CANCELLED").length;
  const recovery = planned.filter((p) => p === "RECOVERY_PENDING").length;
  const inProgress = total - terminal;
  const progress = `${terminal} of ${total} runs terminal (${succeeded} succeeded, ${failed} failed, ${cancelled} cancelled)${sweeps > 0 ? `; ${sweeps} sweeps asking for trials` : ""}`;
  const busyReason = recovery > 0 ? "RecoveryPending" : inProgress > 0 ? "RunsInProgress" : "SweepsInProgress";
  const progressing: ConditionDraft =
    inProgress > 0 || cancelling > 0 || sweeps > 0
      ? { type: "Progressing", status: "True", reason: busyReason, message: `${progress}${cancelling > 0 ? `; cancelling ${cancelling} superseded runs` : ""}${recovery > 0 ? `; ${recovery} waiting for recover adopt|discard` : ""}` }
      : { type: "Progressing", status: "False", reason: "Settled", message: progress };
  let ready: ConditionDraft;
  if (inProgress > 0 || sweeps > 0) ready = { type: "Ready", status: "False", reason: busyReason, message: progress };
  else if (sweepErrors.length > 0) ready = { type: "Ready", status: "False", reason: "SweepFailed", message: `${progress}; ${sweepErrors.join("; ")}` };
  else if (succeeded === total) ready = { type: "Ready", status: "True", reason: "AllRunsSucceeded", message: progress };
  else ready = { type: "Ready", status: "False", reason: failed > 0 ? "RunsFailed" : "RunsCancelled", message: progress };
  return [source, { type: "Planned", status: "True", reason: "Planned", message: `${total} runs from ${declared.jobs} jobs` }, progressing, ready];
}

function deletedConditions(input: BenchmarkInput, cancelling: number): ConditionDraft[] {
  const message = cancelling > 0 ? `no longer declared; cancelling ${cancelling} runs, bundles stay` : "no longer declared; bundles stay";
  return [
    { type: "Progressing", status: cancelling > 0 ? "True" : "False", reason: "Deleted", message },
    { type: "Ready", status: "False", reason: "Deleted", message },
  ];
}

/** Conditions another controller owns (the Evaluation controller's): kept as they are, never dropped here. */
export const FOREIGN_CONDITION_TYPES: readonly string[] = ["Evaluated"];

/** Kubernetes semantics: lastTransitionTime changes only when a condition's status changes. */
export function mergeConditions(previous: readonly Condition[], drafts: readonly ConditionDraft[], now: string, observedGeneration: number): Condition[] {
  const merged = drafts.map((draft) => {
    const before = previous.find((c) => c.type === draft.type);
    const lastTransitionTime = before && before.status === draft.status ? before.lastTransitionTime : now;
    return { ...draft, lastTransitionTime, observedGeneration };
  });
  const drafted = new Set(drafts.map((d) => d.type));
  return [...merged, ...previous.filter((c) => FOREIGN_CONDITION_TYPES.includes(c.type) && !drafted.has(c.type))];
}

function statusChanged(known: KnownBenchmark | undefined, generation: number, conditions: readonly Condition[], runIds: readonly string[]): boolean {
  if (!known || known.observedGeneration !== generation) return true;
  if (JSON.stringify(known.runIds) !== JSON.stringify(runIds)) return true;
  return JSON.stringify(known.conditions) !== JSON.stringify(conditions);
}
