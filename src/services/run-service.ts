/**
 * `multiverse run`: the same machinery as the long-running controller, in one process. Apply the manifest
 * as desired state, reconcile until every run needs no more work, report, exit.
 */
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import type { Backend, DatasetResource, ModelResource, ValidatorLevel } from "../domain/resources.js";
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

export interface RunRequest {
  manifestPath: string;
  output: string;
  simple: boolean;
  skipCompleted?: boolean;
  strict?: boolean;
  acceptDegraded?: boolean;
  seed?: number;
  validators?: ValidatorLevel;
  backend?: Backend;
  dryRun?: boolean;
  maxConcurrent?: number;
  pollIntervalMs?: number;
  logLevel?: string;
  modelRoots?: string[];
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
}

export interface RunOutcome {
  stateRoot: string;
  entries: PlanEntry[];
  runs: RunRecord[];
  allSucceeded: boolean;
  dryRun: boolean;
  /** One per sweep job: its study and trials (empty in a dry run). */
  sweeps: SweepOutcome[];
}

export function stateRootFor(output: string, simple: boolean): string {
  return simple ? join(resolve(output), ".multiverse") : resolve(output);
}

export async function runManifest(request: RunRequest): Promise<RunOutcome> {
  const loaded = loadManifestFile(request.manifestPath, { simple: request.simple });
  const benchmark = loaded.benchmark;
  const layoutKind = request.simple || benchmark.spec.layout === "simple" ? "simple" : "store";
  const output = resolve(request.output);
  const stateRoot = stateRootFor(output, layoutKind === "simple");
  // The same kinds of parts as the controller's manager, without a source or an API: lock, then journal session.
  const manager = new Manager();
  await manager.startPart("state root lock", () => acquireStateLock(stateRoot, `multiverse run ${request.manifestPath}`), (lock) => lock.release());
  try {
    const registry = await manager.startPart("executors", () => new ExecutorRegistry({ stateRoot, create: request.makeExecutor }), (made) => made.close());
    const backends = registry.jobBackends(benchmark.spec, { override: request.backend });
    const executors = registry.forBackends(backends);
    const defaultBackend = registry.resolveBackend({ override: request.backend, benchmark: benchmark.spec.backend });
    if (request.backend) for (const job of benchmark.spec.jobs) job.backend = request.backend;

    const catalog = await resolveCatalog({
      stateRoot,
      benchmark,
      manifestDatasets: loaded.datasets as DatasetResource[],
      manifestModels: loaded.models as ModelResource[],
      executors,
      defaultBackend,
      modelRoots: request.modelRoots,
    }).catch((error: unknown) => Promise.reject(relocateDatasetError(error, loaded.datasetOrigins)));
    const plan = planBenchmark(benchmark, catalog, {
      seedOverride: request.seed,
      strict: request.strict,
      acceptDegraded: request.acceptDegraded,
      validators: request.validators,
      backend: request.backend,
      file: request.manifestPath,
      origins: loaded.origins,
    });
    for (const notice of plan.notices) request.onNotice?.(notice);
    if (plan.errors.length > 0) {
      const [first, ...rest] = plan.errors;
      if (first && rest.length === 0) throw first;
      throw Errors.schema(`${plan.errors.length} jobs cannot be planned`, {
        location: { file: request.manifestPath },
        details: plan.errors.map((e) => e.format()),
      });
    }

    // Sweeps need Optuna: fail before any container starts when it is not installed.
    if (plan.sweeps.length > 0 && !request.dryRun) requireOptunaPython();

    const session = await manager.startPart("journal session", () => openControllerSession({
      stateRoot,
      layout: storeLayout(output, layoutKind),
      executors: registry,
      capacity: registry.capacityFor(backends, { maxConcurrent: request.maxConcurrent, hostRamGb: benchmark.spec.hostRamGb }),
      pollIntervalMs: request.pollIntervalMs,
      logLevel: request.logLevel,
      onTransition: request.onTransition,
      onError: request.onError,
      failOnUnwritableJournal: true,
    }), (opened) => opened.close());
    const controller = session.controller;
    request.onController?.(controller);
    const skipCompleted = request.skipCompleted ?? benchmark.spec.skipCompleted ?? false;
    if (!request.dryRun) await controller.releaseLeftovers();
    const entries = await controller.applyPlan(plan.runs, { skipCompleted });
    request.onPlan?.(entries);
    if (request.dryRun) {
      return { stateRoot, entries, runs: entries.map((e) => controller.get(e.runId)).filter((r): r is RunRecord => !!r), allSucceeded: true, dryRun: true, sweeps: [] };
    }
    if (plan.sweeps.length > 0) {
      const result = await runWithSweeps({
        controller,
        writer: session.writer,
        runIds: entries.map((e) => e.runId),
        sweeps: plan.sweeps,
        history: session.history,
        stateRoot,
        parallel: request.maxConcurrent ?? availableParallelism(),
        onTrialPlanned: request.onTrialPlanned,
        studies: studyTrackingHooks(session.tracking),
        log: request.onSweepLog,
      });
      const allSucceeded = result.runs.every((r) => r.snapshot.value === "ARTIFACT_SUCCESS") && result.sweeps.every((s) => s.stoppedEarly === undefined && s.error === undefined);
      return { stateRoot, entries: [...entries, ...result.trialEntries], runs: result.runs, allSucceeded, dryRun: false, sweeps: result.sweeps };
    }
    const runs = await controller.runUntilSettled(entries.map((e) => e.runId));
    return { stateRoot, entries, runs, allSucceeded: runs.every((r) => r.snapshot.value === "ARTIFACT_SUCCESS"), dryRun: false, sweeps: [] };
  } finally {
    await manager.stop();
  }
}
