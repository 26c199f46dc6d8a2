/**
 * `multiverse migrate`: brings a state root's layout up to this tool's version, step by step, under the lock.
 * Steps rewrite only the state root's own files (VERSION, the index, the journal's recorded paths); promoted bundles
 * are never touched.
 * Journaled as STATE_MIGRATED; VERSION is written last, so an interrupted migration runs again from the start.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Errors } from "../domain/errors.js";
import { rebuildIndex } from "../index/rebuild.js";
import { Journal } from "../journal/journal.js";
import { currentStateVersion, planMigration, STATE_LAYOUT_VERSION, type MigrationStep } from "./format-version.js";
import { relativizeJournalPaths } from "./relative-paths-step.js";
import { acquireStateLock } from "./state-root.js";
import { storedLayoutVersion, writeStateVersion } from "./version-file.js";

export interface MigrationReport {
  stateRoot: string;
  from: number;
  to: number;
  steps: MigrationStep[];
  applied: boolean;
}

const PERFORM: Readonly<Record<number, (stateRoot: string) => void>> = {
  0: (stateRoot) => {
    rebuildIndex(stateRoot);
  },
  1: (stateRoot) => {
    relativizeJournalPaths(stateRoot);
    rebuildIndex(stateRoot);
  },
};

export function migrateStateRoot(stateRoot: string, options: { dryRun: boolean }): MigrationReport {
  if (!existsSync(join(stateRoot, "journal"))) throw Errors.notFound(`${stateRoot} holds no multiverse journal: nothing to migrate`);
  const from = storedLayoutVersion(stateRoot) ?? STATE_LAYOUT_VERSION;
  if (from === STATE_LAYOUT_VERSION) throw Errors.alreadyMigrated(`state root ${stateRoot} is already migrated (layout version ${from}): nothing to do`);
  if (from > STATE_LAYOUT_VERSION) throw Errors.stateTooNew(`state root ${stateRoot} has layout version ${from}, newer than this multiverse's ${STATE_LAYOUT_VERSION}`);
  const steps = planMigration(from);
  if (!steps) throw Errors.internal(`no migration from layout version ${from} to ${STATE_LAYOUT_VERSION}`);
  if (options.dryRun) return { stateRoot, from, to: STATE_LAYOUT_VERSION, steps, applied: false };
  const lock = acquireStateLock(stateRoot, "multiverse migrate", { migrating: true });
  try {
    for (const step of steps) PERFORM[step.from]?.(stateRoot);
    const journal = Journal.open(stateRoot);
    try {
      journal.append([{ type: "STATE_MIGRATED", from, to: STATE_LAYOUT_VERSION, steps: steps.map((s) => s.description) }]);
    } finally {
      journal.close();
    }
    // The index now lags the journal by the STATE_MIGRATED record; it is projected on the next open (no row changes).
    rebuildIndex(stateRoot);
    writeStateVersion(stateRoot, currentStateVersion());
  } finally {
    lock.release();
  }
  return { stateRoot, from, to: STATE_LAYOUT_VERSION, steps, applied: true };
}
