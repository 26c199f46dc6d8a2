/**
 * The run controller's in-memory view of every run of the state root: replayed from the journal at start and
 * kept current by the journal writer (it subscribes first, so a writer's own records are visible the moment
 * append returns).
 */
import type { JournalRecord } from "../../src/journal/records.js";
import { applyRecord, type RunRecord } from "../../src/journal/run-records.js";

export class RunStore {
  private readonly runs = new Map<string, RunRecord>();

  observe(records: readonly JournalRecord[]): void {
    for (const record of records) applyRecord(this.runs, record);
  }

  get(runId: string): RunRecord | undefined {
    return this.runs.get(runId);
  }

  all(): RunRecord[] {
    return [...this.runs.values()];
  }

  values(): IterableIterator<RunRecord> {
    return this.runs.values();
  }
}
