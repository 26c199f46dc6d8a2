/**
 * `multiverse migrate-state-dir --from A --to B [--apply]`: moves a whole state root (journal, index, store,
 * catalog) to a new place. A preview unless applied; under A's lock; a rename when A and B share a filesystem, else a
 * copy checked file count and bytes before A is removed. Records and the index store paths relative to the root
 * (layout 2), so nothing in them changes.
 */
import { cpSync, existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { Errors } from "../domain/errors.js";
import { acquireStateLock } from "../state/state-root.js";
import { removeTree, treeSize } from "./tree.js";

export interface RelocationPlan {
  from: string;
  to: string;
  entries: { name: string; bytes: number; files: number }[];
  bytes: number;
  files: number;
  applied: boolean;
  method?: "rename" | "copy";
}

function check(fromDir: string, toDir: string): void {
  if (!existsSync(join(fromDir, "journal"))) throw Errors.notFound(`--from ${fromDir} holds no multiverse journal: nothing to relocate`);
  const rel = relative(fromDir, toDir);
  if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) {
    throw Errors.usage(`--to ${toDir} is ${rel === "" ? "the same directory as" : "inside"} --from ${fromDir}`);
  }
  if (existsSync(toDir) && readdirSync(toDir).length > 0) throw Errors.usage(`--to ${toDir} exists and is not empty: relocate into a new or empty directory`);
  if (!existsSync(dirname(toDir))) throw Errors.fileNotFound(`--to ${toDir}: its parent directory ${dirname(toDir)} does not exist`);
}

export function relocateStateRoot(from: string, to: string, options: { apply: boolean }): RelocationPlan {
  const fromDir = resolve(from);
  const toDir = resolve(to);
  check(fromDir, toDir);
  const entries = readdirSync(fromDir)
    .filter((name) => name !== "controller.lock")
    .sort()
    .map((name) => ({ name, ...treeSize(join(fromDir, name)) }))
    .map(({ name, bytes, files }) => ({ name, bytes, files }));
  const plan: RelocationPlan = { from: fromDir, to: toDir, entries, bytes: entries.reduce((n, e) => n + e.bytes, 0), files: entries.reduce((n, e) => n + e.files, 0), applied: false };
  if (!options.apply) return plan;
  const lock = acquireStateLock(fromDir, `multiverse migrate-state-dir --to ${toDir}`);
  let moved = false;
  try {
    if (existsSync(toDir)) rmSync(toDir, { recursive: true });
    try {
      renameSync(fromDir, toDir);
      moved = true;
      plan.method = "rename";
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
      cpSync(fromDir, toDir, { recursive: true, preserveTimestamps: true, filter: (src) => !src.endsWith(`${sep}controller.lock`) });
      const copied = treeSize(toDir);
      if (copied.files !== plan.files || copied.bytes !== plan.bytes) {
        removeTree(toDir);
        throw Errors.internal(`the copy to ${toDir} has ${copied.files} files (${copied.bytes} bytes), the state root ${plan.files} (${plan.bytes}): ${fromDir} was left in place`);
      }
      plan.method = "copy";
      lock.release();
      removeTree(fromDir);
      moved = true;
    }
  } finally {
    if (!moved) lock.release();
    rmSync(join(toDir, "controller.lock"), { force: true });
  }
  return { ...plan, applied: true };
}
