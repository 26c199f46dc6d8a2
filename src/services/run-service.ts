/**
 * `multiverse run`: the same machinery as the long-running controller, in one process. Apply the manifest
 * as desired state, reconcile until every run needs no more work, report, exit.
 */
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import type { Backend, DatasetResource, ModelResource } from "../domain/resources.js";
import type { RunSettings } from "./run-settings.js";
import type { RunPhase } from "../domain/run-states.js";
import { Errors } from "../domain/errors.js";
import type { Executor } from "../executors/executor.js";
import { loadManifestFile } from "../manifest/load-manifest.js";
import { relocateDatasetError } from "../manifest/job-origins.js";
import { storeLayout } from "../artifacts/layout.js";
import { acquireStateLock } from "../state/state-root.js";
import { openControllerSession } from "./controller-session.js";
import { Manager } from "../../controllers/manager.js";
import { planBenchmark } from "../../reconcilers/plan.js";
import type { PlanEntry, RunController } from "../../controllers/run/run-controller.js";
import type { RunRecord } from "../journal/run-records.js";
import { resolveCatalog } from "./resolve-catalog.js";
import { ExecutorRegistry } from "../executors/registry.js";
import { requireOptunaPython } from "../sweeps/optuna-bridge.js";
import { runWithSweeps } from "../../controllers/run-sweeps.js";
import type { SweepOutcome } from "../sweeps/sweep-driver.js";
import { studyTrackingHooks } from "../sweeps/study-subject.js";
import type { TrialPlanned } from "../../controllers/trial-runner.js";
import { buildCohort, plannedMemberOf, type PlannedMember } from "../evaluation/cohort.js";
import { CohortRecorder } from "../evaluation/cohort-recorder.js";
import { newLaunchId } from "../evaluation/launch-id.js";
import { evaluateWithSession, type EvaluationResult } from "./evaluation-service.js";
import { EvaluatingTrialScorer } from "./trial-scorer.js";
import { isScoreMetric } from "../sweeps/trial-outcome.js";

export type { RunSettings };

/** How `multiverse run` talks back to its caller while it works; none of them changes what is done. */
export interface RunHooks {
  makeExecutor: (backend: Backend, stateRoot: string) => Executor;
  onPlan?: (entries: PlanEntry[]) => void;
  onTransition?: (run: RunRecord, from: RunPhase, to: RunPhase) => void;
  onError?: (run: RunRecord, error: unknown) => void;
  /** Handed the controller once it exists (for cancellation on a signal). */
  onController?: (controller: RunController) => void;
  /** A sweep's trial became a run (planned while other runs are under way). */
  onTrialPlanned?: (planned: TrialPlanned) => void;
  /** Things the plan wants the user to know that are not errors (e.g. parameters no schema checks). */
  onNotice?: (notice: string) => void;
  /** The sweep drivers' progress lines (also in <state root>/optuna/sweeps.log). */
  onSweepLog?: (message: string) => void;
  /** `--evaluate`: the evaluation's progress lines. */
  onEvaluationProgress?: (message: string) => void;
}

export interface RunOutcome {
  stateRoot: string;
  entries: PlanEntry[];
  runs: RunRecord[];
  allSucceeded: boolean;
  dryRun: boolean;
  /** One per sweep job: its study and trials (empty in a dry run). */
  sweeps: SweepOutcome[];
  /** The launch's id (its cohort is under <output>/.multiverse/launches/<id>/); absent for a dry run. */
  launchId?: string;
  /** --evaluate: the evaluation's outcome. */
  evaluation?: EvaluationResult;
}

export function stateRootFor(output: string, simple: boolean): string {
  return simple ? join(resolve(output), ".multiverse") : resolve(output);
}

export async function runManifest(settings: RunSettings, hooks: RunHooks): Promise<RunOutcome> {
  const path = settings.manifest.path;
  const simple = settings.manifest.simple;
  const backend = settings.plan.backend;
  const dryRun = settings.execution.dryRun;
  const maxConcurrent = settings.execution.maxConcurrent;
  const loaded = loadManifestFile(path, { simple });
  const benchmark = loaded.benchmark;
  const layoutKind = simple || benchmark.spec.layout === "simple" ? "simple" : "store";
  const output = resolve(settings.output);
  const stateRoot = stateRootFor(output, layoutKind === "simple");
  // The same kinds of parts as the controller's manager, without a source or an API: lock, then journal session.
  const manager = new Manager();
  await manager.startPart("state root lock", () => acquireStateLock(stateRoot, `multiverse run ${path}`), (lock) => lock.release());
  try {
    const registry = await manager.startPart("executors", () => new ExecutorRegistry({ stateRoot, create: hooks.makeExecutor }), (made) => made.close());
    const backends = registry.jobBackends(benchmark.spec, { override: backend });
    const executors = registry.forBackends(backends);
    const defaultBackend = registry.resolveBackend({ override: backend, benchmark: benchmark.spec.backend });
    const capacity = registry.capacityFor(backends, { maxConcurrent, hostRamGb: benchmark.spec.hostRamGb });
    if (backend) for (const job of benchmark.spec.jobs) job.backend = backend;

    const catalog = await resolveCatalog({
      stateRoot,
      benchmark,
      manifestDatasets: loaded.datasets as DatasetResource[],
      manifestModels: loaded.models as ModelResource[],
      executors,
      defaultBackend,
      ...(settings.plan.noImagePull ? { noImagePull: true } : {}),
      ...(hooks.onNotice ? { onProgress: hooks.onNotice } : {}),
    }).catch((error: unknown) => Promise.reject(relocateDatasetError(error, loaded.datasetOrigins)));
    const plan = planBenchmark(benchmark, catalog, { ...settings.plan, file: path, origins: loaded.origins });
    for (const notice of plan.notices) hooks.onNotice?.(notice);
    if (plan.errors.length > 0) {
      const [first, ...rest] = plan.errors;
      if (first && rest.length === 0) throw first;
      throw Errors.schema(`${plan.errors.length} jobs cannot be planned`, {
        location: { file: path },
        details: plan.errors.map((e) => e.format()),
      });
    }

    // Sweeps need Optuna: fail before any container starts when it is not installed.
    if (plan.sweeps.length > 0 && !dryRun) requireOptunaPython();

    const session = await manager.startPart("journal session", () => openControllerSession({
      stateRoot,
      layout: storeLayout(output, layoutKind),
      executors: registry,
      capacity,
      onTransition: hooks.onTransition,
      onError: hooks.onError,
      failOnUnwritableJournal: true,
    }), (opened) => opened.close());
    const controller = session.controller;
    hooks.onController?.(controller);
    const skipCompleted = settings.execution.skipCompleted ?? benchmark.spec.skipCompleted ?? false;
    if (!dryRun) await controller.releaseLeftovers();
    const entries = await controller.applyPlan(plan.runs, { skipCompleted });
    hooks.onPlan?.(entries);
    if (dryRun) {
      return { stateRoot, entries, runs: entries.map((e) => controller.get(e.runId)).filter((r): r is RunRecord => !!r), allSucceeded: true, dryRun: true, sweeps: [] };
    }
    // The launch's cohort: every planned member (skipped and resumed ones too), kept current from the journal.
    const membersOf = (planned: readonly PlanEntry[]): PlannedMember[] => planned.flatMap((e) => {
      const record = controller.get(e.runId);
      return record ? [plannedMemberOf(e, record)] : [];
    });
    const launchId = newLaunchId();
    const cohort = await manager.startPart("launch cohort", () => {
      const recorder = new CohortRecorder(stateRoot, benchmark, buildCohort({ launchId, createdAt: new Date().toISOString(), source: "run", benchmark, generation: null, manifest: resolve(settings.manifest.path) }, membersOf(entries)));
      recorder.follow(session.writer);
      return recorder;
    }, (recorder) => recorder.stop());
    const evaluate = async (outcome: RunOutcome): Promise<RunOutcome> => {
      if (!settings.execution.evaluate) return outcome;
      const runs = new Map(session.store.all().map((r) => [r.runId, r]));
      const backend = defaultBackend === "docker" ? "docker" : "local";
      const onProgress = hooks.onEvaluationProgress;
      return { ...outcome, evaluation: await evaluateWithSession(stateRoot, { writer: session.writer, runs }, launchId, { backend, ...(onProgress ? { onProgress } : {}) }) };
    };
    if (plan.sweeps.length > 0) {
      const result = await runWithSweeps({
        controller,
        writer: session.writer,
        runIds: entries.map((e) => e.runId),
        sweeps: plan.sweeps,
        history: session.history,
        stateRoot,
        parallel: maxConcurrent ?? availableParallelism(),
        onTrialPlanned: (planned) => {
          cohort.add(membersOf([planned.entry]));
          hooks.onTrialPlanned?.(planned);
        },
        studies: studyTrackingHooks(session.tracking),
        ...(plan.sweeps.some((s) => isScoreMetric(s.optimizeMetric))
          ? {
              scorer: new EvaluatingTrialScorer({
                stateRoot,
                writer: session.writer,
                runs: () => new Map(session.store.all().map((r) => [r.runId, r])),
                ...(hooks.onSweepLog ? { log: hooks.onSweepLog } : {}),
              }),
            }
          : {}),
        log: hooks.onSweepLog,
      });
      const allSucceeded = result.runs.every((r) => r.snapshot.value === "ARTIFACT_SUCCESS") && result.sweeps.every((s) => s.stoppedEarly === undefined && s.error === undefined);
      return await evaluate({ stateRoot, entries: [...entries, ...result.trialEntries], runs: result.runs, allSucceeded, dryRun: false, sweeps: result.sweeps, launchId });
    }
    const runs = await controller.runUntilSettled(entries.map((e) => e.runId));
    return await evaluate({ stateRoot, entries, runs, allSucceeded: runs.every((r) => r.snapshot.value === "ARTIFACT_SUCCESS"), dryRun: false, sweeps: [], launchId });
  } finally {
    await manager.stop();
  }
}
