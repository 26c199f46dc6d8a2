/**
 * `multiverse run` with sweep jobs: the run controller's workers run the plain runs and every study's trial runs
 * side by side, one SweepDriver (and one Optuna bridge process) per study, until all of them are done.
 */
import type { JournalRecord } from "../src/journal/records.js";
import type { JournalWriter } from "../src/journal/journal-writer.js";
import type { PlanEntry, RunController } from "./run/run-controller.js";
import type { RunRecord } from "../src/journal/run-records.js";
import { ControllerTrialRunner, type TrialPlanned } from "./trial-runner.js";
import type { OptunaBridge } from "../src/sweeps/optuna-bridge.js";
import type { SweepOutcome, TrialScorer } from "../src/sweeps/sweep-driver.js";
import { foldSweepLedger, maskStorage, studyKey } from "../src/sweeps/sweep-ledger.js";
import { startSweepSession, sweepLogger, type SweepStudyHooks } from "../src/sweeps/sweep-session.js";
import { defaultStudyStorage, type PlannedSweep } from "../src/sweeps/sweep-plan.js";

export interface SweepRunInput {
  controller: RunController;
  writer: JournalWriter;
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
  /** Evaluates the trials of studies that optimise a score (scib.*). */
  scorer?: TrialScorer;
  log?: (message: string) => void;
}

export interface SweepRunResult {
  runs: RunRecord[];
  trialEntries: PlanEntry[];
  sweeps: SweepOutcome[];
}

export async function runWithSweeps(input: SweepRunInput): Promise<SweepRunResult> {
  const { controller } = input;
  const ledger = foldSweepLedger(input.history);
  const trialEntries: PlanEntry[] = [];
  const runner = new ControllerTrialRunner(controller, input.writer, (planned) => {
    // A run sampled again by a later trial keeps the disposition it had when it was first planned.
    if (!trialEntries.some((e) => e.runId === planned.entry.runId)) trialEntries.push(planned.entry);
    input.onTrialPlanned?.(planned);
  });
  const log = sweepLogger(input.stateRoot, input.log);
  const drive = (sweep: PlannedSweep): Promise<SweepOutcome> =>
    startSweepSession(sweep, {
      stateRoot: input.stateRoot,
      runner,
      ledger: ledger.get(studyKey(maskStorage(sweep.storage ?? defaultStudyStorage(input.stateRoot)), sweep.studyName)),
      parallel: input.parallel,
      makeBridge: input.makeBridge,
      studies: input.studies,
      ...(input.scorer ? { scorer: input.scorer } : {}),
      log,
    }).done;
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
