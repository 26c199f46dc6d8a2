/**
 * Paths inside an output root are stored relative to it (journal records and index rows), so a state root that is
 * moved, copied or mounted at another path keeps pointing at its own bundles and workspaces. Paths outside it (a
 * user's export destination) stay absolute. In memory, records always carry absolute paths. Pure.
 */
import { isAbsolute, join, relative, sep } from "node:path";
import type { JournalRecord, NewJournalRecord } from "./records.js";

/** A path as stored: relative ("/"-separated) when it is inside `base`, else as given. */
export function toStoredPath(base: string, path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(base, path);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return path;
  return rel.split(sep).join("/");
}

/** A stored path made absolute again under `base` (an absolute stored path is kept). */
export function fromStoredPath(base: string, stored: string): string {
  return isAbsolute(stored) || stored === "" ? stored : join(base, stored);
}

type AnyRecord = JournalRecord | NewJournalRecord;

/** A copy of the record with `map` applied to each of its paths of the state root; a record without any is returned as is. */
export function mapRecordPaths<R extends AnyRecord>(record: R, map: (path: string) => string): R {
  return mapAny(record, map) as R;
}

function mapAny(record: AnyRecord, map: (path: string) => string): AnyRecord {
  switch (record.type) {
    case "LAUNCH_INTENT":
      return { ...record, workspaceDir: map(record.workspaceDir) };
    case "PROMOTION_INTENT":
      return { ...record, stagingDir: map(record.stagingDir), artifactDir: map(record.artifactDir) };
    case "PROMOTED":
    case "RUN_REUSED":
    case "BUNDLE_EXPORTED":
      return { ...record, artifactDir: map(record.artifactDir) };
    case "RUN_TRANSITION": {
      const dir = record.snapshot.context.artifactDir;
      if (dir === undefined) return record;
      return { ...record, snapshot: { ...record.snapshot, context: { ...record.snapshot.context, artifactDir: map(dir) } } };
    }
    default:
      return record;
  }
}

export function storedRecord<R extends AnyRecord>(base: string, record: R): R {
  return mapRecordPaths(record, (path) => toStoredPath(base, path));
}

export function resolvedRecord<R extends AnyRecord>(base: string, record: R): R {
  return mapRecordPaths(record, (path) => fromStoredPath(base, path));
}

const WORKSPACE_OR_STAGING = /^(.*)\/store\/(?:workspaces|staging)\/[^/]+$/;

/**
 * The output roots a journal written with absolute paths (layout 1) was written at: each launch's workspace is
 * <root>/store/workspaces/<attempt> (simple layout: <root>/.multiverse/store/...). A root that was moved or copied
 * has one of them per place it ran at.
 */
export function formerOutputRoots(records: readonly AnyRecord[], outputRootOf: (stateRoot: string) => string): string[] {
  const roots = new Set<string>();
  for (const record of records) {
    const dirs = record.type === "LAUNCH_INTENT" ? [record.workspaceDir] : record.type === "PROMOTION_INTENT" ? [record.stagingDir] : [];
    for (const dir of dirs) {
      const match = isAbsolute(dir) ? WORKSPACE_OR_STAGING.exec(dir) : null;
      if (match?.[1]) roots.add(outputRootOf(match[1]));
    }
  }
  return [...roots].sort((a, b) => b.length - a.length);
}

/** A path relative to the first of `roots` that holds it; a path none holds is kept. */
export function relativeToAny(roots: readonly string[], path: string): string {
  for (const root of roots) {
    const stored = toStoredPath(root, path);
    if (stored !== path) return stored;
  }
  return path;
}
