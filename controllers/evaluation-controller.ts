/**
 * The Evaluation controller: a Benchmark with `evaluation: {enabled: true}` is evaluated once every run of its
 * observed generation is terminal. Each generation is one launch (its cohort written when the generation is first
 * seen, refreshed before evaluation); the outcome is the `Evaluated` condition (observedGeneration, reason, the best
 * score in its message) next to the Benchmark controller's conditions. Level-triggered on the shared reconcile loop:
 * a run's transition, a Benchmark status or a desired-state change enqueues the Benchmark.
 */
import type { BenchmarkResource, Condition } from "../src/domain/resources.js";
import { isTerminal } from "../src/domain/run-states.js";
import type { ReconcileLoopStats } from "../src/domain/controller-metrics.js";
import type { JournalRecord } from "../src/journal/records.js";
import type { RunRecord } from "../src/journal/run-records.js";
import type { DesiredState } from "../src/sources/resource-source.js";
import type { StatusSink } from "../src/status/status-sink.js";
import { buildCohort, plannedMemberOf } from "../src/evaluation/cohort.js";
import { newLaunchId } from "../src/evaluation/launch-id.js";
import { listLaunches, readCohort, writeCohort } from "../src/evaluation/launch-store.js";
import { bestMember, evaluatedCondition, type EvaluatedDraft, type EvaluationState, type EvaluationSummary } from "../src/evaluation/evaluation-summary.js";
import type { KnownBenchmark } from "../reconcilers/benchmark-reconciler.js";
import { ReconcileLoop, type ReconcileResult } from "./loop/reconcile-loop.js";

export interface EvaluationControllerDeps {
  stateRoot: string;
  runs: { all(): RunRecord[]; get(runId: string): RunRecord | undefined };
  benchmarks: { knownBenchmark(name: string): KnownBenchmark | undefined };
  status: StatusSink;
  /** Evaluates one launch (journals EVALUATION_STARTED/FINISHED); resolves with its status and, when done, its summary. */
  evaluate(launchId: string, runs: readonly RunRecord[]): Promise<{ status: "done" | "failed"; error?: string; statuses: Record<string, number>; summary?: EvaluationSummary }>;
  /** The summary of an evaluated launch (from its report), for a restarted controller. */
  summaryOf(launchId: string): EvaluationSummary | undefined;
  clock?: () => Date;
  /** An evaluation that could not start is tried again after this long (default 5 minutes). */
  retryAfterMs?: number;
  log?: (line: string) => void;
  onError?: (name: string, error: unknown) => void;
}

interface Finished {
  status: "done" | "failed";
  message?: string;
  statuses: Record<string, number>;
}

export class EvaluationController {
  private readonly loop: ReconcileLoop<string>;
  private readonly desired = new Map<string, BenchmarkResource>();
  /** `${benchmark}@${generation}` -> launch id. */
  private readonly launches = new Map<string, string>();
  private readonly finished = new Map<string, Finished>();
  private readonly clock: () => Date;

  constructor(private readonly deps: EvaluationControllerDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.loop = new ReconcileLoop<string>({ name: "evaluation", reconciler: { reconcile: (name) => this.reconcile(name) }, baseDelayMs: 1000, maxDelayMs: 300_000, onError: (name, error) => deps.onError?.(name, error) });
  }

  /** The journal's evaluation outcomes and the launches already written under the state root. */
  load(history: readonly JournalRecord[]): void {
    this.observe(history);
    for (const launchId of listLaunches(this.deps.stateRoot)) {
      const cohort = readCohort(this.deps.stateRoot, launchId);
      if (cohort.source === "controller" && cohort.generation !== null) this.launches.set(`${cohort.benchmark}@${cohort.generation}`, launchId);
    }
  }

  observe(records: readonly JournalRecord[]): void {
    for (const record of records) {
      if (record.type === "EVALUATION_FINISHED") {
        this.finished.set(record.launchId, { status: record.status, statuses: record.statuses, ...(record.message ? { message: record.message } : {}) });
      } else if (record.type === "BENCHMARK_STATUS" && this.enabled(record.name)) {
        // The Benchmark controller's status may have been computed before ours was written: look again.
        if (!record.conditions.some((c) => c.type === "Evaluated" && c.observedGeneration === record.observedGeneration)) this.loop.enqueue(record.name);
      }
    }
  }

  setDesired(state: DesiredState): void {
    this.desired.clear();
    for (const r of state.resources) if (r.kind === "Benchmark") this.desired.set(r.name, r.resource as BenchmarkResource);
    for (const name of this.desired.keys()) if (this.enabled(name)) this.loop.enqueue(name);
  }

  runChanged(benchmark: string): void {
    if (this.enabled(benchmark)) this.loop.enqueue(benchmark);
  }

  start(): void {
    this.loop.start(1);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  metrics(): ReconcileLoopStats {
    return this.loop.metrics();
  }

  queueDepth(): number {
    return this.loop.queueDepth;
  }

  private enabled(name: string): boolean {
    return this.desired.get(name)?.spec.evaluation?.enabled === true;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const benchmark = this.desired.get(name);
    const known = this.deps.benchmarks.knownBenchmark(name);
    if (!benchmark || !this.enabled(name) || !known || known.deleted || known.observedGeneration === null || known.runIds.length === 0) return {};
    const generation = known.observedGeneration;
    const runs = known.runIds.map((id) => this.deps.runs.get(id)).filter((r): r is RunRecord => r !== undefined);
    const launchId = this.launchFor(benchmark, generation, runs);
    const terminal = runs.filter((r) => isTerminal(r.snapshot.value)).length;
    if (terminal < known.runIds.length) {
      await this.setCondition(name, { kind: "waiting", terminal, total: known.runIds.length });
      return {};
    }
    const finished = this.finished.get(launchId);
    if (finished) {
      await this.setCondition(name, this.stateOf(launchId, finished, this.deps.summaryOf(launchId)));
      return {};
    }
    // The cohort again with what the runs are now (attempts, bundles), then the evaluation.
    writeCohort(this.deps.stateRoot, this.cohortOf(benchmark, generation, runs, launchId, readCohort(this.deps.stateRoot, launchId).created_at));
    await this.setCondition(name, { kind: "evaluating", launchId });
    this.deps.log?.(`benchmark ${name} generation ${generation}: every run is terminal, evaluating launch ${launchId}`);
    try {
      const outcome = await this.deps.evaluate(launchId, runs);
      this.finished.set(launchId, { status: outcome.status, statuses: outcome.statuses, ...(outcome.error ? { message: outcome.error } : {}) });
      await this.setCondition(name, this.stateOf(launchId, this.finished.get(launchId)!, outcome.summary));
      this.deps.log?.(`benchmark ${name} generation ${generation}: evaluation ${outcome.status}${outcome.error ? `: ${outcome.error}` : ""}`);
      return {};
    } catch (error) {
      // It could not start (no evaluator environment, a locked state): said in the condition, tried again later.
      await this.setCondition(name, { kind: "failed", launchId, error: (error as Error).message });
      this.deps.log?.(`benchmark ${name}: evaluation could not run: ${(error as Error).message}`);
      return { requeueAfterMs: this.deps.retryAfterMs ?? 300_000 };
    }
  }

  private stateOf(launchId: string, finished: Finished, summary: EvaluationSummary | undefined): EvaluationState {
    if (finished.status === "failed") return { kind: "failed", launchId, error: finished.message ?? "the evaluation failed" };
    const best = summary ? bestMember(summary) : undefined;
    return { kind: "done", launchId, statuses: finished.statuses, ...(best ? { best } : {}) };
  }

  private cohortOf(benchmark: BenchmarkResource, generation: number, runs: readonly RunRecord[], launchId: string, createdAt: string) {
    return buildCohort(
      { launchId, createdAt, source: "controller", benchmark, generation, manifest: null },
      runs.map((r) => plannedMemberOf({ runId: r.runId, name: r.name, disposition: "planned" }, r)),
    );
  }

  private launchFor(benchmark: BenchmarkResource, generation: number, runs: readonly RunRecord[]): string {
    const key = `${benchmark.metadata.name}@${generation}`;
    const existing = this.launches.get(key);
    if (existing) return existing;
    const now = this.clock();
    const launchId = newLaunchId(now);
    writeCohort(this.deps.stateRoot, this.cohortOf(benchmark, generation, runs, launchId, now.toISOString()));
    this.launches.set(key, launchId);
    return launchId;
  }

  /** Written only when it changes (Kubernetes semantics: lastTransitionTime moves with the status). */
  private async setCondition(name: string, state: EvaluationState): Promise<void> {
    const draft: EvaluatedDraft | undefined = evaluatedCondition(state);
    const known = this.deps.benchmarks.knownBenchmark(name);
    if (!draft || !known || known.observedGeneration === null) return;
    const generation = known.observedGeneration;
    const before = known.conditions.find((c) => c.type === "Evaluated");
    if (before && before.status === draft.status && before.reason === draft.reason && before.message === draft.message && before.observedGeneration === generation) return;
    const condition: Condition = { ...draft, lastTransitionTime: before && before.status === draft.status ? before.lastTransitionTime : this.clock().toISOString(), observedGeneration: generation };
    const conditions = [...known.conditions.filter((c) => c.type !== "Evaluated"), condition];
    const phaseCounts: Record<string, number> = {};
    for (const id of known.runIds) {
      const phase = this.deps.runs.get(id)?.snapshot.value ?? "PENDING";
      phaseCounts[phase] = (phaseCounts[phase] ?? 0) + 1;
    }
    await this.deps.status.benchmarkStatus({ name, generation: known.generation, observedGeneration: generation, conditions, runIds: known.runIds, phaseCounts });
  }
}
