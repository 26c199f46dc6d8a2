/**
 * A sweep job planned (pure): the study it drives and the run every trial starts from. A trial is an ordinary
 * Run: its parameters are the job's fixed ones plus the values Optuna chose, resolved against the model's schema,
 * and its logical id is computed from them exactly as for any other run (so two trials that sample the same
 * values are one logical run, computed once).
 */
import { join } from "node:path";
import type { BenchmarkJob, ModelResource, RunSpec } from "../domain/resources.js";
import { Errors, type ErrorLocation, type MultiverseError } from "../domain/errors.js";
import { logicalRunId, paramsHash, runName } from "../identity/run-identity.js";
import { resolveHyperparameters } from "../schemas/hyperparameters.js";
import type { JsonSchema } from "../schemas/resources.js";
import { checkSearchSpace, type SearchSpace } from "./search-space.js";
import { DEFAULT_TRIAL_METRIC, scoreMetricProblem } from "./trial-outcome.js";
import { choosePreset, type MetricsPreset } from "../evaluation/metrics-preset.js";

export interface PlannedSweep {
  jobIndex: number;
  jobName: string;
  benchmark: string;
  studyName: string;
  /** Optuna storage URL; undefined means the state root's default (defaultStudyStorage). */
  storage?: string;
  direction: "minimize" | "maximize";
  /** A dotted path into metrics.json, or scib.<score>: the trial's evaluation. */
  optimizeMetric: string;
  /** The metric preset a trial is evaluated with (scib.* metrics): the job's metrics, else the benchmark's. */
  metricsPreset: MetricsPreset;
  requestedMetrics: string[];
  nTrials: number;
  sampler: "tpe" | "random";
  /** The job's seed: every trial's run seed, and the sampler's seed. */
  seed: number;
  searchSpace: SearchSpace;
  /** The job's own model_params (without schema defaults). */
  fixedParams: Record<string, unknown>;
  hyperparametersSchema: JsonSchema;
  /** The job planned with its fixed parameters: dataset, image, seed, backend and limits every trial shares. */
  base: RunSpec;
}

/** A trial as a run, with the same shape as the planner's runs. */
export interface TrialRun {
  runId: string;
  name: string;
  spec: RunSpec;
}

/** The seeds' study name: <experiment_name>__<dataset_slug>__<model_slug>. */
export function studyName(experiment: string, dataset: string, model: string): string {
  return `${experiment}__${dataset}__${model}`;
}

/** Where studies live when a job names no storage: one SQLite file under the state root. */
export function defaultStudyStorage(stateRoot: string): string {
  return `sqlite:///${join(stateRoot, "optuna", "studies.db")}`;
}

export interface SweepPlanInput {
  benchmark: string;
  experimentName: string;
  job: BenchmarkJob;
  jobIndex: number;
  model: ModelResource;
  /** The job planned as a train job with its fixed parameters: one run per seed. */
  baseRuns: readonly { spec: RunSpec }[];
  /** jobs[].metrics, else globals.metrics; and the benchmark's evaluation preset. */
  metrics?: readonly string[];
  evaluationPreset?: MetricsPreset;
  /** Where the job's optimize_metric is (file, line, field), when the job came from a file. */
  optimizeMetricLocation?: ErrorLocation;
  file?: string;
}

export function planSweep(input: SweepPlanInput): PlannedSweep {
  const { job, jobIndex, model } = input;
  const where = `jobs[${jobIndex}] (${job.name})`;
  const field = `jobs[${jobIndex}]`;
  const location = (name: string) => ({ file: input.file, field: `${field}.${name}` });
  const sweep = job.sweep;
  if (job.mode !== "sweep") {
    throw Errors.schema(`${where}: the job declares a sweep (search space, metric, trials) but its mode is "${job.mode ?? "train"}"; set mode: sweep`, { location: location("mode") });
  }
  if (!sweep) {
    throw Errors.schema(`${where}: mode "sweep" needs a study: search_space, direction and n_trials, and optionally optimize_metric (spec.jobs[].sweep in a Benchmark resource)`, {
      location: location("mode"),
    });
  }
  if (input.baseRuns.length !== 1) {
    throw Errors.schema(`${where}: a sweep runs one seed per trial, but the job has ${input.baseRuns.length} seeds; give one seed (or --seed)`, { location: location("seeds") });
  }
  const base = input.baseRuns[0]!.spec;
  const fixedParams = structuredClone(job.params ?? {});
  const searchSpace = checkSearchSpace(sweep.searchSpace, model.spec.hyperparametersSchema as JsonSchema, fixedParams, {
    job: where,
    field: `${field}.search_space`,
    model: model.spec.slug,
    file: input.file,
  });
  const optimizeMetric = sweep.optimizeMetric ?? DEFAULT_TRIAL_METRIC;
  const metricProblem = scoreMetricProblem(optimizeMetric);
  if (metricProblem) throw Errors.schema(`${where}: optimize_metric ${metricProblem}`, { location: input.optimizeMetricLocation ?? location("optimize_metric") });
  const requestedMetrics = [...(input.metrics ?? [])];
  const planned: PlannedSweep = {
    jobIndex,
    jobName: job.name,
    benchmark: input.benchmark,
    studyName: sweep.studyName ?? studyName(input.experimentName, base.dataset, base.model),
    direction: sweep.direction,
    optimizeMetric,
    metricsPreset: choosePreset(undefined, input.evaluationPreset, requestedMetrics),
    requestedMetrics,
    nTrials: sweep.nTrials,
    sampler: sweep.sampler ?? "tpe",
    seed: base.seed,
    searchSpace,
    fixedParams,
    hyperparametersSchema: model.spec.hyperparametersSchema as JsonSchema,
    base,
  };
  if (sweep.storage !== undefined) planned.storage = sweep.storage;
  return planned;
}

/** Two sweep jobs of one benchmark that would write the same study. */
export function duplicateStudyErrors(sweeps: readonly PlannedSweep[], file?: string): MultiverseError[] {
  const errors: MultiverseError[] = [];
  const seen = new Map<string, PlannedSweep>();
  for (const sweep of sweeps) {
    const key = `${sweep.storage ?? "(default)"}\u0000${sweep.studyName}`;
    const earlier = seen.get(key);
    if (earlier) {
      errors.push(Errors.schema(`jobs[${sweep.jobIndex}] (${sweep.jobName}): study "${sweep.studyName}" is already the study of jobs[${earlier.jobIndex}] (${earlier.jobName}); give one of them a study_name`, {
        location: { file, field: `jobs[${sweep.jobIndex}].study_name` },
      }));
    } else {
      seen.set(key, sweep);
    }
  }
  return errors;
}

/** The run of a trial: the job's fixed parameters plus the trial's, resolved against the schema, with its own id. */
export function trialRun(sweep: PlannedSweep, trialParams: Record<string, unknown>): TrialRun {
  for (const name of Object.keys(trialParams)) {
    if (!(name in sweep.searchSpace)) throw new Error(`trial parameter "${name}" is not in the search space of study ${sweep.studyName}`);
  }
  const params = resolveHyperparameters(sweep.hyperparametersSchema, { ...sweep.fixedParams, ...trialParams }, {
    model: sweep.base.model,
    job: `${sweep.jobName} (study ${sweep.studyName})`,
  });
  const base = sweep.base;
  const runId = logicalRunId({
    datasetFingerprint: base.datasetFingerprint,
    modelSlug: base.model,
    modelVersion: base.modelVersion,
    image: base.image,
    params,
    seed: base.seed,
    preprocessing: base.preprocessing,
    contractVersion: base.contractVersion,
  });
  const spec: RunSpec = { ...structuredClone(base), params, paramsHash: paramsHash(params) };
  return { runId, name: runName(base.jobName, base.seed, runId), spec };
}
