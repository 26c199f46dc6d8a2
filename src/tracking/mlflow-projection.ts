/**
 * Projects one attempt into MLflow, idempotently: the MLflow run of an attempt is found by its
 * multiverse.physical_run_id tag before one is created, history points already present are not logged
 * again, artifact uploads overwrite, and a run already synced from the same manifest is left alone.
 * Shared by the run lifecycle (controllers/tracking-projector.ts) and `multiverse mlflow-sync`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { verifyBundle } from "../artifacts/verify.js";
import { MANIFEST_SHA_FILE, parseManifestShaLine, type ArtifactManifest } from "../artifacts/manifest.js";
import { parseMetricsJson } from "../validation/metrics-json.js";
import type { MlflowClient } from "./mlflow-client.js";
import type { MlflowMetric, MlflowRun } from "./mlflow-types.js";
import { artifactPlan, finalScalars, historyMetrics, missingPoints, openingProjection, subjectFromManifest, TAGS, toTags, type ProjectionSubject } from "./projection.js";

export interface OpenedRun {
  experimentId: string;
  run: MlflowRun;
  created: boolean;
}

/** MLflow's search syntax quotes values with single quotes; a quote inside is escaped by a backslash. */
export function quoted(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** The MLflow run of an attempt (the oldest if a race ever made two), or undefined. */
export async function findAttemptRun(client: MlflowClient, experimentId: string, physicalRunId: string): Promise<MlflowRun | undefined> {
  const runs = await client.searchRuns({
    experimentIds: [experimentId],
    filter: `tags."${TAGS.physicalRunId}" = ${quoted(physicalRunId)}`,
    orderBy: ["attributes.start_time ASC"],
  });
  return runs[0];
}

/**
 * The attempt's MLflow run with its params and identity tags, created when missing. `extraTags` may carry
 * mlflow.parentRunId (a sweep trial under its study's run).
 */
export async function openAttemptRun(
  client: MlflowClient,
  experimentName: string,
  subject: ProjectionSubject,
  options: { extraTags?: Record<string, string>; startTime?: number } = {},
): Promise<OpenedRun> {
  const experimentId = await client.ensureExperiment(experimentName);
  const opening = openingProjection(subject, options.extraTags);
  const existing = await findAttemptRun(client, experimentId, subject.physicalRunId);
  if (existing) {
    if (existing.tags[TAGS.projection] !== "synced") await client.logBatch(existing.info.runId, { params: opening.params, tags: opening.tags });
    return { experimentId, run: existing, created: false };
  }
  const tags = [...opening.tags, { key: TAGS.projection, value: "open" }];
  // The identity tag goes in with the create call, so that a run is findable from the moment it exists.
  const created = await client.createRun({ experimentId, runName: opening.runName, startTime: options.startTime, tags });
  await client.logBatch(created.info.runId, { params: opening.params });
  return { experimentId, run: await client.getRun(created.info.runId), created: true };
}

export interface BundleProjectionOptions {
  /** Default: the manifest's experiment_name. */
  experimentName?: string;
  /** The journal's run name, when known. */
  runName?: string;
  logEmbeddings: boolean;
  maxArtifactBytes: number;
  extraTags?: Record<string, string>;
  /** Host-side samples taken while the attempt ran (system/... metrics). */
  systemMetrics?: MlflowMetric[];
  systemMetricsSource?: string;
}

export interface BundleProjectionResult {
  bundleDir: string;
  physicalRunId: string;
  logicalRunId: string;
  experimentName: string;
  experimentId: string;
  mlflowRunId: string;
  /** created: a new MLflow run; updated: an existing run completed; unchanged: already synced from this manifest. */
  action: "created" | "updated" | "unchanged";
  metricsLogged: number;
  uploaded: string[];
  skipped: { path: string; why: string }[];
  warnings: string[];
}

export class BundleNotProjectableError extends Error {
  constructor(readonly bundleDir: string, readonly problems: string[]) {
    super(`${bundleDir} is not a verified bundle: ${problems.join("; ")}`);
    this.name = "BundleNotProjectableError";
  }
}

/** Projects a verified ARTIFACT_SUCCESS bundle: params, tags, final scalars, history, artifacts, FINISHED. */
export async function projectBundle(client: MlflowClient, bundleDir: string, options: BundleProjectionOptions): Promise<BundleProjectionResult> {
  const verification = await verifyBundle(bundleDir);
  if (!verification.ok || !verification.manifest) throw new BundleNotProjectableError(bundleDir, verification.problems.length > 0 ? verification.problems : ["no manifest"]);
  const manifest = verification.manifest;
  const manifestSha = parseManifestShaLine(readFileSync(join(bundleDir, MANIFEST_SHA_FILE), "utf8")) ?? "";
  const subject = subjectFromManifest(manifest, options.runName);
  const experimentName = options.experimentName ?? manifest.experiment_name;
  const producedAt = Date.parse(manifest.produced_at);
  const base = { bundleDir, physicalRunId: manifest.physical_run_id, logicalRunId: manifest.logical_run_id, experimentName };

  const opened = await openAttemptRun(client, experimentName, subject, { extraTags: options.extraTags, startTime: startTimeOf(manifest) });
  const runId = opened.run.info.runId;
  if (opened.run.tags[TAGS.projection] === "synced" && opened.run.tags[TAGS.manifestSha256] === manifestSha && opened.run.info.status === "FINISHED") {
    return { ...base, experimentId: opened.experimentId, mlflowRunId: runId, action: "unchanged", metricsLogged: 0, uploaded: [], skipped: [], warnings: [] };
  }

  const warnings: string[] = [];
  const metricsPath = join(bundleDir, "metrics.json");
  let metricsDocument: unknown;
  if (existsSync(metricsPath)) {
    try {
      metricsDocument = parseMetricsJson(readFileSync(metricsPath, "utf8")).value;
    } catch (error) {
      warnings.push(`metrics.json: ${(error as Error).message}`);
    }
  }
  const jsonlPath = join(bundleDir, "metrics.jsonl");
  const jsonl = existsSync(jsonlPath) ? readFileSync(jsonlPath, "utf8") : undefined;
  const finals = finalScalars(metricsDocument, producedAt);
  const history = historyMetrics(metricsDocument, jsonl, producedAt);
  if (history.skippedLines > 0) warnings.push(`metrics.jsonl: ${history.skippedLines} incomplete lines skipped`);
  const nonFinite = [...finals.nonFinite, ...history.nonFinite];

  const candidates = [...finals.metrics, ...history.metrics, ...(options.systemMetrics ?? [])];
  const present = await presentSteps(client, runId, opened.run, candidates);
  const metrics = missingPoints(candidates, present);

  const plan = artifactPlan(manifest.artifacts, { logEmbeddings: options.logEmbeddings, maxArtifactBytes: options.maxArtifactBytes });
  const tags: Record<string, string> = {
    [TAGS.phase]: "ARTIFACT_SUCCESS",
    [TAGS.artifactDir]: bundleDir,
    [TAGS.manifestSha256]: manifestSha,
  };
  if (nonFinite.length > 0) tags[TAGS.nonFiniteMetrics] = nonFinite.join(",");
  if (plan.skipped.length > 0) tags[TAGS.skippedArtifacts] = plan.skipped.map((s) => `${s.path} (${s.why})`).join("; ");
  if (options.systemMetricsSource) tags[TAGS.systemMetricsSource] = options.systemMetricsSource;
  await client.logBatch(runId, { metrics, tags: toTags(tags) });

  for (const path of plan.upload) {
    const file = join(bundleDir, path);
    if (!existsSync(file)) continue;
    if (statSync(file).size > options.maxArtifactBytes && !path.startsWith("artifact_manifest")) continue;
    await client.uploadArtifactFile(opened.run.info, path, file);
  }
  await client.setTerminated(runId, "FINISHED", Number.isFinite(producedAt) ? producedAt : Date.now());
  await client.setTag(runId, TAGS.projection, "synced");
  return {
    ...base,
    experimentId: opened.experimentId,
    mlflowRunId: runId,
    action: opened.created ? "created" : "updated",
    metricsLogged: metrics.length,
    uploaded: plan.upload,
    skipped: plan.skipped,
    warnings,
  };
}

/** The run's start: the first transition of the attempt that produced the bundle. */
function startTimeOf(manifest: ArtifactManifest): number | undefined {
  const first = manifest.transitions.find((t) => t.to === "RUNNING") ?? manifest.transitions[0];
  const at = first ? Date.parse(first.ts) : Number.NaN;
  return Number.isFinite(at) ? at : undefined;
}

/** Steps already logged per key among the keys about to be logged. */
async function presentSteps(client: MlflowClient, runId: string, run: MlflowRun, candidates: readonly MlflowMetric[]): Promise<Map<string, Set<number>>> {
  const present = new Map<string, Set<number>>();
  const keys = new Set(candidates.map((m) => m.key));
  for (const key of keys) {
    if (!(key in run.metrics)) continue; // never logged: nothing to compare with
    const steps = new Set((await client.getMetricHistory(runId, key)).map((m) => m.step));
    present.set(key, steps);
  }
  return present;
}

export interface FailureProjection {
  phase: "FAILED" | "CANCELLED";
  reason?: string;
  message?: string;
  endTime?: number;
  /** Workspace of the failed attempt: its logs are uploaded when present (evidence, small files only). */
  evidenceDir?: string;
  maxArtifactBytes: number;
  systemMetrics?: MlflowMetric[];
  systemMetricsSource?: string;
  extraTags?: Record<string, string>;
}

const EVIDENCE_FILES = ["orchestrator.log", "container.log", "run.log", "metrics.jsonl"];

/** A failed or cancelled attempt: its reason as tags, its logs, its streamed history, status FAILED or KILLED. */
export async function projectFailure(client: MlflowClient, experimentName: string, subject: ProjectionSubject, failure: FailureProjection): Promise<{ experimentId: string; mlflowRunId: string; created: boolean }> {
  const opened = await openAttemptRun(client, experimentName, subject, { extraTags: failure.extraTags });
  const runId = opened.run.info.runId;
  if (opened.run.tags[TAGS.projection] === "synced") return { experimentId: opened.experimentId, mlflowRunId: runId, created: false };
  const tags: Record<string, string> = { [TAGS.phase]: failure.phase };
  if (failure.reason) tags[TAGS.failureReason] = failure.reason;
  if (failure.message) tags[TAGS.failureMessage] = failure.message;
  if (failure.systemMetricsSource) tags[TAGS.systemMetricsSource] = failure.systemMetricsSource;
  const endTime = failure.endTime ?? Date.now();
  let metrics = failure.systemMetrics ?? [];
  if (failure.evidenceDir) {
    const jsonlPath = join(failure.evidenceDir, "metrics.jsonl");
    if (existsSync(jsonlPath)) metrics = [...metrics, ...historyMetrics(undefined, readFileSync(jsonlPath, "utf8"), endTime).metrics];
  }
  metrics = missingPoints(metrics, await presentSteps(client, runId, opened.run, metrics));
  await client.logBatch(runId, { metrics, tags: toTags(tags) });
  if (failure.evidenceDir) {
    for (const name of EVIDENCE_FILES) {
      const file = join(failure.evidenceDir, name);
      if (existsSync(file) && statSync(file).isFile() && statSync(file).size <= failure.maxArtifactBytes) await client.uploadArtifactFile(opened.run.info, `evidence/${name}`, file);
    }
  }
  await client.setTerminated(runId, failure.phase === "CANCELLED" ? "KILLED" : "FAILED", endTime);
  await client.setTag(runId, TAGS.projection, "synced");
  return { experimentId: opened.experimentId, mlflowRunId: runId, created: opened.created };
}
