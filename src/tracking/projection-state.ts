/** The tracking projection state of runs, read from journal records (TRACKING_PROJECTION). Pure. */
import type { JournalRecord, TrackingProjectionRecord } from "../journal/records.js";

export type ProjectionStateValue = TrackingProjectionRecord["state"];

export interface AttemptProjectionState {
  attemptId: string;
  state: ProjectionStateValue;
  trackingUri: string;
  experimentName: string;
  experimentId?: string;
  mlflowRunId?: string;
  message?: string;
  ts: string;
}

/** The latest state per attempt, keeping the MLflow ids learnt by earlier records of the same attempt. */
export function foldProjectionStates(records: readonly JournalRecord[], runId?: string): Map<string, AttemptProjectionState> {
  const states = new Map<string, AttemptProjectionState>();
  for (const record of records) {
    if (record.type !== "TRACKING_PROJECTION" || (runId !== undefined && record.runId !== runId)) continue;
    applyProjectionRecord(states, record);
  }
  return states;
}

export function applyProjectionRecord(states: Map<string, AttemptProjectionState>, record: TrackingProjectionRecord): void {
  const previous = states.get(record.attemptId);
  states.set(record.attemptId, {
    attemptId: record.attemptId,
    state: record.state,
    trackingUri: record.trackingUri,
    experimentName: record.experimentName,
    experimentId: record.experimentId ?? previous?.experimentId,
    mlflowRunId: record.mlflowRunId ?? previous?.mlflowRunId,
    message: record.message,
    ts: record.ts,
  });
}

/** One line for `describe run`: "synced (MLflow run abc in experiment X at http://...)" or "pending: why". */
export function describeProjection(state: AttemptProjectionState): string {
  const where = `${state.mlflowRunId ? `MLflow run ${state.mlflowRunId}` : "no MLflow run yet"}, experiment "${state.experimentName}" at ${state.trackingUri}`;
  return `${state.state}${state.message ? `: ${state.message}` : ""} (${where})`;
}
