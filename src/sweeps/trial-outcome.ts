/**
 * What Optuna is told about a trial, from its run (pure). A promoted run tells the metric read from its bundle's
 * metrics.json; a missing, null or non-finite metric is PRUNED (never 0); a failed or cancelled run is FAIL.
 */
import type { RunPhase } from "../domain/run-states.js";
import { CATEGORY_SCORES, SCORE_PREFIX } from "../evaluation/score-names.js";

export type TrialState = "COMPLETE" | "PRUNED" | "FAIL";

export type TrialOutcome =
  | { state: "COMPLETE"; value: number; message: string }
  | { state: "PRUNED"; message: string }
  | { state: "FAIL"; message: string };

type Lookup = { found: true; value: unknown } | { found: false };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Longest key first at each level, so that keys that themselves contain dots are found. */
function lookup(node: unknown, segments: readonly string[]): Lookup {
  if (segments.length === 0) return { found: true, value: node };
  if (!isRecord(node)) return { found: false };
  for (let take = segments.length; take >= 1; take -= 1) {
    const key = segments.slice(0, take).join(".");
    if (Object.hasOwn(node, key)) {
      const found = lookup(node[key], segments.slice(take));
      if (found.found) return found;
    }
  }
  return { found: false };
}

/**
 * A metric by dotted path in a metrics.json document: from the top ("model_metrics.loss"), or else under
 * model_metrics ("loss"), where the worker SDK writes a model's scalars.
 */
export function metricAt(metrics: unknown, path: string): Lookup {
  const segments = path.split(".");
  const top = lookup(metrics, segments);
  if (top.found) return top;
  return isRecord(metrics) ? lookup(metrics.model_metrics, segments) : { found: false };
}

/** The outcome of a promoted run, from the text of its metrics.json (undefined when the bundle has none). */
export function outcomeFromMetricsText(text: string | undefined, metric: string): TrialOutcome {
  if (text === undefined) return { state: "PRUNED", message: `the bundle has no metrics.json, so "${metric}" is missing` };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { state: "PRUNED", message: `metrics.json is not JSON (${(error as Error).message}), so "${metric}" is missing` };
  }
  const found = metricAt(document, metric);
  if (!found.found) return { state: "PRUNED", message: `metrics.json has no "${metric}"` };
  const value = found.value;
  if (value === null) return { state: "PRUNED", message: `"${metric}" is null in metrics.json (the model reported a non-finite value)` };
  if (typeof value !== "number") return { state: "PRUNED", message: `"${metric}" is ${Array.isArray(value) ? "a list" : typeof value}, not a number` };
  if (!Number.isFinite(value)) return { state: "PRUNED", message: `"${metric}" is ${value}` };
  return { state: "COMPLETE", value, message: `${metric} = ${value}` };
}

/** The outcome of a run that reached a terminal phase other than ARTIFACT_SUCCESS. */
export function outcomeOfUnsuccessfulRun(phase: RunPhase, reason: string | undefined, message: string | undefined): TrialOutcome {
  const why = [reason, message].filter((s) => s !== undefined && s !== "").join(": ");
  return { state: "FAIL", message: `run ${phase}${why ? ` (${why})` : ""}` };
}

/** The seeds' default trial metric: a bio-conservation score. */
export const DEFAULT_TRIAL_METRIC = `${SCORE_PREFIX}bio_conservation`;

/** Metrics a sweep reads from the trial's evaluation instead of its metrics.json: scib.<score or metric>. */
export function isScoreMetric(metric: string): boolean {
  return metric.startsWith(SCORE_PREFIX);
}

/** A score metric's name is scib. and then a category score or one of the evaluator's metric names. */
export function scoreMetricProblem(metric: string): string | undefined {
  if (!isScoreMetric(metric)) return undefined;
  const name = metric.slice(SCORE_PREFIX.length);
  return /^[A-Za-z0-9_]+$/.test(name) ? undefined : `"${metric}" is not a score: after "${SCORE_PREFIX}" comes ${CATEGORY_SCORES.join(", ")} or a metric name (letters, digits, _)`;
}

/**
 * The outcome of a trial from its member evaluation (evaluations/<member_id>.json): its raw category score or raw
 * metric value (raw, not scaled: a raw value does not depend on which other rows were evaluated, so trials compare).
 * A member that was not evaluated, and a score that is not applicable or null, are PRUNED with the reason; never 0.
 */
export function outcomeFromMemberEvaluation(document: unknown, metric: string): TrialOutcome {
  const name = metric.slice(SCORE_PREFIX.length);
  if (!isRecord(document)) return { state: "PRUNED", message: `the trial's evaluation is not a JSON object, so "${metric}" is missing` };
  const status = typeof document.status === "string" ? document.status : "unknown";
  const reason = typeof document.reason === "string" && document.reason !== "" ? `: ${document.reason}` : "";
  if (status !== "done") return { state: "PRUNED", message: `the trial's evaluation is ${status}${reason}, so "${metric}" has no value` };
  let value: unknown;
  let why: string | undefined;
  if ((CATEGORY_SCORES as readonly string[]).includes(name)) {
    const scores = isRecord(document.scores) ? document.scores : {};
    value = scores[name];
    const reasons = isRecord(scores.reasons) ? scores.reasons : {};
    why = typeof reasons[name] === "string" ? reasons[name] : undefined;
  } else {
    const metrics = Array.isArray(document.metrics) ? document.metrics.filter(isRecord) : [];
    const entry = metrics.find((m) => m.name === name);
    if (!entry) {
      const known = [...CATEGORY_SCORES, ...metrics.map((m) => String(m.name))];
      return { state: "PRUNED", message: `the trial's evaluation has no "${name}" (it has ${known.join(", ")})` };
    }
    value = entry.value;
    why = [entry.status, entry.reason].filter((s): s is string => typeof s === "string" && s !== "").join(": ") || undefined;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return { state: "PRUNED", message: `"${metric}" has no value in the trial's evaluation${why ? ` (${why})` : ""}` };
  return { state: "COMPLETE", value, message: `${metric} = ${value} (raw, from the trial's evaluation)` };
}
