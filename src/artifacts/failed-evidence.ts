/**
 * Simple layout: a failed run's workspace is copied (never moved: the original stays under .multiverse/) to
 * <out>/_failed/<job-name>/, replacing the copy of an earlier failure of that job. The copy is assembled next to
 * its destination and renamed into place, so a crash leaves either the old copy or the new one.
 */
import { copyFileSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { StoreLayout } from "./layout.js";
import { fsyncPath, makeWritable } from "./durable.js";

export const SKIPPED_NOTE = "_multiverse_not_copied.txt";

/** Copy a tree as evidence: files and directories, symlinks as links (never followed), nothing else. */
function copyEvidence(source: string, destination: string): string[] {
  const skipped: string[] = [];
  const visit = (from: string, to: string, prefix: string) => {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from).sort()) {
      const path = join(from, name);
      const rel = prefix + name;
      try {
        const stat = lstatSync(path);
        if (stat.isDirectory()) visit(path, join(to, name), `${rel}/`);
        else if (stat.isSymbolicLink()) symlinkSync(readlinkSync(path), join(to, name));
        else if (stat.isFile()) copyFileSync(path, join(to, name));
        else skipped.push(`${rel}: not a regular file, directory or symlink`);
      } catch (error) {
        skipped.push(`${rel}: ${(error as Error).message}`);
      }
    }
  };
  visit(source, destination, "");
  return skipped;
}

function removeTree(path: string): void {
  makeWritable(path);
  rmSync(path, { recursive: true, force: true });
}

export async function copyFailedEvidence(layout: StoreLayout, runId: string, jobName: string, attemptId: string): Promise<string | null> {
  const destination = layout.failedDir(runId, jobName);
  const workspace = layout.workspaceDir(attemptId);
  if (!destination || !lstatSync(workspace, { throwIfNoEntry: false })?.isDirectory()) return null;
  const parent = dirname(destination);
  mkdirSync(parent, { recursive: true });
  const name = basename(destination);
  // Leftovers of an interrupted earlier copy of this job.
  for (const entry of readdirSync(parent)) {
    if (entry.startsWith(`.${name}.incoming-`) || entry.startsWith(`.${name}.old-`)) removeTree(join(parent, entry));
  }
  const incoming = join(parent, `.${name}.incoming-${attemptId}`);
  const skipped = copyEvidence(workspace, incoming);
  if (skipped.length > 0) writeFileSync(join(incoming, SKIPPED_NOTE), `Not copied from ${workspace}:\n${skipped.map((s) => `- ${s}\n`).join("")}`);
  const old = join(parent, `.${name}.old-${attemptId}`);
  const hadOld = lstatSync(destination, { throwIfNoEntry: false }) !== undefined;
  if (hadOld) renameSync(destination, old);
  renameSync(incoming, destination);
  fsyncPath(parent);
  if (hadOld) removeTree(old);
  return destination;
}
