/** Decoding of MLflow REST answers: every field checked, with the endpoint named when one is missing or malformed. */
import { MlflowProtocolError } from "./mlflow-errors.js";
import type { MlflowExperiment, MlflowMetric, MlflowRun, MlflowRunStatus } from "./mlflow-types.js";

export type Json = Record<string, unknown>;

export function asObject(value: unknown, endpoint: string, what: string): Json {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new MlflowProtocolError(endpoint, `${what} is not a JSON object`);
  return value as Json;
}

export function field(body: Json, key: string, endpoint: string): Json {
  return asObject(body[key], endpoint, key);
}

export function requireString(value: unknown, endpoint: string, what: string): string {
  if (typeof value !== "string") throw new MlflowProtocolError(endpoint, `${what} is missing or not a string`);
  return value;
}

export function optionalNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

export function optionalArray(value: unknown, endpoint: string, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MlflowProtocolError(endpoint, `${what} is not a list`);
  return value;
}

export function keyValues(value: unknown, endpoint: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of optionalArray(value, endpoint, what)) {
    const e = asObject(entry, endpoint, `${what}[]`);
    out[requireString(e.key, endpoint, `${what}[].key`)] = typeof e.value === "string" ? e.value : "";
  }
  return out;
}

/** MLflow encodes NaN and infinities of metric values as the strings "NaN", "Infinity", "-Infinity". */
export function metricValue(value: unknown): number {
  if (typeof value === "number") return value;
  if (value === "NaN") return Number.NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return optionalNumber(value) ?? Number.NaN;
}

export function decodeMetric(value: unknown, endpoint: string): MlflowMetric {
  const m = asObject(value, endpoint, "metric");
  return { key: requireString(m.key, endpoint, "metric.key"), value: metricValue(m.value), timestamp: optionalNumber(m.timestamp) ?? 0, step: optionalNumber(m.step) ?? 0 };
}

export function decodeExperiment(e: Json, endpoint: string): MlflowExperiment {
  return {
    experimentId: requireString(e.experiment_id, endpoint, "experiment.experiment_id"),
    name: requireString(e.name, endpoint, "experiment.name"),
    artifactLocation: typeof e.artifact_location === "string" ? e.artifact_location : "",
    lifecycleStage: typeof e.lifecycle_stage === "string" ? e.lifecycle_stage : "active",
    tags: keyValues(e.tags, endpoint, "experiment.tags"),
  };
}

export function decodeRun(value: unknown, endpoint: string): MlflowRun {
  const run = asObject(value, endpoint, "run");
  const info = asObject(run.info, endpoint, "run.info");
  const data = run.data === undefined ? {} : asObject(run.data, endpoint, "run.data");
  const metrics: Record<string, MlflowMetric> = {};
  for (const metric of optionalArray(data.metrics, endpoint, "run.data.metrics")) {
    const decoded = decodeMetric(metric, endpoint);
    metrics[decoded.key] = decoded;
  }
  const status = requireString(info.status, endpoint, "run.info.status") as MlflowRunStatus;
  return {
    info: {
      runId: requireString(info.run_id ?? info.run_uuid, endpoint, "run.info.run_id"),
      runName: typeof info.run_name === "string" ? info.run_name : "",
      experimentId: requireString(info.experiment_id, endpoint, "run.info.experiment_id"),
      status,
      startTime: optionalNumber(info.start_time),
      endTime: optionalNumber(info.end_time),
      artifactUri: typeof info.artifact_uri === "string" ? info.artifact_uri : "",
      lifecycleStage: typeof info.lifecycle_stage === "string" ? info.lifecycle_stage : "active",
    },
    params: keyValues(data.params, endpoint, "run.data.params"),
    tags: keyValues(data.tags, endpoint, "run.data.tags"),
    metrics,
  };
}
