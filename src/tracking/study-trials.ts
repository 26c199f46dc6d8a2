/**
 * Which sweep trial each run is, and what each study's trials ended as, folded from the journal's
 * SWEEP_TRIAL_ASKED/TOLD records. Shared by the run lifecycle's projector (incrementally) and mlflow-sync.
 */
import type { JournalRecord } from "../journal/records.js";
import { studyRunKey, type StudyOutcome, type StudySubject } from "./study-projection.js";

export interface JournaledStudy {
  subject: StudySubject;
  asked: Set<number>;
  params: Map<number, Record<string, unknown>>;
  told: Map<number, { state: string; value: number | null }>;
}

export interface StudyTrials {
  studies: Map<string, JournaledStudy>;
  /** A run sampled by several trials belongs to the first. */
  trialOfRun: Map<string, { key: string; trialNumber: number }>;
}

export function emptyStudyTrials(): StudyTrials {
  return { studies: new Map(), trialOfRun: new Map() };
}

export function applyStudyRecord(state: StudyTrials, record: JournalRecord): void {
  if (record.type === "SWEEP_TRIAL_ASKED") {
    const key = studyRunKey({ storage: record.storage, studyName: record.study });
    let study = state.studies.get(key);
    if (!study) {
      study = { subject: { studyName: record.study, storage: record.storage, benchmark: record.benchmark, jobName: record.jobName }, asked: new Set(), params: new Map(), told: new Map() };
      state.studies.set(key, study);
    }
    if (record.direction && !study.subject.direction) study.subject.direction = record.direction;
    if (record.optimizeMetric && !study.subject.optimizeMetric) study.subject.optimizeMetric = record.optimizeMetric;
    study.asked.add(record.trialNumber);
    study.params.set(record.trialNumber, record.params);
    if (!state.trialOfRun.has(record.runId)) state.trialOfRun.set(record.runId, { key, trialNumber: record.trialNumber });
  } else if (record.type === "SWEEP_TRIAL_TOLD") {
    const study = state.studies.get(studyRunKey({ storage: record.storage, studyName: record.study }));
    study?.told.set(record.trialNumber, { state: record.state, value: record.value ?? null });
  }
}

export function foldStudyTrials(records: readonly JournalRecord[]): StudyTrials {
  const state = emptyStudyTrials();
  for (const record of records) applyStudyRecord(state, record);
  return state;
}

/** A study's outcome as far as the journal knows it (the best trial only where the journal has the direction). */
export function journaledStudyOutcome(study: JournaledStudy): StudyOutcome {
  const trials = [...study.asked].sort((a, b) => a - b).map((number) => {
    const told = study.told.get(number);
    return { number, state: told?.state ?? "RUNNING", value: told?.value ?? null, params: study.params.get(number) ?? {} };
  });
  const outcome: StudyOutcome = { optimizeMetric: study.subject.optimizeMetric ?? "", nTrials: trials.length, trials };
  const sign = study.subject.direction === "maximize" ? 1 : study.subject.direction === "minimize" ? -1 : 0;
  if (sign !== 0 && study.subject.optimizeMetric) {
    for (const trial of trials) {
      if (trial.state !== "COMPLETE" || trial.value === null) continue;
      if (outcome.best === undefined || sign * (trial.value - outcome.best.value!) > 0) outcome.best = trial;
    }
  }
  return outcome;
}
