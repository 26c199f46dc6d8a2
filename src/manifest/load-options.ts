/** What the manifest loaders share: options, the result, the loader context and the expansion bounds. */
import type { BenchmarkResource, DatasetResource, ModelResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { formatPath, type SchemaIssue } from "../schemas/error-messages.js";
import type { DatasetOrigin, JobOrigin } from "./job-origins.js";
import { raiseHint, type ManifestLimits } from "./limits.js";
import { formatMemLimit, parseMemLimit } from "./mem-limit.js";
import { jobNameIssue, nonFiniteIssues, versionIssues } from "./manifest-checks.js";
import { throwIssues } from "./validate-document.js";
import { locate, type LoadedDocument } from "./yaml-documents.js";

export interface ManifestLoadResult {
  benchmark: BenchmarkResource;
  datasets: DatasetResource[];
  models: ModelResource[];
  format: "run_manifest" | "simple" | "resources";
  /** Per Benchmark job (same index): where its fields are in the manifest. */
  origins: JobOrigin[];
  /** Datasets the manifest declares or uses, with the line that does. */
  datasetOrigins: DatasetOrigin[];
}

export interface ManifestLoadOptions {
  /** Treat the file as a simple-mode manifest (`multiverse run --simple`). */
  simple?: boolean;
  limits?: ManifestLimits;
}

export interface LoaderContext {
  file: string;
  baseDir: string;
  options: ManifestLoadOptions;
  limits: ManifestLimits;
}

export function memLimitOf(value: string | number, at: (string | number)[], issues: SchemaIssue[]): string | undefined {
  try {
    return formatMemLimit(parseMemLimit(value));
  } catch (error) {
    issues.push({ path: at, field: formatPath(at), message: (error as Error).message });
    return undefined;
  }
}

/** A number of jobs over the limit is refused before the jobs are validated one by one. */
export function checkJobCount(doc: LoadedDocument, jobs: unknown, at: (string | number)[], limits: ManifestLimits): void {
  if (!Array.isArray(jobs) || jobs.length <= limits.maxJobs) return;
  const first = [...at, limits.maxJobs];
  throw Errors.schema(`the manifest declares ${jobs.length} jobs, more than a manifest may hold`, {
    location: { file: doc.file, ...locate(doc, first), field: formatPath(first) },
    details: [raiseHint("maxJobs", limits, jobs.length), "or split the benchmark into several manifests"],
  });
}

/** Runs a job expands to (models x seeds; a sweep's trials), counted before any run is built. */
export function checkExpansion(doc: LoadedDocument, expansions: { at: (string | number)[]; runs: number }[], limits: ManifestLimits): void {
  let total = 0;
  for (const { at, runs } of expansions) {
    total += runs;
    if (total > limits.maxRuns) {
      throw Errors.schema(`the manifest expands to more than ${limits.maxRuns} runs (jobs x models x seeds) by this job`, {
        location: { file: doc.file, ...locate(doc, at), field: formatPath(at) },
        details: [raiseHint("maxRuns", limits, total)],
      });
    }
  }
}

/** metadata.name of the Benchmark: the experiment name as a DNS-1123 label. */
export function benchmarkName(experiment: string): string {
  const name = experiment.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[-.]+/, "").slice(0, 63).replace(/[-.]+$/, "");
  return name || "benchmark";
}

/** Schema-level problems every seed manifest is checked for before its own schema: job count, .inf/.nan, versions. */
export function checkSeedDocument(doc: LoadedDocument, context: LoaderContext, contractPaths: (string | number)[][]): void {
  const top = doc.value as Record<string, unknown>;
  checkJobCount(doc, top.jobs, ["jobs"], context.limits);
  throwIssues(doc, [...nonFiniteIssues(top), ...versionIssues(top, contractPaths), ...namedJobIssues(top.jobs, ["jobs"])], "manifest");
}


/** Job names checked before the schema, so that a reserved or unusable name gets its own sentence. */
export function namedJobIssues(jobs: unknown, at: (string | number)[]): SchemaIssue[] {
  if (!Array.isArray(jobs)) return [];
  return jobs.flatMap((job: unknown, index) => (job !== null && typeof job === "object" ? jobNameIssue((job as { name?: unknown }).name, [...at, index, "name"]) : []));
}
