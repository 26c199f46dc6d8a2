/**
 * The controller's in-memory view of runs, rebuilt from the journal on start (read the whole world).
 * Pure: journal records in, run records out.
 */
import type { RunSpec } from "../domain/resources.js";
import { RUN_MACHINE_VERSION, type JournalRecord, type PersistedRunSnapshot } from "./records.js";

export interface TransitionEntry {
  from: string;
  to: string;
  event: string;
  ts: string;
  attemptId?: string;
}

export interface RunRecord {
  runId: string;
  name: string;
  spec: RunSpec;
  snapshot: PersistedRunSnapshot;
  /** Artifact dirs of every promotion of this logical run, oldest first. */
  promotions: { attemptId: string; artifactDir: string }[];
  /** Attempts with a journaled launch intent. */
  launched: Set<string>;
  /** Attempts whose exit has been journaled, with what the engine reported. */
  exited: Map<string, { exitCode: number | null; oomKilled: boolean; startedAt?: string; finishedAt?: string }>;
  transitions: TransitionEntry[];
  cancelRequested: boolean;
  timeoutIssued: Set<string>;
}

/** The snapshot of a run just planned: the run machine's initial state (a unit test holds the two equal). */
export function plannedRunSnapshot(): PersistedRunSnapshot {
  return { machineVersion: RUN_MACHINE_VERSION, value: "PENDING", context: { attempt: 0 } };
}

export function newRunRecord(runId: string, name: string, spec: RunSpec): RunRecord {
  return {
    runId,
    name,
    spec,
    snapshot: plannedRunSnapshot(),
    promotions: [],
    launched: new Set(),
    exited: new Map(),
    transitions: [],
    cancelRequested: false,
    timeoutIssued: new Set(),
  };
}

export function replayRecords(records: readonly JournalRecord[], into: Map<string, RunRecord> = new Map()): Map<string, RunRecord> {
  for (const record of records) applyRecord(into, record);
  return into;
}

export function applyRecord(runs: Map<string, RunRecord>, record: JournalRecord): void {
  if (record.type === "RUN_PLANNED") {
    const existing = runs.get(record.runId);
    if (existing) {
      existing.spec = record.spec;
      existing.name = record.name;
    } else {
      runs.set(record.runId, newRunRecord(record.runId, record.name, record.spec));
    }
    return;
  }
  if (!("runId" in record) || record.runId === undefined) return; // benchmark and maintenance records: not a run's state
  const run = runs.get(record.runId);
  if (!run) return; // records of runs planned in a pruned segment are ignored
  switch (record.type) {
    case "RUN_TRANSITION":
      run.snapshot = record.snapshot;
      run.transitions.push({ from: record.from, to: record.to, event: record.event, ts: record.ts, attemptId: record.attemptId });
      break;
    case "LAUNCH_INTENT":
      run.launched.add(record.attemptId);
      break;
    case "ATTEMPT_EXITED":
      run.exited.set(record.attemptId, { exitCode: record.exitCode, oomKilled: record.oomKilled, startedAt: record.startedAt, finishedAt: record.finishedAt });
      break;
    case "PROMOTED":
      run.promotions.push({ attemptId: record.attemptId, artifactDir: record.artifactDir });
      break;
    case "RUN_REUSED":
    case "PROMOTION_INTENT":
      break;
  }
}
