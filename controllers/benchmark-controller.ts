/**
 * The Benchmark controller: a work queue of Benchmark names, each reconciled level-triggered against the
 * source's desired state and the runs the Run controller knows. It plans a declared spec into runs, hands
 * new ones to the Run controller, cancels runs a new generation no longer asks for (or all of a deleted
 * Benchmark's), and journals status conditions with observedGeneration.
 */
import type { BenchmarkResource, DatasetResource, ModelResource } from "../src/domain/resources.js";
import { isTerminal } from "../src/domain/run-states.js";
import { isMultiverseError } from "../src/domain/errors.js";
import { sameOriginDocument } from "../src/domain/origin.js";
import type { JournalRecord } from "../src/journal/records.js";
import type { DesiredState, SourcedResource } from "../src/sources/resource-source.js";
import type { PlannedRun } from "../reconcilers/plan.js";
import type { PlannedSweep } from "../src/sweeps/sweep-plan.js";
import { reconcileBenchmark, type DeclaredBenchmark, type KnownBenchmark, type PlanOutcome } from "../reconcilers/benchmark-reconciler.js";
import { applyBenchmarkRecord } from "./benchmark-records.js";
import type { JournalWriter } from "../src/journal/journal-writer.js";
import type { ReconcileLoopStats } from "../src/domain/controller-metrics.js";
import type { StatusSink } from "../src/status/status-sink.js";
import type { RunController } from "./run/run-controller.js";
import type { SweepSupervisor } from "./sweep-supervisor.js";
import { ReconcileLoop, type ReconcileResult } from "./loop/reconcile-loop.js";

export interface BenchmarkPlanner {
  /** Plans a Benchmark against the declared catalog; throws a MultiverseError when it cannot be planned. */
  plan(benchmark: BenchmarkResource, catalog: { datasets: DatasetResource[]; models: ModelResource[] }): Promise<{ runs: PlannedRun[]; sweeps: PlannedSweep[] }>;
}

export interface BenchmarkControllerDeps {
  runs: RunController;
  writer: JournalWriter;
  /** Where Benchmark status goes: the journal (JournalStatusSink) and, with a Kubernetes source, the custom resource. */
  status: StatusSink;
  planner: BenchmarkPlanner;
  /** Runs the Benchmarks' sweep jobs; without it a plan with sweeps fails. */
  sweeps?: SweepSupervisor;
  clock?: () => Date;
  onError?: (name: string, error: unknown) => void;
  /** Told after each reconcile of a Benchmark (for logs and readiness). */
  onReconciled?: (name: string, generation: number) => void;
  /**
   * How long a Benchmark must stay undeclared before it counts as deleted (its runs cancelled): a file removed and
   * put back within this time (a checkout, an editor, a sync tool) changes nothing. `deleteNow` skips it.
   */
  deletionGraceMs?: number;
  log?: (line: string) => void;
}

interface CachedPlan {
  key: string;
  outcome: PlanOutcome;
  runs: PlannedRun[];
  sweeps: PlannedSweep[];
}

export class BenchmarkController {
  private readonly known = new Map<string, KnownBenchmark>();
  private readonly loop: ReconcileLoop<string>;
  private readonly plans = new Map<string, CachedPlan>();
  private desired: DesiredState = { revision: 0, resources: [], problems: [] };
  private readonly clock: () => Date;
  /** Benchmarks the journal knows that the source no longer declares, since when (ms). */
  private readonly absentSince = new Map<string, number>();
  /** Deleted on purpose (`multiverse delete`): no grace once the source no longer declares them. */
  private readonly deleteRequested = new Set<string>();

  constructor(private readonly deps: BenchmarkControllerDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.loop = new ReconcileLoop<string>({
      name: "benchmark",
      reconciler: {
        reconcile: (name) => this.reconcile(name),
      },
      baseDelayMs: 200,
      maxDelayMs: 60_000,
      onError: (name, error) => deps.onError?.(name, error),
    });
  }

  load(records: readonly JournalRecord[]): void {
    for (const record of records) applyBenchmarkRecord(this.known, record);
  }

  /** Every journaled record (subscribed to the journal writer) keeps this view current. */
  observe(records: readonly JournalRecord[]): void {
    for (const record of records) applyBenchmarkRecord(this.known, record);
  }

  knownBenchmark(name: string): KnownBenchmark | undefined {
    return this.known.get(name);
  }

  /** A new desired state from the source: every Benchmark it or the journal names gets a look. */
  setDesired(state: DesiredState): void {
    const catalogChanged = catalogKey(state) !== catalogKey(this.desired);
    this.desired = state;
    if (catalogChanged) this.plans.clear();
    for (const name of this.names()) this.loop.enqueue(name);
  }

  /** A run changed phase: its Benchmark's status may change. */
  runChanged(benchmark: string): void {
    if (this.known.has(benchmark) || this.declared(benchmark)) this.loop.enqueue(benchmark);
  }

  /** Forget cached plans (a periodic resync: images rebuilt, datasets registered outside the source). */
  resync(): void {
    this.plans.clear();
    for (const name of this.names()) this.loop.enqueue(name);
  }

  start(): void {
    this.loop.start(1);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  queueDepth(): number {
    return this.loop.queueDepth;
  }

  metrics(): ReconcileLoopStats {
    return this.loop.metrics();
  }

  /** An explicit deletion: once the source no longer declares it, the Benchmark is deleted without the grace. */
  deleteNow(name: string): void {
    this.deleteRequested.add(name);
    this.loop.enqueue(name);
  }

  private names(): Set<string> {
    const names = new Set<string>();
    for (const [name, known] of this.known) if (!known.deleted) names.add(name);
    for (const resource of this.desired.resources) if (resource.kind === "Benchmark") names.add(resource.name);
    return names;
  }

  private declared(name: string): SourcedResource | undefined {
    return this.desired.resources.find((r) => r.kind === "Benchmark" && r.name === name);
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const sourced = this.declared(name);
    const known = this.known.get(name);
    const waitForDeletion = this.deletionPending(name, sourced !== undefined, known);
    if (waitForDeletion !== undefined) return { requeueAfterMs: waitForDeletion };
    let declared: DeclaredBenchmark | undefined;
    let plan: CachedPlan | undefined;
    if (sourced) {
      const benchmark = sourced.resource as BenchmarkResource;
      declared = {
        specHash: sourced.specHash,
        origin: sourced.origin,
        ...(sourced.generation !== undefined ? { generation: sourced.generation } : {}),
        jobs: benchmark.spec.jobs.length,
        stale: sourced.stale,
        sourceProblems: this.desired.problems.filter((p) => p.origin ? sameOriginDocument(p.origin, sourced.origin) : p.file !== undefined && sourced.origin.kind === "file" && p.file === sourced.origin.file).map((p) => `${p.line !== undefined ? `line ${p.line}: ` : ""}${p.message}`),
      };
      plan = await this.planOf(sourced);
    }
    const runs = this.deps.runs
      .all()
      .filter((r) => r.spec.benchmark === name)
      .map((r) => ({ runId: r.runId, phase: r.snapshot.value }));
    const sweeps = plan?.outcome.ok ? plan.sweeps : [];
    let outcome = plan?.outcome;
    let sweepsInProgress = 0;
    let sweepErrors: string[] = [];
    if (plan?.outcome.ok && sweeps.length > 0 && this.deps.sweeps) {
      // Trial runs of the current studies are wanted like planned runs (every trial the journal asked for).
      const planned = new Set(plan.outcome.runIds);
      outcome = { ok: true, runIds: [...plan.outcome.runIds, ...this.deps.sweeps.trialRunIds(sweeps).filter((id) => !planned.has(id))] };
      sweepsInProgress = this.deps.sweeps.unfinished(name, sweeps);
      sweepErrors = this.deps.sweeps.errors(name, sweeps);
    }
    const decision = reconcileBenchmark({ name, declared, known, plan: outcome, runs, sweepsInProgress, sweepErrors, now: this.clock().toISOString() });
    // APPLIED/DELETED first, then the runs, then the status that describes them.
    const status = decision.records.filter((r) => r.type === "BENCHMARK_STATUS");
    this.deps.writer.append(decision.records.filter((r) => r.type !== "BENCHMARK_STATUS"));
    if (plan && decision.applyRunIds.length > 0) {
      const benchmark = sourced!.resource as BenchmarkResource;
      const entries = await this.deps.runs.applyPlan(plan.runs, { skipCompleted: benchmark.spec.skipCompleted ?? true, converge: true, rerunCancelled: decision.records.some((r) => r.type === "BENCHMARK_APPLIED") });
      const active = entries.filter((e) => !isTerminal(this.deps.runs.get(e.runId)?.snapshot.value ?? "PENDING")).map((e) => e.runId);
      this.deps.runs.track(active);
    }
    if (!sourced) this.deps.sweeps?.forget(name);
    else if (plan?.outcome.ok) this.deps.sweeps?.ensure(name, sweeps);
    for (const runId of decision.cancelRunIds) this.deps.runs.requestCancel(runId);
    for (const record of status) {
      if (record.type === "BENCHMARK_STATUS") await this.deps.status.benchmarkStatus({ name, generation: decision.generation, observedGeneration: record.observedGeneration, conditions: record.conditions, runIds: record.runIds, phaseCounts: phaseCounts(runs, record.runIds), ...(sourced ? { origin: sourced.origin } : {}) });
    }
    this.deps.onReconciled?.(name, decision.generation);
    if (decision.records.some((r) => r.type === "BENCHMARK_DELETED")) this.deleteRequested.delete(name);
    return {};
  }

  /** Milliseconds until an undeclared Benchmark counts as deleted, or undefined to reconcile it now. */
  private deletionPending(name: string, declared: boolean, known: KnownBenchmark | undefined): number | undefined {
    // A source that names the resource a problem keeps out (a Kubernetes object that is refused) still has it: not deleted.
    if (!declared && known && !known.deleted && this.desired.problems.some((p) => p.resource?.kind === "Benchmark" && p.resource.name === name)) return 60_000;
    if (declared || !known || known.deleted) {
      if (this.absentSince.delete(name) && declared && known && !known.deleted) this.deps.log?.(`benchmark ${name} is declared again within the grace: not deleted`);
      return undefined;
    }
    const grace = this.deps.deletionGraceMs ?? 0;
    if (this.deleteRequested.has(name) || grace <= 0) return undefined;
    const now = this.clock().getTime();
    const since = this.absentSince.get(name);
    if (since === undefined) {
      this.absentSince.set(name, now);
      this.deps.log?.(`benchmark ${name} is no longer declared: deleted in ${Math.ceil(grace / 1000)} s unless it is declared again`);
      return grace;
    }
    return now - since < grace ? grace - (now - since) : undefined;
  }

  private async planOf(sourced: SourcedResource): Promise<CachedPlan> {
    const key = `${sourced.specHash}`;
    const cached = this.plans.get(sourced.name);
    if (cached && cached.key === key) return cached;
    const catalog = {
      datasets: this.desired.resources.filter((r) => r.kind === "Dataset").map((r) => r.resource as DatasetResource),
      models: this.desired.resources.filter((r) => r.kind === "Model").map((r) => r.resource as ModelResource),
    };
    let entry: CachedPlan;
    try {
      const { runs, sweeps } = await this.deps.planner.plan(sourced.resource as BenchmarkResource, catalog);
      if (sweeps.length > 0 && !this.deps.sweeps) throw new Error(`jobs ${sweeps.map((s) => s.jobName).join(", ")}: this controller does not run sweeps`);
      entry = { key, outcome: { ok: true, runIds: runs.map((r) => r.runId) }, runs, sweeps };
    } catch (error) {
      const located = isMultiverseError(error) ? { code: error.code, ...(error.location.field !== undefined ? { field: error.location.field } : {}) } : {};
      entry = { key, outcome: { ok: false, message: (error as Error).message, ...located }, runs: [], sweeps: [] };
    }
    this.plans.set(sourced.name, entry);
    return entry;
  }
}

function phaseCounts(runs: readonly { runId: string; phase: string }[], wanted: readonly string[]): Record<string, number> {
  const phases = new Map(runs.map((r) => [r.runId, r.phase] as const));
  const counts: Record<string, number> = {};
  for (const runId of wanted) {
    const phase = phases.get(runId) ?? "PENDING";
    counts[phase] = (counts[phase] ?? 0) + 1;
  }
  return counts;
}

/** Datasets and models as declared: when they change, every plan is made again. */
function catalogKey(state: DesiredState): string {
  return state.resources
    .filter((r) => r.kind !== "Benchmark")
    .map((r) => `${r.kind}/${r.name}@${r.specHash}`)
    .sort()
    .join(",");
}
