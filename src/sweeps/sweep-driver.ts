/**
 * The sweep driver: keeps up to `parallel` trials of one study in flight. It asks Optuna for a trial, journals
 * which run the trial becomes (SWEEP_TRIAL_ASKED), hands the run to the run controller like any other run, and
 * when the run settles tells Optuna the outcome read from the promoted bundle (SWEEP_TRIAL_TOLD). After a restart
 * it first reconciles the study with the journal (resumeActions): finished trials are never repeated, trials
 * whose run was journaled continue with that run, trials that never became a run are told FAIL.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunPhase } from "../domain/run-states.js";
import type { NewJournalRecord } from "../journal/records.js";
import type { RunRecord } from "../journal/run-records.js";
import type { OptunaBridge, OptunaTrial } from "./optuna-bridge.js";
import { emptyStudyLedger, maskStorage, resumeActions, type StudyLedger } from "./sweep-ledger.js";
import { defaultStudyStorage, trialRun, type PlannedSweep, type TrialRun } from "./sweep-plan.js";
import { isScoreMetric, outcomeFromMetricsText, outcomeOfUnsuccessfulRun, type TrialOutcome } from "./trial-outcome.js";

/** The run side of a sweep: the run controller in `multiverse run` (controllers/trial-runner.ts). */
export interface TrialRunner {
  /** The journal's record of a run, if any. */
  get(runId: string): RunRecord | undefined;
  /**
   * Plans the run (a verified bundle of the same logical run is reused) and resolves with its record once it
   * needs no more work. `resumed`: a run that already ended as ARTIFACT_SUCCESS or FAILED is taken as it is.
   */
  run(trial: TrialRun, options: { resumed: boolean; study: string; trialNumber: number }): Promise<RunRecord>;
  /** Journals records (fsynced) before the driver acts on them. */
  append(records: NewJournalRecord[]): void;
}

/** The evaluation side of a sweep whose metric is a score (scib.*): evaluates a trial's promoted run. */
export interface TrialScorer {
  /** Never rejects: an evaluation that cannot run is a FAIL outcome with its reason. */
  score(record: RunRecord, trial: { sweep: PlannedSweep; trialNumber: number }): Promise<TrialOutcome>;
}

export interface SweepDriverOptions {
  sweep: PlannedSweep;
  stateRoot: string;
  bridge: OptunaBridge;
  runner: TrialRunner;
  /** The journal's ledger of this study when the session opened (empty for a new study). */
  ledger?: StudyLedger;
  /** Trials in flight at once (the broker still caps the attempts actually running). */
  parallel: number;
  /** Needed when the study optimises a score (scib.*). */
  scorer?: TrialScorer;
  log?: (message: string) => void;
}

export interface SweepTrialSummary {
  number: number;
  state: OptunaTrial["state"];
  value: number | null;
  params: Record<string, unknown>;
  runId?: string;
}

export interface SweepOutcome {
  jobName: string;
  studyName: string;
  storage: string;
  direction: "minimize" | "maximize";
  optimizeMetric: string;
  nTrials: number;
  trials: SweepTrialSummary[];
  best?: SweepTrialSummary;
  /** Logical runs of this sweep's trials (a run sampled twice appears once). */
  runIds: string[];
  /** Why the driver stopped asking before n_trials (a cancelled trial run, a failed study). */
  stoppedEarly?: string;
  /** The study itself failed (its storage could not be opened, Optuna refused a call): the sweep did not finish. */
  error?: string;
}

/** The outcome of a sweep whose study never opened. */
export function failedSweepOutcome(sweep: PlannedSweep, storageDisplay: string, error: string): SweepOutcome {
  return {
    jobName: sweep.jobName,
    studyName: sweep.studyName,
    storage: storageDisplay,
    direction: sweep.direction,
    optimizeMetric: sweep.optimizeMetric,
    nTrials: sweep.nTrials,
    trials: [],
    runIds: [],
    stoppedEarly: error,
    error,
  };
}

export class SweepDriver {
  private readonly sweep: PlannedSweep;
  private readonly storage: string;
  private readonly storageDisplay: string;
  private readonly runIds = new Map<number, string>();
  private stopReason: string | undefined;
  private failure: string | undefined;
  private abandonReason: string | undefined;

  constructor(private readonly options: SweepDriverOptions) {
    this.sweep = options.sweep;
    this.storage = options.sweep.storage ?? defaultStudyStorage(options.stateRoot);
    this.storageDisplay = maskStorage(this.storage);
  }

  /**
   * Never rejects: a failure of the study (its storage, Optuna) stops asking, lets the trials in flight settle, and
   * is returned as the outcome's error, so one broken study neither orphans the others' runs nor hangs the caller.
   */
  async run(): Promise<SweepOutcome> {
    const { sweep, bridge } = this.options;
    let existing: OptunaTrial[];
    try {
      existing = await bridge.open({
        storage: this.storage,
        storageDisplay: this.storageDisplay,
        studyName: sweep.studyName,
        direction: sweep.direction,
        sampler: sweep.sampler,
        seed: sweep.seed,
        searchSpace: sweep.searchSpace,
        userAttrs: {
          multiverse_benchmark: sweep.benchmark,
          multiverse_job: sweep.jobName,
          multiverse_optimize_metric: sweep.optimizeMetric,
          multiverse_search_space: sweep.searchSpace,
        },
      });
    } catch (error) {
      this.fail(`the study could not be opened in ${this.storageDisplay}: ${(error as Error).message}`);
      return this.summary([]);
    }
    const states = existing.map((t) => t.state);
    this.log(`study opened in ${this.storageDisplay}: ${existing.length} trials so far (${states.filter((s) => s === "COMPLETE").length} complete, ${states.filter((s) => s === "RUNNING" || s === "WAITING").length} unfinished); ${sweep.nTrials} wanted`);
    const ledger = this.options.ledger ?? emptyStudyLedger();
    for (const [number, asked] of ledger.asked) this.runIds.set(number, asked.runId);
    const inFlight = new Map<number, Promise<void>>();
    const start = (number: number, work: () => Promise<void>) => {
      const tracked = work()
        .catch((error: unknown) => this.fail(`trial ${number}: ${(error as Error).message}`))
        .finally(() => inFlight.delete(number));
      inFlight.set(number, tracked);
    };
    try {
      for (const action of resumeActions(existing, ledger)) {
        if (action.kind === "fail-unplanned") {
          this.log(`trial ${action.trialNumber} was asked but never became a run (the sweep stopped in between): told FAIL`);
          await this.tell(action.trialNumber, undefined, { state: "FAIL", message: "asked but never planned: the sweep stopped before the trial's run was journaled" });
        } else if (action.kind === "record-told") {
          this.options.runner.append([this.toldRecord(action.trialNumber, action.runId, action.state, action.value, "recorded from the study after a restart")]);
        } else {
          this.log(`trial ${action.trialNumber} continues with run ${action.runId.slice(0, 12)}`);
          start(action.trialNumber, () => this.resumeTrial(action.trialNumber, action.runId, action.params));
        }
      }
    } catch (error) {
      this.fail(`resuming the study: ${(error as Error).message}`);
    }
    let asked = existing.length;
    const parallel = Math.max(1, this.options.parallel);
    for (;;) {
      while (this.stopReason === undefined && asked < sweep.nTrials && inFlight.size < parallel) {
        let trial: { number: number; params: Record<string, unknown> };
        try {
          trial = await bridge.ask();
        } catch (error) {
          this.fail(`asking for a trial: ${(error as Error).message}`);
          break;
        }
        asked += 1;
        start(trial.number, () => this.newTrial(trial.number, trial.params));
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight.values());
    }
    let trials: OptunaTrial[] = [];
    if (this.abandoned) return this.summary(trials);
    try {
      trials = await bridge.trials();
    } catch (error) {
      this.fail(`listing the study's trials: ${(error as Error).message}`);
    }
    return this.summary(trials);
  }

  /** The caller no longer wants this session: ask nothing more and tell nothing more (trials stay RUNNING). */
  abandon(reason = "the session was abandoned"): void {
    this.abandonReason ??= reason;
    this.stopReason ??= reason;
  }

  get abandoned(): boolean {
    return this.abandonReason !== undefined;
  }

  private fail(message: string): void {
    this.failure ??= message;
    this.stopReason ??= message;
    this.log(`failed: ${message}`);
  }

  private async newTrial(number: number, params: Record<string, unknown>): Promise<void> {
    let planned: TrialRun;
    try {
      planned = trialRun(this.sweep, params);
    } catch (error) {
      await this.tell(number, undefined, { state: "FAIL", message: `the trial's parameters cannot be run: ${(error as Error).message}` });
      return;
    }
    this.options.runner.append([this.askedRecord(number, params, planned.runId)]);
    this.runIds.set(number, planned.runId);
    await this.options.bridge.setTrialAttrs(number, { multiverse_run_id: planned.runId, multiverse_run_name: planned.name });
    this.log(`trial ${number} ${JSON.stringify(params)} -> run ${planned.name} [${planned.runId.slice(0, 12)}]`);
    await this.settle(number, planned, false);
  }

  private async resumeTrial(number: number, runId: string, params: Record<string, unknown>): Promise<void> {
    const known = this.options.runner.get(runId);
    let planned: TrialRun;
    if (known) {
      planned = { runId: known.runId, name: known.name, spec: known.spec };
    } else {
      // Journaled as asked, but its run was never planned (a crash in between): plan it now from the same parameters.
      try {
        planned = trialRun(this.sweep, params);
      } catch (error) {
        await this.tell(number, runId, { state: "FAIL", message: `the trial's parameters cannot be run: ${(error as Error).message}` });
        return;
      }
      if (planned.runId !== runId) this.options.runner.append([this.askedRecord(number, params, planned.runId)]);
      this.runIds.set(number, planned.runId);
    }
    await this.settle(number, planned, true);
  }

  private async settle(number: number, planned: TrialRun, resumed: boolean): Promise<void> {
    const record = await this.options.runner.run(planned, { resumed, study: this.sweep.studyName, trialNumber: number });
    if (this.abandoned) return;
    const phase: RunPhase = record.snapshot.value;
    if (phase === "CANCELLED") {
      // No outcome: the trial stays RUNNING in the study and the next `multiverse run` re-runs it.
      this.stopReason ??= `trial ${number}'s run ${record.name} was cancelled; run the same command again to resume the study`;
      this.log(`trial ${number}: run CANCELLED, left unfinished in the study for a resume`);
      return;
    }
    const outcome = phase === "ARTIFACT_SUCCESS" ? await this.outcomeOfSuccess(record, number) : outcomeOfUnsuccessfulRun(phase, record.snapshot.context.reason, record.snapshot.context.message);
    if (this.abandoned) return;
    await this.tell(number, record.runId, outcome);
  }

  private async outcomeOfSuccess(record: RunRecord, number: number): Promise<TrialOutcome> {
    const metric = this.sweep.optimizeMetric;
    if (!isScoreMetric(metric)) return this.outcomeOfBundle(record);
    if (!this.options.scorer) return { state: "FAIL", message: `"${metric}" is an evaluation score, and this sweep has no evaluator to compute it` };
    this.log(`trial ${number}: evaluating run ${record.name} for ${metric}`);
    return this.options.scorer.score(record, { sweep: this.sweep, trialNumber: number });
  }

  private outcomeOfBundle(record: RunRecord): TrialOutcome {
    const dir = record.snapshot.context.artifactDir;
    if (!dir || !existsSync(dir)) return { state: "PRUNED", message: `the run's bundle ${dir ?? "(none)"} is missing, so "${this.sweep.optimizeMetric}" cannot be read` };
    const file = join(dir, "metrics.json");
    return outcomeFromMetricsText(existsSync(file) ? readFileSync(file, "utf8") : undefined, this.sweep.optimizeMetric);
  }

  private async tell(number: number, runId: string | undefined, outcome: TrialOutcome): Promise<void> {
    const finished = await this.options.bridge.tell(number, outcome);
    // A trial already finished keeps its state: journal what the study holds.
    const state = finished.state === "COMPLETE" || finished.state === "PRUNED" || finished.state === "FAIL" ? finished.state : outcome.state;
    const value = state === "COMPLETE" ? (finished.value ?? undefined) : undefined;
    this.options.runner.append([this.toldRecord(number, runId, state, value, outcome.message)]);
    this.log(`trial ${number}: told ${state}${value !== undefined ? ` ${value}` : ""} (${outcome.message})`);
  }

  private askedRecord(number: number, params: Record<string, unknown>, runId: string): NewJournalRecord {
    return {
      type: "SWEEP_TRIAL_ASKED",
      benchmark: this.sweep.benchmark,
      jobName: this.sweep.jobName,
      study: this.sweep.studyName,
      storage: this.storageDisplay,
      trialNumber: number,
      params,
      runId,
      direction: this.sweep.direction,
      optimizeMetric: this.sweep.optimizeMetric,
    };
  }

  private toldRecord(number: number, runId: string | undefined, state: "COMPLETE" | "PRUNED" | "FAIL", value: number | undefined, message: string): NewJournalRecord {
    return {
      type: "SWEEP_TRIAL_TOLD",
      study: this.sweep.studyName,
      storage: this.storageDisplay,
      trialNumber: number,
      ...(runId ? { trialRunId: runId } : {}),
      state,
      ...(value !== undefined ? { value } : {}),
      message,
    };
  }

  private summary(trials: OptunaTrial[]): SweepOutcome {
    const rows: SweepTrialSummary[] = trials
      .map((t) => {
        const runId = this.runIds.get(t.number) ?? (typeof t.userAttrs.multiverse_run_id === "string" ? t.userAttrs.multiverse_run_id : undefined);
        return { number: t.number, state: t.state, value: t.value, params: t.params, ...(runId ? { runId } : {}) };
      })
      .sort((a, b) => a.number - b.number);
    const complete = rows.filter((r): r is SweepTrialSummary & { value: number } => r.state === "COMPLETE" && r.value !== null);
    const sign = this.sweep.direction === "maximize" ? 1 : -1;
    const best = complete.reduce<(typeof complete)[number] | undefined>((b, r) => (b === undefined || sign * (r.value - b.value) > 0 ? r : b), undefined);
    const outcome: SweepOutcome = {
      jobName: this.sweep.jobName,
      studyName: this.sweep.studyName,
      storage: this.storageDisplay,
      direction: this.sweep.direction,
      optimizeMetric: this.sweep.optimizeMetric,
      nTrials: this.sweep.nTrials,
      trials: rows,
      runIds: [...new Set(rows.map((r) => r.runId).filter((id): id is string => id !== undefined))],
    };
    if (best) outcome.best = best;
    if (this.stopReason) outcome.stoppedEarly = this.stopReason;
    if (this.failure) outcome.error = this.failure;
    return outcome;
  }

  private log(message: string): void {
    this.options.log?.(`[sweep ${this.sweep.studyName}] ${message}`);
  }
}
