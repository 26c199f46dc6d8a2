/**
 * What Optuna is told about a trial, from its run (pure). A promoted run tells the metric read from its bundle's
 * metrics.json; a missing, null or non-finite metric is PRUNED (never 0); a failed or cancelled run is FAIL.
 */
import type { RunPhase } from "../domain/run-states.js";

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
