/** Reads a state root's journal lines as raw JSON objects, for assertions about what was recorded. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil, type WaitOptions } from "./wait.js";

export interface RawRecord {
  type: string;
  runId?: string;
  attemptId?: string;
  event?: string;
  reason?: string;
}

export function journalRecords(stateRoot: string): RawRecord[] {
  const dir = join(stateRoot, "journal");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n"))
    .filter((l) => l.endsWith("}"))
    .map((l) => JSON.parse(l) as RawRecord);
}

export function countRecords(stateRoot: string, type: string): number {
  return journalRecords(stateRoot).filter((r) => r.type === type).length;
}

/** Counts of records by type, for failure messages. */
export function showRecordTypes(records: RawRecord[]): string {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.type, (counts.get(record.type) ?? 0) + 1);
  return counts.size === 0 ? "an empty journal" : [...counts].map(([type, n]) => `${n} ${type}`).join(", ");
}

/** Waits until the journal shows what `done` expects; the failure names the record counts last seen. */
export function waitForJournal(stateRoot: string, what: string, done: (records: RawRecord[]) => boolean, options: WaitOptions<RawRecord[]> = {}): Promise<RawRecord[]> {
  return waitUntil(what, () => journalRecords(stateRoot), done, { show: showRecordTypes, ...options });
}
