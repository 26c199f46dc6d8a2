/** Size of a directory tree and its removal; links are counted, never followed. */
import { chmodSync, lstatSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

export interface TreeSize {
  bytes: number;
  files: number;
  /** Newest modification time in the tree (ISO). */
  modifiedAt: string;
}

export function treeSize(path: string): TreeSize {
  let bytes = 0;
  let files = 0;
  let newest = 0;
  const visit = (p: string) => {
    const stat = lstatSync(p, { throwIfNoEntry: false });
    if (!stat) return;
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory()) {
      for (const name of readdirSync(p)) visit(join(p, name));
      return;
    }
    files += 1;
    bytes += stat.size;
  };
  visit(path);
  return { bytes, files, modifiedAt: new Date(newest).toISOString() };
}

/** Removes a tree whose files and directories may be read-only (bundles are written read-only). */
export function removeTree(path: string): void {
  const makeWritable = (p: string) => {
    const stat = lstatSync(p, { throwIfNoEntry: false });
    if (!stat?.isDirectory()) return;
    chmodSync(p, stat.mode | 0o700);
    for (const name of readdirSync(p)) makeWritable(join(p, name));
  };
  makeWritable(path);
  rmSync(path, { recursive: true, force: true });
}
