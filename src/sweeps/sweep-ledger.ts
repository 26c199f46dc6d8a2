/**
 * The journal's view of sweeps (pure): which trial of which study became which run, and what Optuna was told.
 * A restart folds the journal into this ledger and reconciles it with the study's trials (resumeActions).
 */
import type { JournalRecord, SweepTrialAskedRecord, SweepTrialToldRecord } from "../journal/records.js";

export interface StudyLedger {
  asked: Map<number, SweepTrialAskedRecord>;
  told: Map<number, SweepTrialToldRecord>;
}

export type SweepLedger = Map<string, StudyLedger>;

/** Studies are keyed by storage and name: the same name in two storages is two studies. */
export function studyKey(storage: string, study: string): string {
  return `${storage}\u0000${study}`;
}

/** The storage URL as journaled and shown: a password in it is masked. */
export function maskStorage(storage: string): string {
  return storage.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

export function emptyStudyLedger(): StudyLedger {
  return { asked: new Map(), told: new Map() };
}

export function applySweepRecord(ledger: SweepLedger, record: JournalRecord): void {
  if (record.type !== "SWEEP_TRIAL_ASKED" && record.type !== "SWEEP_TRIAL_TOLD") return;
  const key = studyKey(record.storage, record.study);
  let study = ledger.get(key);
  if (!study) {
    study = emptyStudyLedger();
    ledger.set(key, study);
  }
  if (record.type === "SWEEP_TRIAL_ASKED") study.asked.set(record.trialNumber, record);
  else study.told.set(record.trialNumber, record);
}

export function foldSweepLedger(records: readonly JournalRecord[]): SweepLedger {
  const ledger: SweepLedger = new Map();
  for (const record of records) applySweepRecord(ledger, record);
  return ledger;
}

/** A trial of the study as Optuna reports it. */
export interface StudyTrial {
  number: number;
  state: "RUNNING" | "WAITING" | "COMPLETE" | "PRUNED" | "FAIL";
  params: Record<string, unknown>;
  value: number | null;
}

export type ResumeAction =
  /** Asked, but the journal never saw its run (a crash between ask and journal): nothing ran, tell FAIL. */
  | { kind: "fail-unplanned"; trialNumber: number }
  /** Asked and journaled with its run: carry the run on (adopt, finish or read its bundle), then tell. */
  | { kind: "continue"; trialNumber: number; runId: string; params: Record<string, unknown> }
  /** Optuna holds a finished trial the journal has no TOLD record of (a crash after the tell): journal it. */
  | { kind: "record-told"; trialNumber: number; runId?: string; state: "COMPLETE" | "PRUNED" | "FAIL"; value?: number };

/**
 * How a restart reconciles a study with the journal. Finished trials are never repeated; unfinished trials whose
 * run was journaled continue with that run; unfinished trials that never became a run are told FAIL.
 */
export function resumeActions(trials: readonly StudyTrial[], ledger: StudyLedger): ResumeAction[] {
  const actions: ResumeAction[] = [];
  for (const trial of [...trials].sort((a, b) => a.number - b.number)) {
    const asked = ledger.asked.get(trial.number);
    if (trial.state === "RUNNING" || trial.state === "WAITING") {
      actions.push(asked ? { kind: "continue", trialNumber: trial.number, runId: asked.runId, params: asked.params } : { kind: "fail-unplanned", trialNumber: trial.number });
    } else if (!ledger.told.has(trial.number)) {
      actions.push({
        kind: "record-told",
        trialNumber: trial.number,
        state: trial.state,
        ...(asked ? { runId: asked.runId } : {}),
        ...(trial.value !== null ? { value: trial.value } : {}),
      });
    }
  }
  return actions;
}

/** Trials that count towards n_trials: every trial of the study, finished or in flight. */
export function trialsToAsk(nTrials: number, existing: number, inFlight: number): number {
  return Math.max(0, nTrials - existing - inFlight);
}
