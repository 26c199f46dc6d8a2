/**
 * Splits metrics, params and tags into runs/log-batch calls within MLflow's limits (per call: 1000 metrics,
 * 100 params, 100 tags, 1000 entities in all), and fits values to MLflow's length limits. Pure.
 */
import { MLFLOW_LIMITS, type MlflowMetric, type MlflowParam, type MlflowTag } from "./mlflow-types.js";

export interface LogBatch {
  metrics: MlflowMetric[];
  params: MlflowParam[];
  tags: MlflowTag[];
}

export interface BatchLimits {
  metricsPerBatch: number;
  paramsPerBatch: number;
  tagsPerBatch: number;
  entitiesPerBatch: number;
}

const TRUNCATION_MARK = "...[truncated]";

/** A value cut to `max` characters, ending in a visible mark so that nobody mistakes it for the whole. */
export function fitValue(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${value.slice(0, Math.max(0, max - TRUNCATION_MARK.length))}${TRUNCATION_MARK}`;
}

export function fitParam(param: MlflowParam): MlflowParam {
  return { key: param.key, value: fitValue(param.value, MLFLOW_LIMITS.paramValueLength) };
}

export function fitTag(tag: MlflowTag): MlflowTag {
  return { key: tag.key, value: fitValue(tag.value, MLFLOW_LIMITS.tagValueLength) };
}

/**
 * Params and tags go first (a run's identity is visible before its numbers), each batch filled up to every
 * per-kind limit and the entity limit. Empty input gives no batches.
 */
export function chunkLogBatch(input: LogBatch, limits: BatchLimits = MLFLOW_LIMITS): LogBatch[] {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`log-batch limit ${name} must be a positive integer, got ${value}`);
  }
  const params = input.params.map(fitParam);
  const tags = input.tags.map(fitTag);
  const metrics = [...input.metrics];
  const batches: LogBatch[] = [];
  let p = 0;
  let t = 0;
  let m = 0;
  while (p < params.length || t < tags.length || m < metrics.length) {
    let room = limits.entitiesPerBatch;
    const takeParams = Math.min(limits.paramsPerBatch, params.length - p, room);
    room -= takeParams;
    const takeTags = Math.min(limits.tagsPerBatch, tags.length - t, room);
    room -= takeTags;
    const takeMetrics = Math.min(limits.metricsPerBatch, metrics.length - m, room);
    batches.push({ params: params.slice(p, p + takeParams), tags: tags.slice(t, t + takeTags), metrics: metrics.slice(m, m + takeMetrics) });
    p += takeParams;
    t += takeTags;
    m += takeMetrics;
  }
  return batches;
}
