/**
 * A run_manifest.yaml job's sweep fields (search_space, optimize_metric, direction, n_trials, study_storage,
 * study_name, sampler) as the Benchmark job's SweepSpec. Problems are pushed as issues with their field path,
 * so that the loader reports them with the file's line and column.
 */
import { isAbsolute, resolve } from "node:path";
import type { SearchDimensionSpec, SweepSpec } from "../domain/resources.js";
import type { SchemaIssue } from "../schemas/error-messages.js";

export interface SweepManifestFields {
  mode?: "train" | "sweep";
  search_space?: Record<string, SearchDimensionSpec>;
  optimize_metric?: string;
  direction?: "minimize" | "maximize";
  n_trials?: number;
  study_storage?: string;
  study_name?: string;
  sampler?: "tpe" | "random";
}

const SWEEP_ONLY = ["search_space", "optimize_metric", "direction", "n_trials", "study_storage", "study_name", "sampler"] as const;
/** optimize_metric may be left out: the trial's evaluation's bio-conservation score is the default. */
const REQUIRED = ["search_space", "direction", "n_trials"] as const;

/** An Optuna storage: a URL as given, or a file path (relative to the manifest) as a SQLite URL. */
export function storageUrl(value: string, baseDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  return `sqlite:///${isAbsolute(value) ? resolve(value) : resolve(baseDir, value)}`;
}

export function sweepFromManifestJob(job: SweepManifestFields, at: (string | number)[], baseDir: string, issues: SchemaIssue[]): SweepSpec | undefined {
  const field = (name: string) => `jobs[${String(at[1])}].${name}`;
  if (job.mode !== "sweep") {
    for (const name of SWEEP_ONLY) {
      if (job[name] !== undefined) {
        issues.push({ path: [...at, name], field: field(name), message: `"${name}" belongs to a sweep: set mode: sweep on this job, or remove it` });
      }
    }
    return undefined;
  }
  const missing = REQUIRED.filter((name) => job[name] === undefined);
  for (const name of missing) {
    issues.push({ path: at, field: field(name), message: `mode: sweep needs "${name}" (${REQUIRED.join(", ")} are required)` });
  }
  if (missing.length > 0) return undefined;
  const sweep: SweepSpec = {
    searchSpace: job.search_space!,
    direction: job.direction!,
    nTrials: job.n_trials!,
  };
  if (job.optimize_metric !== undefined) sweep.optimizeMetric = job.optimize_metric;
  if (job.study_storage !== undefined) {
    if (job.study_storage.includes("\u0000")) issues.push({ path: [...at, "study_storage"], field: field("study_storage"), message: "the path contains a NUL byte" });
    sweep.storage = storageUrl(job.study_storage, baseDir);
  }
  if (job.study_name !== undefined) sweep.studyName = job.study_name;
  if (job.sampler !== undefined) sweep.sampler = job.sampler;
  return sweep;
}
