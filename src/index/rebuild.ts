/** Rebuilding the index from the journal, and checking an index file against the journal without writing. */
import { existsSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { readJournal, fsyncDir, type TornTail } from "../journal/journal.js";
import { indexPath, RunIndex } from "./database.js";
import { ROW_KEYS, type IndexTable } from "./schema.js";

export interface RebuildResult {
  runs: number;
  records: number;
  tornTail?: TornTail;
}

const SIDE_FILES = ["-wal", "-shm"];

function removeDatabase(file: string): void {
  for (const suffix of ["", ...SIDE_FILES]) rmSync(file + suffix, { force: true });
}

/** Replaces the index file with one built from the journal: written to a temp file, then renamed into place. */
export function rebuildIndex(stateRoot: string): RebuildResult {
  const journal = readJournal(stateRoot);
  const target = indexPath(stateRoot);
  const tmp = `${target}.rebuild-${process.pid}`;
  removeDatabase(tmp);
  let runs = 0;
  try {
    const index = RunIndex.open(tmp);
    try {
      index.apply(journal.records);
      runs = index.listRuns().length;
      index.checkpoint();
    } finally {
      index.close();
    }
    // A stale -wal next to the new file would be replayed into it: remove the old side files first.
    for (const suffix of SIDE_FILES) rmSync(target + suffix, { force: true });
    renameSync(tmp, target);
    fsyncDir(dirname(target));
  } finally {
    removeDatabase(tmp);
  }
  const result: RebuildResult = { runs, records: journal.records.length };
  if (journal.tornTail) result.tornTail = journal.tornTail;
  return result;
}

/**
 * Opens the index of a state root brought up to date with its journal: missing records are applied, and an index
 * that is ahead of the journal (it belongs to another journal) is rebuilt.
 */
export function openCaughtUpIndex(stateRoot: string): RunIndex {
  const journal = readJournal(stateRoot);
  const journalSeq = journal.records.at(-1)?.seq ?? 0;
  let index = RunIndex.open(indexPath(stateRoot));
  if (index.lastAppliedSeq > journalSeq) {
    index.close();
    rebuildIndex(stateRoot);
    index = RunIndex.open(indexPath(stateRoot));
  }
  try {
    index.apply(journal.records);
    return index;
  } catch (error) {
    index.close();
    throw error;
  }
}

export interface VerifyResult {
  inSync: boolean;
  drift: string[];
}

/** Read-only: projects the journal into memory and lists every row where the index file differs. */
export function verifyIndex(stateRoot: string): VerifyResult {
  const file = indexPath(stateRoot);
  if (!existsSync(file)) return { inSync: false, drift: [`index file ${file} is missing`] };
  const expected = RunIndex.openInMemory(stateRoot);
  try {
    expected.apply(readJournal(stateRoot).records);
    let actual: RunIndex;
    try {
      actual = RunIndex.openReadOnly(file);
    } catch (error) {
      return { inSync: false, drift: [error instanceof Error ? error.message : String(error)] };
    }
    try {
      const drift = compareDumps(expected.dump(), actual.dump());
      return { inSync: drift.length === 0, drift };
    } finally {
      actual.close();
    }
  } finally {
    expected.close();
  }
}

type Dump = Record<IndexTable, Record<string, unknown>[]>;

function show(value: unknown): string {
  return value === null || value === undefined ? "null" : typeof value === "string" ? value : JSON.stringify(value);
}

export function compareDumps(journal: Dump, index: Dump): string[] {
  const drift: string[] = [];
  for (const table of Object.keys(ROW_KEYS) as IndexTable[]) {
    const key = ROW_KEYS[table];
    const want = new Map(journal[table].map((row) => [show(row[key]), row]));
    const have = new Map(index[table].map((row) => [show(row[key]), row]));
    for (const [id, row] of want) {
      const other = have.get(id);
      if (!other) {
        drift.push(`${table} row ${id}: missing row (in the journal, not in the index)`);
        continue;
      }
      for (const column of new Set([...Object.keys(row), ...Object.keys(other)])) {
        if (row[column] !== other[column]) drift.push(`${table} row ${id}: ${column}: index=${show(other[column])} journal=${show(row[column])}`);
      }
    }
    for (const id of have.keys()) if (!want.has(id)) drift.push(`${table} row ${id}: extra row (in the index, not in the journal)`);
  }
  return drift;
}
