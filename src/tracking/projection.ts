/**
 * What a run looks like in MLflow, computed from multiverse's own records. Pure: a run's identity (from the
 * RunSpec before launch, or from a bundle's artifact_manifest.json afterwards) plus metrics.json and
 * metrics.jsonl in; params, tags, metrics and the artifact plan out. The same subject always gives the same
 * params, so that opening a run before launch and syncing its bundle later never disagree (MLflow refuses
 * to change a logged param).
 */
import type { RunSpec } from "../domain/resources.js";
import type { ArtifactManifest } from "../artifacts/manifest.js";
import { MLFLOW_LIMITS, MLFLOW_SYSTEM_TAGS, type MlflowMetric, type MlflowParam, type MlflowTag } from "./mlflow-types.js";

/** Tag keys multiverse owns. `physicalRunId` is the key runs are found by (idempotent sync). */
export const TAGS = {
  logicalRunId: "multiverse.logical_run_id",
  physicalRunId: "multiverse.physical_run_id",
  attempt: "multiverse.attempt",
  runName: "multiverse.run_name",
  benchmark: "multiverse.benchmark",
  jobName: "multiverse.job_name",
  dataset: "multiverse.dataset",
  datasetFingerprint: "multiverse.dataset_fingerprint",
  model: "multiverse.model",
  modelVersion: "multiverse.model_version",
  image: "multiverse.image",
  imageKind: "multiverse.image_kind",
  imageDigest: "multiverse.image_digest",
  sifDigest: "multiverse.sif_digest",
  contractVersion: "multiverse.contract_version",
  paramsHash: "multiverse.params_hash",
  seed: "multiverse.seed",
  phase: "multiverse.phase",
  failureReason: "multiverse.failure_reason",
  failureMessage: "multiverse.failure_message",
  artifactDir: "multiverse.artifact_dir",
  manifestSha256: "multiverse.manifest_sha256",
  projection: "multiverse.projection",
  nonFiniteMetrics: "multiverse.non_finite_metrics",
  skippedArtifacts: "multiverse.skipped_artifacts",
  systemMetricsSource: "multiverse.system_metrics_source",
} as const;

/** The identity of one attempt, as both a RunSpec and an artifact manifest can tell it. */
export interface ProjectionSubject {
  logicalRunId: string;
  physicalRunId: string;
  attempt: number;
  runName: string;
  experimentName: string;
  benchmark: string;
  jobName: string;
  dataset: { slug: string; fingerprint: string };
  model: { slug: string; version: string };
  image: { reference: string; kind: string; digest: string; sifDigest?: string };
  params: Record<string, unknown>;
  paramsHash: string;
  seed: number;
  contractVersion: string;
}

export function subjectFromSpec(run: { runId: string; name: string; spec: RunSpec }, attemptId: string, attempt: number): ProjectionSubject {
  const { spec } = run;
  return {
    logicalRunId: run.runId,
    physicalRunId: attemptId,
    attempt,
    runName: run.name,
    experimentName: spec.experimentName,
    benchmark: spec.benchmark,
    jobName: spec.jobName,
    dataset: { slug: spec.dataset, fingerprint: spec.datasetFingerprint },
    model: { slug: spec.model, version: spec.modelVersion },
    image: { reference: spec.image.reference, kind: spec.image.kind, digest: spec.image.digest, ...(spec.image.sifDigest ? { sifDigest: spec.image.sifDigest } : {}) },
    params: spec.params,
    paramsHash: spec.paramsHash,
    seed: spec.seed,
    contractVersion: spec.contractVersion,
  };
}

/** `runName` is not in the manifest; the caller passes the journal's name when it knows it. */
export function subjectFromManifest(manifest: ArtifactManifest, runName?: string): ProjectionSubject {
  return {
    logicalRunId: manifest.logical_run_id,
    physicalRunId: manifest.physical_run_id,
    attempt: manifest.attempt,
    runName: runName ?? defaultRunName(manifest.job_name, manifest.seed, manifest.logical_run_id),
    experimentName: manifest.experiment_name,
    benchmark: manifest.benchmark,
    jobName: manifest.job_name,
    dataset: { slug: manifest.dataset.slug, fingerprint: manifest.dataset.fingerprint },
    model: { slug: manifest.model.slug, version: manifest.model.version },
    image: { reference: manifest.image.reference, kind: manifest.image.kind, digest: manifest.image.digest, ...(manifest.image.sif_digest ? { sifDigest: manifest.image.sif_digest } : {}) },
    params: manifest.params,
    paramsHash: manifest.params_hash,
    seed: manifest.seed,
    contractVersion: manifest.contract_version,
  };
}

/** The same shape runName() in src/identity gives, so that runs synced from bare bundles look alike. */
function defaultRunName(jobName: string, seed: number, runId: string): string {
  const base = jobName.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "job";
  return `${base}-s${seed}-${runId.slice(0, 8)}`;
}

/** MLflow keys: letters, digits, `_ - . / ` and space, at most 250 characters. Anything else becomes `_`. */
export function metricKey(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_\-./ ]/g, "_");
  return (cleaned === "" ? "_" : cleaned).slice(0, MLFLOW_LIMITS.keyLength);
}

/** A param value as text: strings as they are, everything else as canonical JSON. */
export function paramValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return JSON.stringify(value);
}

/**
 * Nested objects flattened with "." (`{optim: {lr: 1e-3}}` -> `optim.lr`). Arrays are leaves: hyperparameter
 * lists stay one param. An empty object is kept as a leaf so that it is not silently dropped.
 */
export function flatten(value: Record<string, unknown>, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, child] of Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (child && typeof child === "object" && !Array.isArray(child) && Object.keys(child).length > 0) out.push(...flatten(child as Record<string, unknown>, path));
    else out.push([path, child]);
  }
  return out;
}

export interface OpeningProjection {
  runName: string;
  params: MlflowParam[];
  tags: MlflowTag[];
}

/** Params (the model's hyperparameters, flattened, and the seed) and identity tags: logged before launch. */
export function openingProjection(subject: ProjectionSubject, extraTags: Record<string, string> = {}): OpeningProjection {
  const params: MlflowParam[] = flatten(subject.params).map(([key, value]) => ({ key: metricKey(key), value: paramValue(value) }));
  if (!params.some((p) => p.key === "seed")) params.push({ key: "seed", value: String(subject.seed) });
  const tags: Record<string, string> = {
    [TAGS.logicalRunId]: subject.logicalRunId,
    [TAGS.physicalRunId]: subject.physicalRunId,
    [TAGS.attempt]: String(subject.attempt),
    [TAGS.runName]: subject.runName,
    [TAGS.benchmark]: subject.benchmark,
    [TAGS.jobName]: subject.jobName,
    [TAGS.dataset]: subject.dataset.slug,
    [TAGS.datasetFingerprint]: subject.dataset.fingerprint,
    [TAGS.model]: subject.model.slug,
    [TAGS.modelVersion]: subject.model.version,
    [TAGS.image]: subject.image.reference,
    [TAGS.imageKind]: subject.image.kind,
    [TAGS.imageDigest]: subject.image.digest,
    [TAGS.contractVersion]: subject.contractVersion,
    [TAGS.paramsHash]: subject.paramsHash,
    [TAGS.seed]: String(subject.seed),
    [MLFLOW_SYSTEM_TAGS.source]: "multiverse",
    [MLFLOW_SYSTEM_TAGS.runName]: subject.runName,
    ...(subject.image.sifDigest ? { [TAGS.sifDigest]: subject.image.sifDigest } : {}),
    ...extraTags,
  };
  return { runName: subject.runName, params, tags: toTags(tags) };
}

export function toTags(record: Record<string, string>): MlflowTag[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

export interface FinalScalars {
  metrics: MlflowMetric[];
  /** Dotted paths of values that were NaN or +-Infinity (dropped: MLflow comparisons would be meaningless). */
  nonFinite: string[];
  /** Dotted paths of values that are not numbers (strings, nulls, lists): not metrics. */
  ignored: string[];
}

/**
 * Final scalars of metrics.json: `model_metrics` under their own names, every other top-level block except
 * `history` flattened with its block name (`eval.ari`). Booleans count as 0/1.
 */
export function finalScalars(metricsJson: unknown, timestampMs: number): FinalScalars {
  const result: FinalScalars = { metrics: [], nonFinite: [], ignored: [] };
  if (!metricsJson || typeof metricsJson !== "object" || Array.isArray(metricsJson)) return result;
  const document = metricsJson as Record<string, unknown>;
  const leaves: [string, unknown][] = [];
  for (const [block, value] of Object.entries(document)) {
    if (block === "history") continue;
    if (block === "model_metrics" && value && typeof value === "object" && !Array.isArray(value)) leaves.push(...flatten(value as Record<string, unknown>));
    else if (value && typeof value === "object" && !Array.isArray(value)) leaves.push(...flatten(value as Record<string, unknown>, block));
    else leaves.push([block, value]);
  }
  const seen = new Set<string>();
  for (const [path, value] of leaves) {
    const number = typeof value === "boolean" ? (value ? 1 : 0) : value;
    if (typeof number !== "number") {
      result.ignored.push(path);
      continue;
    }
    if (!Number.isFinite(number)) {
      result.nonFinite.push(path);
      continue;
    }
    const key = metricKey(path);
    if (seen.has(key)) continue;
    seen.add(key);
    result.metrics.push({ key, value: number, timestamp: timestampMs, step: 0 });
  }
  return result;
}

export interface HistoryProjection {
  metrics: MlflowMetric[];
  nonFinite: string[];
  /** Lines of metrics.jsonl that are not complete JSON records (a torn last line after a crash). */
  skippedLines: number;
}

/**
 * The per-epoch history. metrics.jsonl (one `{step, timestamp, metrics}` line per epoch, written by the SDK's
 * EpochLogger) is the source for every key it has; metrics.json's `history` block (lists per key, stepped by
 * its `epoch` or `step` list, else by position) adds keys the stream lacks.
 */
export function historyMetrics(metricsJson: unknown, metricsJsonl: string | undefined, fallbackTimestampMs: number): HistoryProjection {
  const result: HistoryProjection = { metrics: [], nonFinite: [], skippedLines: 0 };
  const streamed = new Set<string>();
  for (const line of (metricsJsonl ?? "").split("\n")) {
    if (line.trim() === "") continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      result.skippedLines += 1;
      continue;
    }
    if (!record || typeof record !== "object" || Array.isArray(record)) {
      result.skippedLines += 1;
      continue;
    }
    const { step, timestamp, metrics } = record as { step?: unknown; timestamp?: unknown; metrics?: unknown };
    if (typeof step !== "number" || !Number.isInteger(step) || !metrics || typeof metrics !== "object" || Array.isArray(metrics)) {
      result.skippedLines += 1;
      continue;
    }
    const at = typeof timestamp === "number" && Number.isFinite(timestamp) ? Math.round(timestamp * 1000) : fallbackTimestampMs;
    for (const [path, value] of flatten(metrics as Record<string, unknown>)) {
      if (typeof value !== "number") continue;
      const key = metricKey(path);
      streamed.add(key);
      if (!Number.isFinite(value)) result.nonFinite.push(`metrics.jsonl:${step}:${path}`);
      else result.metrics.push({ key, value, timestamp: at, step });
    }
  }
  const history = metricsJson && typeof metricsJson === "object" && !Array.isArray(metricsJson) ? (metricsJson as Record<string, unknown>).history : undefined;
  if (history && typeof history === "object" && !Array.isArray(history)) {
    const series = history as Record<string, unknown>;
    const stepKey = ["epoch", "step"].find((k) => Array.isArray(series[k]));
    const steps = stepKey ? (series[stepKey] as unknown[]) : undefined;
    for (const [name, values] of Object.entries(series)) {
      if (name === stepKey || !Array.isArray(values)) continue;
      const key = metricKey(name);
      if (streamed.has(key)) continue;
      values.forEach((value, i) => {
        const stepValue = steps?.[i];
        const step = typeof stepValue === "number" && Number.isInteger(stepValue) ? stepValue : i;
        if (typeof value !== "number") return;
        if (!Number.isFinite(value)) result.nonFinite.push(`history.${name}[${i}]`);
        else result.metrics.push({ key, value, timestamp: fallbackTimestampMs, step });
      });
    }
  }
  return result;
}

/** Points whose (key, step) the run already holds are left out: a second sync or a live stream adds nothing. */
export function missingPoints(points: readonly MlflowMetric[], existing: ReadonlyMap<string, ReadonlySet<number>>): MlflowMetric[] {
  return points.filter((p) => !existing.get(p.key)?.has(p.step));
}

export interface ArtifactPlanOptions {
  /** embeddings.h5 is often the largest file; off unless asked. */
  logEmbeddings: boolean;
  /** Files larger than this are not uploaded (recorded in a tag instead). */
  maxArtifactBytes: number;
}

export interface ArtifactPlan {
  upload: string[];
  skipped: { path: string; why: string }[];
}

/** Which of a bundle's files are uploaded: every listed artifact plus the manifest and its sidecar. */
export function artifactPlan(artifacts: readonly { path: string; role: string; size_bytes: number }[], options: ArtifactPlanOptions): ArtifactPlan {
  const plan: ArtifactPlan = { upload: [], skipped: [] };
  for (const artifact of artifacts) {
    if (artifact.role === "embeddings" && !options.logEmbeddings) plan.skipped.push({ path: artifact.path, why: "embeddings not logged (mlflow_log_embeddings)" });
    else if (artifact.size_bytes > options.maxArtifactBytes) plan.skipped.push({ path: artifact.path, why: `${artifact.size_bytes} bytes > ${options.maxArtifactBytes}` });
    else plan.upload.push(artifact.path);
  }
  plan.upload.push("artifact_manifest.json", "artifact_manifest.sha256");
  return plan;
}
