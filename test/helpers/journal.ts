/** Reads a state root's journal lines as raw JSON objects, for assertions about what was recorded. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

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
