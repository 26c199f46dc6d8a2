import type { Backend } from "../../domain/resources.js";
import { EXIT_OK, EXIT_RUN_FAILED, Errors } from "../../domain/errors.js";
import type { Executor } from "../../executors/executor.js";
import { runManifest, type RunOutcome } from "../../services/run-service.js";
import type { SweepOutcome } from "../../sweeps/sweep-driver.js";
import type { PlanEntry } from "../../../controllers/run/run-controller.js";
import { createExecutor, envsRoot } from "../../executors/registry.js";
import { kubernetesSettings } from "../../executors/kubernetes/settings.js";
import { missingEnvironmentsError, noteMissingEnvironments, type MissingEnvironment } from "./missing-environments.js";
import { parseRunSettings, type RunCliOptions } from "./run-settings.js";
import { Progress } from "../progress.js";
import { json, table, type Io } from "../output.js";
import { evaluationSummary } from "./evaluate.js";

export type { RunCliOptions };

export async function runCommand(options: RunCliOptions, io: Io): Promise<number> {
  const settings = parseRunSettings(options);
  // The kubernetes flags are checked before anything is locked or launched.
  if (options.backend === "kubernetes") kubernetesSettings(options, process.env, settings.output);
  const asJson = options.json === true;
  const mode = asJson ? "quiet" : io.isTty ? "tty" : "lines";
  const progress = new Progress(io, mode);
  const executors = new Map<Backend, Executor>();
  const missingEnvironments = new Map<string, MissingEnvironment>();
  // First Ctrl-C (or SIGTERM): cancel every run that is not finished (containers stopped, evidence kept).
  // A second one exits at once; the journal lets the next `multiverse run` resume where this one stopped.
  let cancelAll: (() => void) | undefined;
  let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted += 1;
    if (interrupted > 1) {
      io.err(`${signal} again: exiting now; run the same command again to resume`);
      process.exit(130);
    }
    io.err(`${signal}: cancelling unfinished runs (press Ctrl-C again to exit at once)`);
    cancelAll?.();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const outcome = await runManifest(settings, {
      ...(settings.execution.evaluate && io.isTty && !asJson ? { onEvaluationProgress: (message: string) => io.err(message) } : {}),
      makeExecutor: (backend, stateRoot) => {
        const existing = executors.get(backend);
        if (existing) return existing;
        const created = createExecutor(backend, { stateRoot, kubernetes: options });
        if (backend === "local") noteMissingEnvironments(created, missingEnvironments);
        executors.set(backend, created);
        return created;
      },
      onPlan: (entries) => {
        if (!asJson) io.err(preflight(entries));
        progress.start(
          entries.filter((e) => e.disposition !== "skipped").map((e) => e.runId),
          () => "PENDING",
        );
      },
      onTransition: (run, from, to) => progress.transition(run, from, to),
      onError: (run, error) => progress.error(run, error),
      onTrialPlanned: ({ entry }) => {
        if (entry.disposition !== "skipped") progress.add(entry.runId, "PENDING");
      },
      onNotice: (notice) => io.err(`multiverse: note: ${notice}`),
      onSweepLog: (message) => {
        if (!asJson && !io.isTty) io.err(message);
      },
      onController: (controller) => {
        // Every model's environment has been looked up by now, and no run is planned yet.
        if (missingEnvironments.size > 0) throw missingEnvironmentsError([...missingEnvironments.values()], envsRoot());
        cancelAll = () => controller.requestCancelAll();
        if (interrupted > 0) cancelAll();
      },
    });
    progress.finish();
    if (asJson) io.out(json(summaryJson(outcome)));
    else io.out(summaryTable(outcome) + (outcome.evaluation ? `\n\nEvaluation:\n${evaluationSummary(outcome.evaluation)}` : ""));
    if (outcome.evaluation?.status === "failed") {
      throw Errors.evaluationFailed(`evaluation of launch ${outcome.evaluation.launchId} failed: ${outcome.evaluation.error ?? "unknown error"}`, {
        details: [`every ready member is evaluation_failed; the evaluator's log: ${outcome.evaluation.launchDir}/evaluator.log`],
      });
    }
    return outcome.allSucceeded ? EXIT_OK : EXIT_RUN_FAILED;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function preflight(entries: PlanEntry[]): string {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.disposition, (counts.get(e.disposition) ?? 0) + 1);
  const lines = [`plan: ${entries.length} runs (${[...counts].map(([k, v]) => `${v} ${k.replace("_", " ")}`).join(", ")})`];
  for (const e of entries) {
    if (e.disposition === "skipped" && e.completedBy) {
      lines.push(`  skip ${e.name}: completed by attempt ${e.completedBy.attemptId} -> ${e.completedBy.artifactDir}`);
    } else if (e.disposition === "new" && e.cacheMiss && e.cacheMiss.changes.length > 0) {
      lines.push(`  new  ${e.name}: changed since run ${e.cacheMiss.previousRunId.slice(0, 12)}: ${e.cacheMiss.changes.join("; ")}`);
    } else if (e.disposition === "recovery_pending") {
      lines.push(`  hold ${e.name}: RECOVERY_PENDING, waiting for an explicit adopt/discard decision`);
    }
  }
  return lines.join("\n");
}

function summaryRows(outcome: RunOutcome) {
  const dispositions = new Map(outcome.entries.map((e) => [e.runId, e.disposition]));
  const misses = new Map(outcome.entries.filter((e) => e.cacheMiss).map((e) => [e.runId, e.cacheMiss]));
  return outcome.runs.map((run) => ({
    runId: run.runId,
    name: run.name,
    job: run.spec.jobName,
    model: run.spec.model,
    dataset: run.spec.dataset,
    seed: run.spec.seed,
    phase: run.snapshot.value,
    reason: run.snapshot.context.reason ?? null,
    message: run.snapshot.context.message ?? null,
    attemptId: run.snapshot.context.attemptId ?? null,
    artifactDir: run.snapshot.value === "ARTIFACT_SUCCESS" ? (run.snapshot.context.artifactDir ?? null) : null,
    umap: run.snapshot.value === "ARTIFACT_SUCCESS" && run.snapshot.context.artifactDir ? `${run.snapshot.context.artifactDir}/umap.png` : null,
    disposition: dispositions.get(run.runId) ?? null,
    cacheMiss: misses.get(run.runId) ?? null,
  }));
}

function summaryJson(outcome: RunOutcome) {
  return { stateRoot: outcome.stateRoot, dryRun: outcome.dryRun, allSucceeded: outcome.allSucceeded, launchId: outcome.launchId ?? null, runs: summaryRows(outcome), sweeps: outcome.sweeps, ...(outcome.evaluation ? { evaluation: outcome.evaluation } : {}) };
}

function summaryTable(outcome: RunOutcome): string {
  const rows = summaryRows(outcome);
  const body = table(
    ["RUN", "MODEL", "DATASET", "SEED", "PHASE", "REASON", "ARTIFACTS"],
    rows.map((r) => [r.name, r.model, r.dataset, r.seed, r.disposition === "skipped" ? `${r.phase} (skipped)` : r.phase, r.reason, r.artifactDir ?? (r.phase === "FAILED" ? "see: multiverse describe run " + r.runId.slice(0, 8) : "")]),
  );
  const ok = rows.filter((r) => r.phase === "ARTIFACT_SUCCESS").length;
  const sweeps = outcome.sweeps.map(sweepLine).join("\n");
  return `${body}\n\n${sweeps ? `${sweeps}\n` : ""}${ok}/${rows.length} runs ARTIFACT_SUCCESS; state root ${outcome.stateRoot}`;
}

function sweepLine(sweep: SweepOutcome): string {
  const count = (state: string) => sweep.trials.filter((t) => t.state === state).length;
  const best = sweep.best ? `; best trial ${sweep.best.number}: ${sweep.optimizeMetric} = ${sweep.best.value} with ${JSON.stringify(sweep.best.params)}` : "";
  const stopped = sweep.error ? `; FAILED: ${sweep.error}` : sweep.stoppedEarly ? `; stopped early: ${sweep.stoppedEarly}` : "";
  return `study ${sweep.studyName} (${sweep.direction} ${sweep.optimizeMetric}, ${sweep.storage}): ${sweep.trials.length}/${sweep.nTrials} trials, ${count("COMPLETE")} complete, ${count("PRUNED")} pruned, ${count("FAIL")} failed${best}${stopped}`;
}
