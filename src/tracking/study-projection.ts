/**
 * What an Optuna study looks like in MLflow: one parent run per study (found again by its study key, so a resumed
 * sweep keeps its parent) and every trial's attempt run as its child (mlflow.parentRunId). Pure: the study's
 * description and outcome in; run name, params, tags, final metrics and status out.
 */
import { MLFLOW_LIMITS, MLFLOW_SYSTEM_TAGS, type MlflowMetric, type MlflowParam, type MlflowTag } from "./mlflow-types.js";

export const STUDY_TAGS = {
  role: "multiverse.role",
  studyKey: "multiverse.optuna_study_key",
  study: "multiverse.optuna_study",
  storage: "multiverse.optuna_storage",
  trialNumber: "multiverse.optuna_trial",
  benchmark: "multiverse.benchmark",
  jobName: "multiverse.job_name",
  bestTrial: "multiverse.optuna_best_trial",
  bestParams: "multiverse.optuna_best_params",
  error: "multiverse.optuna_error",
} as const;

export const STUDY_ROLE = "optuna_study";

/** A study as the sweep plan (or, after the fact, the journal) describes it. */
export interface StudySubject {
  studyName: string;
  /** The storage as shown (password masked): part of the study's identity. */
  storage: string;
  benchmark: string;
  jobName: string;
  direction?: "minimize" | "maximize";
  optimizeMetric?: string;
  nTrials?: number;
  sampler?: string;
  searchSpace?: Record<string, unknown>;
}

/** The parent run is found by this tag: a study is its storage plus its name. */
export function studyRunKey(subject: Pick<StudySubject, "storage" | "studyName">): string {
  return `${subject.storage}::${subject.studyName}`;
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** Params and tags of the study's parent run. Params only from fields that never change for the study. */
export function studyRunOpening(subject: StudySubject): { runName: string; params: MlflowParam[]; tags: MlflowTag[] } {
  const params: MlflowParam[] = [];
  if (subject.direction) params.push({ key: "direction", value: subject.direction });
  if (subject.optimizeMetric) params.push({ key: "optimize_metric", value: subject.optimizeMetric });
  if (subject.sampler) params.push({ key: "sampler", value: subject.sampler });
  for (const [name, spec] of Object.entries(subject.searchSpace ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    params.push({ key: clip(`search_space.${name}`, MLFLOW_LIMITS.keyLength), value: clip(JSON.stringify(spec), MLFLOW_LIMITS.paramValueLength) });
  }
  const tags: MlflowTag[] = [
    { key: STUDY_TAGS.role, value: STUDY_ROLE },
    { key: STUDY_TAGS.studyKey, value: clip(studyRunKey(subject), MLFLOW_LIMITS.tagValueLength) },
    { key: STUDY_TAGS.study, value: subject.studyName },
    { key: STUDY_TAGS.storage, value: subject.storage },
    { key: STUDY_TAGS.benchmark, value: subject.benchmark },
    { key: STUDY_TAGS.jobName, value: subject.jobName },
    { key: MLFLOW_SYSTEM_TAGS.runName, value: subject.studyName },
  ];
  return { runName: subject.studyName, params, tags };
}

/** Tags that make a trial's attempt run a child of its study's run. */
export function trialTags(parentRunId: string, subject: Pick<StudySubject, "studyName">, trialNumber: number): Record<string, string> {
  return {
    [MLFLOW_SYSTEM_TAGS.parentRunId]: parentRunId,
    [STUDY_TAGS.study]: subject.studyName,
    [STUDY_TAGS.trialNumber]: String(trialNumber),
  };
}

export interface StudyTrialOutcome {
  number: number;
  state: string;
  value: number | null;
  params: Record<string, unknown>;
}

export interface StudyOutcome {
  optimizeMetric: string;
  nTrials: number;
  trials: readonly StudyTrialOutcome[];
  best?: StudyTrialOutcome;
  error?: string;
  stoppedEarly?: string;
}

/**
 * The parent run's summary when a sweep session ends: trial counts and the best value as metrics (stepped by the
 * number of finished trials, so a resumed study's summaries form a history), the best trial as tags, and the
 * status: FINISHED when all wanted trials are finished, FAILED when the study failed, RUNNING when the sweep
 * stopped early and will be resumed.
 */
export function studyRunFinal(outcome: StudyOutcome, timestamp: number): { metrics: MlflowMetric[]; tags: MlflowTag[]; status: "FINISHED" | "FAILED" | "RUNNING" } {
  const count = (state: string) => outcome.trials.filter((t) => t.state === state).length;
  const finished = count("COMPLETE") + count("PRUNED") + count("FAIL");
  const point = (key: string, value: number): MlflowMetric => ({ key, value, timestamp, step: finished });
  const metrics = [point("trials_complete", count("COMPLETE")), point("trials_pruned", count("PRUNED")), point("trials_failed", count("FAIL"))];
  const tags: MlflowTag[] = [];
  const best = outcome.best;
  if (best && best.value !== null && Number.isFinite(best.value)) {
    metrics.push(point(clip(`best_${outcome.optimizeMetric}`, MLFLOW_LIMITS.keyLength), best.value));
    tags.push({ key: STUDY_TAGS.bestTrial, value: String(best.number) }, { key: STUDY_TAGS.bestParams, value: clip(JSON.stringify(best.params), MLFLOW_LIMITS.tagValueLength) });
  }
  if (outcome.error) tags.push({ key: STUDY_TAGS.error, value: clip(outcome.error, MLFLOW_LIMITS.tagValueLength) });
  const status = outcome.error ? "FAILED" : finished >= outcome.nTrials && outcome.stoppedEarly === undefined ? "FINISHED" : "RUNNING";
  return { metrics, tags, status };
}
