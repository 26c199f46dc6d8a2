/**
 * `multiverse run` with sweep jobs: the run controller's workers run the plain runs and every study's trial runs
 * side by side, one SweepDriver (and one Optuna bridge process) per study, until all of them are done.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { JournalRecord } from "../journal/records.js";
import type { PlanEntry, RunController } from "../../controllers/run-controller.js";
import type { RunRecord } from "../../controllers/run-records.js";
import { ControllerTrialRunner, type TrialPlanned } from "./controller-trial-runner.js";
import { OptunaProcessBridge, type OptunaBridge } from "./optuna-bridge.js";
import { failedSweepOutcome, SweepDriver, type SweepOutcome } from "./sweep-driver.js";
import { emptyStudyLedger, foldSweepLedger, maskStorage, studyKey } from "./sweep-ledger.js";
import { defaultStudyStorage, type PlannedSweep } from "./sweep-plan.js";

/** Tracking of studies (the MLflow parent run per study): told when a study's session opens and ends. */
export interface SweepStudyHooks {
  opened(sweep: PlannedSweep, storageDisplay: string): void;
  /** Returns a line for the sweep's log, if there is something to say. */
  finished(sweep: PlannedSweep, storageDisplay: string, outcome: SweepOutcome): Promise<string | undefined>;
}

export interface SweepRunInput {
  controller: RunController;
  /** Plain (non-sweep) runs of the plan, reconciled alongside. */
  runIds: readonly string[];
  sweeps: readonly PlannedSweep[];
  /** The journal when the session opened: the ledger a resume starts from. */
  history: readonly JournalRecord[];
  stateRoot: string;
  /** Trials in flight per study. */
  parallel: number;
  makeBridge?: () => OptunaBridge;
  onTrialPlanned?: (planned: TrialPlanned) => void;
  studies?: SweepStudyHooks;
  log?: (message: string) => void;
}

export interface SweepRunResult {
  runs: RunRecord[];
  trialEntries: PlanEntry[];
  sweeps: SweepOutcome[];
}

/** Where the drivers' log lines go (besides the caller's log): <state root>/optuna/sweeps.log. */
export function sweepLogPath(stateRoot: string): string {
  return join(stateRoot, "optuna", "sweeps.log");
}

export async function runWithSweeps(input: SweepRunInput): Promise<SweepRunResult> {
  const { controller } = input;
  const ledger = foldSweepLedger(input.history);
  const trialEntries: PlanEntry[] = [];
  const runner = new ControllerTrialRunner(controller, (planned) => {
    // A run sampled again by a later trial keeps the disposition it had when it was first planned.
    if (!trialEntries.some((e) => e.runId === planned.entry.runId)) trialEntries.push(planned.entry);
    input.onTrialPlanned?.(planned);
  });
  mkdirSync(join(input.stateRoot, "optuna"), { recursive: true });
  const log = (message: string) => {
    appendFileSync(sweepLogPath(input.stateRoot), `${new Date().toISOString()} ${message}\n`);
    input.log?.(message);
  };
  const makeBridge = input.makeBridge ?? (() => new OptunaProcessBridge());
  const drive = async (sweep: PlannedSweep): Promise<SweepOutcome> => {
    const storage = maskStorage(sweep.storage ?? defaultStudyStorage(input.stateRoot));
    let bridge: OptunaBridge;
    try {
      bridge = makeBridge();
    } catch (error) {
      log(`[sweep ${sweep.studyName}] failed: the Optuna bridge could not start: ${(error as Error).message}`);
      return failedSweepOutcome(sweep, storage, `the Optuna bridge could not start: ${(error as Error).message}`);
    }
    try {
      input.studies?.opened(sweep, storage);
      const driver = new SweepDriver({
        sweep,
        stateRoot: input.stateRoot,
        bridge,
        runner,
        ledger: ledger.get(studyKey(storage, sweep.studyName)) ?? emptyStudyLedger(),
        parallel: input.parallel,
        log,
      });
      const outcome = await driver.run();
      const note = await input.studies?.finished(sweep, storage, outcome);
      if (note) log(`[sweep ${sweep.studyName}] ${note}`);
      return outcome;
    } finally {
      await bridge.close();
    }
  };
  controller.start();
  try {
    const [plain, sweeps] = await Promise.all([controller.settled(input.runIds), Promise.all(input.sweeps.map(drive))]);
    const seen = new Set(plain.map((r) => r.runId));
    const runs = [...plain];
    for (const runId of sweeps.flatMap((s) => s.runIds)) {
      const record = controller.get(runId);
      if (record && !seen.has(runId)) {
        seen.add(runId);
        runs.push(record);
      }
    }
    return { runs, trialEntries, sweeps };
  } finally {
    await controller.stop();
  }
}
