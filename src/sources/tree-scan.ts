/**
 * One synchronous pass over a watched directory tree: every manifest file (*.yaml, *.yml) with the stamp that
 * tells whether it changed, the directories that could not be read (their files must be kept, not deleted),
 * and the problems found on the way. Symlinks are followed only when they resolve inside the tree.
 */
import { lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { Errors } from "../domain/errors.js";
import { problemOf } from "./load-documents.js";
import type { FileSourceProblem } from "./resource-source.js";

/** What identifies one version of a file without reading it. ctime also moves on renames and utimes. */
export interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface TreeScan {
  /** Manifest files by path (under the configured root, not its real path), in path order. */
  files: Map<string, FileStamp>;
  /** Every directory visited, root included: a directory's ctime moves when an entry is added, removed or renamed. */
  directories: Map<string, FileStamp>;
  /** Paths (directories or files) that exist but could not be read: what they declared stays in force. */
  unreadable: string[];
  /** The root itself is missing or not a directory (everything known stays in force). */
  rootMissing: boolean;
  problems: FileSourceProblem[];
}

/** Dotfiles and dot-directories (.git, .#emacs-locks), editor swap and backup files, vim's 4913 probe, *.tmp. */
const IGNORED = /^\.|~$|\.sw[a-p]$|\.tmp$|^4913$|^#.*#$|\.bak$|\.orig$/i;

export function isIgnoredName(name: string): boolean {
  return IGNORED.test(name);
}

export function isManifestName(name: string): boolean {
  return /\.ya?ml$/i.test(name) && !isIgnoredName(name);
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** The root's real path and inode: it changes when the directory is replaced (rename, rm + mkdir, symlink swap). */
export function rootIdentity(root: string): { realPath: string; key: string } | undefined {
  try {
    const realPath = realpathSync(root);
    const stat = statSync(realPath);
    if (!stat.isDirectory()) return undefined;
    return { realPath, key: `${realPath}\u0000${stat.dev}:${stat.ino}` };
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

export function scanTree(root: string, maxDepth = 20): TreeScan {
  const scan: TreeScan = { files: new Map(), directories: new Map(), unreadable: [], rootMissing: false, problems: [] };
  const identity = rootIdentity(root);
  if (!identity) {
    scan.rootMissing = true;
    scan.problems.push(problemOf(Errors.fileNotFound(`the watched directory ${root} does not exist or is not a directory; what it declared stays in force until it is back`), root));
    return scan;
  }
  const realRoot = identity.realPath;
  const inside = (real: string) => real === realRoot || real.startsWith(realRoot + sep);
  const unreadable = (path: string, error: unknown) => {
    scan.unreadable.push(path);
    scan.problems.push(problemOf(Errors.fileNotFound(`cannot read ${path}: ${(error as Error).message}; what it declared stays in force`), path));
  };

  /** `ancestors`: the real paths of the directories above, to stop at a symlink that loops back up. */
  const visit = (dir: string, ancestors: Set<string>, depth: number) => {
    try {
      const stat = statSync(dir);
      scan.directories.set(dir, { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs });
    } catch {
      return; // vanished since it was listed
    }
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      if (errorCode(error) !== "ENOENT") unreadable(dir, error);
      return;
    }
    for (const name of names) {
      if (isIgnoredName(name)) continue;
      const path = join(dir, name);
      let real: string;
      try {
        real = realpathSync(path);
      } catch (error) {
        const code = errorCode(error);
        if (code === "ENOENT") {
          if (isSymlink(path) && isManifestName(name)) scan.problems.push(problemOf(Errors.fileNotFound(`${path} is a symlink to a file that does not exist: ignored`), path));
          continue; // otherwise it vanished between readdir and now
        }
        if (isManifestName(name)) unreadable(path, error);
        else scan.problems.push(problemOf(Errors.fileNotFound(`cannot resolve ${path}: ${(error as Error).message}: ignored`), path));
        continue;
      }
      if (!inside(real)) {
        scan.problems.push(problemOf(Errors.pathEscape(`${path} is a symlink to ${real}, outside the watched directory ${root}: ignored`), path));
        continue;
      }
      let stat;
      try {
        stat = statSync(real);
      } catch (error) {
        if (errorCode(error) !== "ENOENT" && isManifestName(name)) unreadable(path, error);
        continue;
      }
      if (stat.isDirectory()) {
        if (ancestors.has(real) || depth >= maxDepth) continue;
        visit(path, new Set([...ancestors, real]), depth + 1);
      } else if (stat.isFile() && isManifestName(name)) {
        scan.files.set(path, { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs });
      }
    }
  };
  visit(root, new Set([realRoot]), 0);
  return scan;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
