/**
 * Scores of sweep trials: a trial's promoted run is evaluated on its own (a launch of one member, source "sweep"),
 * with the evaluator's fixed controls (the unintegrated PCA of the dataset and a seeded random embedding, computed
 * the same way for every trial), and the study is told the raw score. Evaluations run one at a time: each holds an
 * evaluator process of about 1.5 GB, and trials of one dataset are compared on the same footing either way.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { JournalWriter } from "../journal/journal-writer.js";
import type { RunRecord } from "../journal/run-records.js";
import { trialCohort } from "../evaluation/cohort.js";
import { newLaunchId } from "../evaluation/launch-id.js";
import { writeCohort } from "../evaluation/launch-store.js";
import { EVALUATIONS_DIR } from "../evaluation/output-check.js";
import type { TrialScorer } from "../sweeps/sweep-driver.js";
import type { PlannedSweep } from "../sweeps/sweep-plan.js";
import { outcomeFromMemberEvaluation, type TrialOutcome } from "../sweeps/trial-outcome.js";
import { evaluateWithSession, type EvaluatorBackend } from "./evaluation-service.js";

export interface EvaluatingTrialScorerDeps {
  stateRoot: string;
  writer: JournalWriter;
  /** The runs as the journal has them when the evaluation starts. */
  runs: () => ReadonlyMap<string, RunRecord>;
  log?: (message: string) => void;
}

/** The evaluator runs where the trial ran when that is Docker, else in the local sandbox (as `run --evaluate`). */
function evaluatorBackendFor(record: RunRecord): EvaluatorBackend {
  return record.spec.backend === "docker" ? "docker" : "local";
}

export class EvaluatingTrialScorer implements TrialScorer {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: EvaluatingTrialScorerDeps) {}

  score(record: RunRecord, trial: { sweep: PlannedSweep; trialNumber: number }): Promise<TrialOutcome> {
    const turn = this.queue.then(() => this.evaluate(record, trial));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async evaluate(record: RunRecord, trial: { sweep: PlannedSweep; trialNumber: number }): Promise<TrialOutcome> {
    const { sweep } = trial;
    const attemptId = record.snapshot.context.attemptId;
    const bundleDir = record.snapshot.context.artifactDir ?? null;
    const launchId = newLaunchId();
    const log = (line: string) => this.deps.log?.(`[sweep ${sweep.studyName}] trial ${trial.trialNumber}: ${line}`);
    try {
      writeCohort(this.deps.stateRoot, trialCohort(
        { launchId, createdAt: new Date().toISOString(), benchmark: sweep.benchmark, metricsPreset: sweep.metricsPreset, requestedMetrics: sweep.requestedMetrics },
        { runId: record.runId, name: record.name, spec: record.spec, disposition: "trial", attemptIds: attemptId ? [attemptId] : [], bundleDir },
      ));
      const outcome = await evaluateWithSession(this.deps.stateRoot, { writer: this.deps.writer, runs: this.deps.runs() }, launchId, { backend: evaluatorBackendFor(record), onProgress: log });
      if (outcome.status === "failed") return { state: "FAIL", message: `the trial's evaluation (launch ${launchId}) failed: ${outcome.error ?? "unknown error"}` };
      const document: unknown = JSON.parse(readFileSync(join(outcome.launchDir, EVALUATIONS_DIR, `${record.runId}.json`), "utf8"));
      const told = outcomeFromMemberEvaluation(document, sweep.optimizeMetric);
      return { ...told, message: `${told.message}; launch ${launchId}` };
    } catch (error) {
      return { state: "FAIL", message: `the trial's run could not be evaluated (launch ${launchId}): ${(error as Error).message}` };
    }
  }
}
