/**
 * Where a run's wall time goes, from the journal's own timestamps: launch intent -> running (the engine started it)
 * -> exited -> validated (TRAINING_SUCCEEDED -> PROMOTING) -> promoted (ARTIFACT_SUCCESS). Medians over the runs.
 */
import type { JournalRecord } from "../src/journal/records.js";
import { median } from "./bench-support.js";

export const STEPS = ["launch intent -> running", "running -> exited", "exited -> validated", "validated -> promoted"] as const;
export type Step = (typeof STEPS)[number];

/** Seconds per step per run (first attempt that reached ARTIFACT_SUCCESS); runs that did not get there are left out. */
export function stepSeconds(records: readonly JournalRecord[]): Map<Step, number[]> {
  const marks = new Map<string, Partial<Record<"intent" | "running" | "exited" | "validated" | "promoted", number>>>();
  const mark = (runId: string, key: "intent" | "running" | "exited" | "validated" | "promoted", ts: string) => {
    const run = marks.get(runId) ?? {};
    run[key] ??= Date.parse(ts);
    marks.set(runId, run);
  };
  for (const r of records) {
    if (r.type === "LAUNCH_INTENT") mark(r.runId, "intent", r.ts);
    else if (r.type === "ATTEMPT_EXITED") mark(r.runId, "exited", r.ts);
    else if (r.type === "RUN_TRANSITION" && r.to === "RUNNING") mark(r.runId, "running", r.ts);
    else if (r.type === "RUN_TRANSITION" && r.to === "PROMOTING") mark(r.runId, "validated", r.ts);
    else if (r.type === "RUN_TRANSITION" && r.to === "ARTIFACT_SUCCESS") mark(r.runId, "promoted", r.ts);
  }
  const out = new Map<Step, number[]>(STEPS.map((s) => [s, []]));
  for (const m of marks.values()) {
    if (m.intent === undefined || m.running === undefined || m.exited === undefined || m.validated === undefined || m.promoted === undefined) continue;
    out.get("launch intent -> running")!.push((m.running - m.intent) / 1000);
    out.get("running -> exited")!.push((m.exited - m.running) / 1000);
    out.get("exited -> validated")!.push((m.validated - m.exited) / 1000);
    out.get("validated -> promoted")!.push((m.promoted - m.validated) / 1000);
  }
  return out;
}

export function medianSteps(records: readonly JournalRecord[]): Record<Step, number> {
  const steps = stepSeconds(records);
  return Object.fromEntries(STEPS.map((s) => [s, median(steps.get(s)!)])) as Record<Step, number>;
}
