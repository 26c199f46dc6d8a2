/**
 * One study's session: an Optuna bridge process and a SweepDriver over it, from opening the study to its outcome,
 * with the study hooks (MLflow parent run) around it. Used by `multiverse run` and by the long-running controller;
 * the controller can abandon a session (a new generation of the Benchmark, a deletion, shutdown).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { OptunaProcessBridge, type OptunaBridge } from "./optuna-bridge.js";
import { failedSweepOutcome, SweepDriver, type SweepOutcome, type TrialRunner, type TrialScorer } from "./sweep-driver.js";
import { emptyStudyLedger, maskStorage, type StudyLedger } from "./sweep-ledger.js";
import { defaultStudyStorage, type PlannedSweep } from "./sweep-plan.js";

/** Tracking of studies (the MLflow parent run per study): told when a study's session opens and ends. */
export interface SweepStudyHooks {
  opened(sweep: PlannedSweep, storageDisplay: string): void;
  /** Returns a line for the sweep's log, if there is something to say. */
  finished(sweep: PlannedSweep, storageDisplay: string, outcome: SweepOutcome): Promise<string | undefined>;
}

export interface SweepSessionDeps {
  stateRoot: string;
  runner: TrialRunner;
  /** The journal's ledger of this study when the session opens. */
  ledger?: StudyLedger;
  /** Trials in flight at once. */
  parallel: number;
  makeBridge?: () => OptunaBridge;
  studies?: SweepStudyHooks;
  /** Evaluates trials of studies that optimise a score (scib.*). */
  scorer?: TrialScorer;
  log?: (message: string) => void;
}

export interface SweepSession {
  /** The study's storage as shown (password masked). */
  storage: string;
  /** Resolves with the outcome; never rejects. Never resolves for an abandoned session whose trials never settle. */
  done: Promise<SweepOutcome>;
  /** Stops asking and telling, and ends the bridge: the trials left running stay RUNNING in the study for a resume. */
  abandon(): Promise<void>;
}

/** Where the drivers' log lines go (besides the caller's log): <state root>/optuna/sweeps.log. */
export function sweepLogPath(stateRoot: string): string {
  return join(stateRoot, "optuna", "sweeps.log");
}

/** A log function that also appends to the state root's sweeps.log. */
export function sweepLogger(stateRoot: string, log?: (message: string) => void): (message: string) => void {
  const file = sweepLogPath(stateRoot);
  mkdirSync(dirname(file), { recursive: true });
  return (message) => {
    appendFileSync(file, `${new Date().toISOString()} ${message}\n`);
    log?.(message);
  };
}

function copyLedger(ledger: StudyLedger | undefined): StudyLedger {
  return ledger ? { asked: new Map(ledger.asked), told: new Map(ledger.told) } : emptyStudyLedger();
}

export function startSweepSession(sweep: PlannedSweep, deps: SweepSessionDeps): SweepSession {
  const storage = maskStorage(sweep.storage ?? defaultStudyStorage(deps.stateRoot));
  const log = deps.log ?? (() => undefined);
  let bridge: OptunaBridge;
  try {
    bridge = (deps.makeBridge ?? (() => new OptunaProcessBridge()))();
  } catch (error) {
    const message = `the Optuna bridge could not start: ${(error as Error).message}`;
    log(`[sweep ${sweep.studyName}] failed: ${message}`);
    return { storage, done: Promise.resolve(failedSweepOutcome(sweep, storage, message)), abandon: async () => undefined };
  }
  const driver = new SweepDriver({ sweep, stateRoot: deps.stateRoot, bridge, runner: deps.runner, ledger: copyLedger(deps.ledger), parallel: deps.parallel, ...(deps.scorer ? { scorer: deps.scorer } : {}), log });
  const done = (async () => {
    try {
      deps.studies?.opened(sweep, storage);
      const outcome = await driver.run();
      if (!driver.abandoned) {
        const note = await deps.studies?.finished(sweep, storage, outcome);
        if (note) log(`[sweep ${sweep.studyName}] ${note}`);
      }
      return outcome;
    } finally {
      await bridge.close();
    }
  })();
  return {
    storage,
    done,
    abandon: async () => {
      driver.abandon();
      await bridge.close();
    },
  };
}
