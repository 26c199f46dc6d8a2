/**
 * Trials run through the ordinary run machinery: each trial's run is applied to the RunController as a planned run
 * (reusing a verified bundle of the same logical run) and awaited until it needs no more work. Two trials that
 * sampled the same parameters share one run.
 */
import type { NewJournalRecord } from "../src/journal/records.js";
import type { JournalWriter } from "../src/journal/journal-writer.js";
import type { PlanEntry, RunController } from "./run/run-controller.js";
import type { RunRecord } from "../src/journal/run-records.js";
import type { TrialRunner } from "../src/sweeps/sweep-driver.js";
import type { TrialRun } from "../src/sweeps/sweep-plan.js";

export interface TrialPlanned {
  entry: PlanEntry;
  study: string;
  trialNumber: number;
}

export class ControllerTrialRunner implements TrialRunner {
  private readonly inFlight = new Map<string, Promise<RunRecord>>();

  /** The controller's workers must be started (RunController.start) for runs to progress. */
  constructor(private readonly controller: RunController, private readonly writer: JournalWriter, private readonly onPlanned?: (planned: TrialPlanned) => void) {}

  get(runId: string): RunRecord | undefined {
    return this.controller.get(runId);
  }

  append(records: NewJournalRecord[]): void {
    this.writer.append(records);
  }

  run(trial: TrialRun, options: { resumed: boolean; study: string; trialNumber: number }): Promise<RunRecord> {
    const running = this.inFlight.get(trial.runId);
    if (running) return running;
    const work = this.plan(trial, options).finally(() => this.inFlight.delete(trial.runId));
    this.inFlight.set(trial.runId, work);
    return work;
  }

  private async plan(trial: TrialRun, options: { resumed: boolean; study: string; trialNumber: number }): Promise<RunRecord> {
    const known = this.controller.get(trial.runId);
    // A resumed trial whose run already ended keeps that outcome (a failed run is not re-run for it).
    if (options.resumed && known && (known.snapshot.value === "ARTIFACT_SUCCESS" || known.snapshot.value === "FAILED")) return known;
    const [entry] = await this.controller.applyPlan([trial], { skipCompleted: true });
    if (entry) this.onPlanned?.({ entry, study: options.study, trialNumber: options.trialNumber });
    const [record] = await this.controller.settled([trial.runId]);
    if (!record) throw new Error(`run ${trial.runId} of study ${options.study} trial ${options.trialNumber} is missing after planning`);
    return record;
  }
}
