/**
 * Pure: why a run is new rather than reused. Compares a planned run with an earlier run of the same job and seed
 * and names every identity input that changed, down to the hyperparameter.
 */
import type { RunSpec } from "../src/domain/resources.js";
import { canonicalJson } from "../src/identity/canonical-json.js";

function show(value: unknown): string {
  const text = value === undefined ? "(unset)" : typeof value === "string" ? value : canonicalJson(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function diffObjects(label: string, before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((k) => canonicalJson(before[k] ?? null) !== canonicalJson(after[k] ?? null))
    .map((k) => `${label}.${k}: ${show(before[k])} -> ${show(after[k])}`);
}

export function explainCacheMiss(previous: RunSpec, current: RunSpec): string[] {
  const changes: string[] = [];
  if (previous.datasetFingerprint !== current.datasetFingerprint) changes.push(`dataset content: ${previous.datasetFingerprint.slice(0, 19)} -> ${current.datasetFingerprint.slice(0, 19)}`);
  if (previous.model !== current.model) changes.push(`model: ${previous.model} -> ${current.model}`);
  if (previous.modelVersion !== current.modelVersion) changes.push(`model version: ${previous.modelVersion} -> ${current.modelVersion}`);
  if (previous.image.digest !== current.image.digest || previous.image.kind !== current.image.kind) {
    changes.push(`image ${current.image.reference}: ${previous.image.kind} ${previous.image.digest.slice(0, 19)} -> ${current.image.kind} ${current.image.digest.slice(0, 19)}`);
  }
  changes.push(...diffObjects("params", previous.params, current.params));
  if (previous.seed !== current.seed) changes.push(`seed: ${previous.seed} -> ${current.seed}`);
  changes.push(...diffObjects("preprocessing", previous.preprocessing, current.preprocessing));
  if (previous.contractVersion !== current.contractVersion) changes.push(`contract version: ${previous.contractVersion} -> ${current.contractVersion}`);
  return changes;
}
