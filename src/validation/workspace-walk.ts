/**
 * The entries of a workspace, walked without following links and within the output limits: the walk stops at
 * the first entry over the count or the depth limit, so 100,000 files cost no more than the limit's worth of
 * lstat calls. Names must be valid UTF-8 without control characters (they end up in sha256sum lines and logs).
 */
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { OutputLimits } from "./output-limits.js";

export interface WorkspaceEntry {
  path: string;
  absolute: string;
  kind: "file" | "dir" | "symlink" | "special";
  /** Apparent size (st_size) of a file; 0 otherwise. */
  size: number;
}

export interface WalkProblem {
  path: string;
  code: "too_many_files" | "too_deep" | "bad_file_name";
  message: string;
}

export interface WorkspaceWalk {
  entries: WorkspaceEntry[];
  problems: WalkProblem[];
  /** The walk stopped early: the entries are incomplete and nothing should be hashed or promoted. */
  truncated: boolean;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function decodedName(raw: Buffer): string | undefined {
  const name = raw.toString("utf8");
  return Buffer.from(name, "utf8").equals(raw) ? name : undefined;
}

export function walkWorkspace(root: string, limits: Pick<OutputLimits, "maxFiles" | "maxDepth">): WorkspaceWalk {
  const entries: WorkspaceEntry[] = [];
  const problems: WalkProblem[] = [];
  let truncated = false;
  const visit = (dir: string, prefix: string, depth: number): void => {
    const raws = readdirSync(dir, { encoding: "buffer" }).sort(Buffer.compare);
    for (const raw of raws) {
      if (truncated) return;
      const name = decodedName(raw);
      const shown = name ?? raw.toString("latin1");
      if (name === undefined || CONTROL.test(name)) {
        problems.push({ path: prefix + JSON.stringify(shown).slice(1, -1), code: "bad_file_name", message: `${prefix}${JSON.stringify(shown)} is not a valid file name (UTF-8 without control characters)` });
        continue;
      }
      const path = prefix + name;
      if (entries.length >= limits.maxFiles) {
        problems.push({ path, code: "too_many_files", message: `the workspace holds more than ${limits.maxFiles} files and directories (stopped counting at ${path})` });
        truncated = true;
        return;
      }
      const absolute = join(dir, name);
      const stat = lstatSync(absolute);
      if (stat.isSymbolicLink()) entries.push({ path, absolute, kind: "symlink", size: 0 });
      else if (stat.isDirectory()) {
        entries.push({ path, absolute, kind: "dir", size: 0 });
        if (depth + 1 > limits.maxDepth) {
          problems.push({ path, code: "too_deep", message: `${path} nests directories more than ${limits.maxDepth} levels deep` });
          truncated = true;
          return;
        }
        visit(absolute, `${path}/`, depth + 1);
      } else if (stat.isFile()) entries.push({ path, absolute, kind: "file", size: stat.size });
      else entries.push({ path, absolute, kind: "special", size: 0 });
    }
  };
  visit(root, "", 0);
  return { entries, problems, truncated };
}
