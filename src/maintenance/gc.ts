/**
 * `multiverse gc`: finds the directories of a state root (workspaces, staging, bundles, quarantine, _failed/
 * copies), asks reconcilers/gc.ts which may go, and with `apply` journals each removal (GC_COLLECTED) before
 * removing it, under the state root's lock.
 */
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { FAILED_DIR_NAME, type StoreLayout } from "../artifacts/layout.js";
import { peekManifest } from "../artifacts/manifest.js";
import { listBundles } from "../artifacts/verify.js";
import { Errors } from "../domain/errors.js";
import { openCaughtUpIndex } from "../index/run-index.js";
import { Journal, readJournal } from "../journal/journal.js";
import { JournalWriter } from "../journal/journal-writer.js";
import type { GcItemKind, JournalRecord } from "../journal/records.js";
import { acquireStateLock } from "../state/state-root.js";
import { decideGc, gcTotals, gcViewFromJournal, type GcCandidate, type GcDecision, type GcPolicy, type GcTotals } from "../../reconcilers/gc.js";
import { exportedMarkerPath, layoutOfStateRoot } from "./state-layout.js";
import { removeTree, treeSize } from "./tree.js";

export interface GcReport {
  stateRoot: string;
  applied: boolean;
  decisions: GcDecision[];
  totals: GcTotals;
}

const QUARANTINE_NAME = /^(.+)-\d{4}-\d{2}-\d{2}T\d+Z-\d+-\d+$/;

function childDirs(parent: string): string[] {
  if (!existsSync(parent)) return [];
  return readdirSync(parent)
    .sort()
    .map((name) => join(parent, name))
    .filter((path) => lstatSync(path, { throwIfNoEntry: false })?.isDirectory() === true);
}

function relativePath(layout: StoreLayout, path: string): string {
  return relative(layout.root, path).split(sep).join("/");
}

function candidate(layout: StoreLayout, kind: GcItemKind, path: string, owner: { attemptId?: string; runId?: string }, exported?: boolean): GcCandidate {
  const size = treeSize(path);
  return { kind, path: relativePath(layout, path), ...owner, bytes: size.bytes, files: size.files, modifiedAt: size.modifiedAt, ...(exported === undefined ? {} : { exported }) };
}

function leaf(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** Every directory gc knows how to judge. */
export function scanCandidates(layout: StoreLayout, records: readonly JournalRecord[]): GcCandidate[] {
  const out: GcCandidate[] = [];
  for (const dir of childDirs(join(layout.storeDir, "workspaces"))) out.push(candidate(layout, "workspace", dir, { attemptId: leaf(dir) }));
  for (const dir of childDirs(join(layout.storeDir, "staging"))) out.push(candidate(layout, "staging", dir, { attemptId: leaf(dir) }));
  for (const dir of childDirs(join(layout.storeDir, "quarantine"))) {
    const attemptId = QUARANTINE_NAME.exec(leaf(dir))?.[1];
    out.push(candidate(layout, "quarantine", dir, attemptId ? { attemptId } : {}));
  }
  for (const dir of listBundles(layout)) {
    const manifest = peekManifest(dir);
    const owner = manifest ? { attemptId: manifest.physical_run_id, runId: manifest.logical_run_id } : layout.kind === "store" ? { attemptId: leaf(dir) } : {};
    out.push(candidate(layout, "bundle", dir, owner, existsSync(exportedMarkerPath(layout, dir))));
  }
  if (layout.kind === "simple") {
    const runOfJob = new Map<string, string>();
    for (const record of records) if (record.type === "RUN_PLANNED") runOfJob.set(record.spec.jobName, record.runId);
    for (const dir of childDirs(join(layout.root, FAILED_DIR_NAME))) {
      const runId = runOfJob.get(leaf(dir));
      out.push(candidate(layout, "failed-copy", dir, runId ? { runId } : {}));
    }
  }
  return out;
}

export function planGc(stateRoot: string, policy: GcPolicy, now: Date): GcReport & { layout: StoreLayout } {
  if (!existsSync(join(stateRoot, "journal"))) throw Errors.notFound(`${stateRoot} holds no multiverse journal: nothing to collect`);
  const layout = layoutOfStateRoot(stateRoot);
  const records = readJournal(stateRoot).records;
  const decisions = decideGc(gcViewFromJournal(records), scanCandidates(layout, records), policy, now);
  return { stateRoot, applied: false, decisions, totals: gcTotals(decisions), layout };
}

/** Dry run unless `apply`; applying takes the state root's lock, so no controller or run acts on it meanwhile. */
export function runGc(stateRoot: string, policy: GcPolicy, options: { apply: boolean; now?: () => Date }): GcReport {
  const now = options.now ?? (() => new Date());
  if (!options.apply) {
    const { layout: _layout, ...report } = planGc(stateRoot, policy, now());
    return report;
  }
  const lock = acquireStateLock(stateRoot, "multiverse gc --apply");
  try {
    // Planned under the lock: the journal cannot move between the decision and the removal.
    const { layout, ...report } = planGc(stateRoot, policy, now());
    const journal = Journal.open(stateRoot);
    const index = openCaughtUpIndex(stateRoot);
    try {
      const writer = new JournalWriter(journal, index);
      for (const decision of report.decisions) {
        if (!decision.collect) continue;
        const c = decision.candidate;
        writer.append([{ type: "GC_COLLECTED", kind: c.kind, path: c.path, ...(decision.runId ? { runId: decision.runId } : {}), ...(c.attemptId ? { attemptId: c.attemptId } : {}), bytes: c.bytes, files: c.files, rule: decision.rule }]);
        removeTree(join(layout.root, c.path));
      }
    } finally {
      index.close();
      journal.close();
    }
    return { ...report, applied: true };
  } finally {
    lock.release();
  }
}
