/**
 * Where things live under an output directory. Store layout (`multiverse run --output`): workspaces, staging
 * and bundles under <root>/store/. Simple layout (`--simple --out`): bundles at <root>/<job-name>/, failed runs
 * copied to <root>/_failed/<job-name>/, the machinery under <root>/.multiverse/.
 */
import { realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { Errors } from "../domain/errors.js";

export interface StoreLayout {
  root: string;
  kind: "store" | "simple";
  storeDir: string;
  workspaceDir(attemptId: string): string;
  stagingDir(attemptId: string): string;
  /** The bundle directory of an attempt (store layout) or of a job (simple layout). */
  artifactDir(attemptId: string, jobName: string): string;
  failedDir(jobName: string): string | null;
  quarantineDir(name: string): string;
  artifactsRoot(): string;
}

const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

function safeName(name: string, what: string): string {
  if (!SAFE_NAME.test(name) || name === "." || name === "..") {
    throw Errors.pathEscape(`${what} "${name}" cannot be used as a directory name (letters, digits, ".", "_" and "-" only)`);
  }
  return name;
}

export function storeLayout(root: string, kind: "store" | "simple"): StoreLayout {
  const absolute = resolve(root);
  const storeDir = kind === "store" ? join(absolute, "store") : join(absolute, ".multiverse", "store");
  return {
    root: absolute,
    kind,
    storeDir,
    workspaceDir: (attemptId) => join(storeDir, "workspaces", safeName(attemptId, "attempt id")),
    stagingDir: (attemptId) => join(storeDir, "staging", safeName(attemptId, "attempt id")),
    artifactDir: (attemptId, jobName) =>
      kind === "store" ? join(storeDir, "artifacts", safeName(attemptId, "attempt id")) : join(absolute, safeName(jobName, "job name")),
    failedDir: (jobName) => (kind === "simple" ? join(absolute, "_failed", safeName(jobName, "job name")) : null),
    quarantineDir: (name) => join(storeDir, "quarantine", `${safeName(name, "quarantine entry")}-${Date.now()}`),
    artifactsRoot: () => (kind === "store" ? join(storeDir, "artifacts") : absolute),
  };
}

/**
 * Refuse a path that escapes `root`: `..`, an absolute path elsewhere, or a symlink (anywhere on the way)
 * that resolves outside. `candidate` may be relative to root.
 */
export function assertInside(root: string, candidate: string): string {
  const realRoot = realpathSync(root);
  const target = isAbsolute(candidate) ? candidate : join(root, candidate);
  let existing = resolve(target);
  const missing: string[] = [];
  // Resolve the longest existing prefix through realpath, so that symlinked parents are caught.
  for (;;) {
    try {
      existing = realpathSync(existing);
      break;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) break;
      missing.unshift(existing.slice(parent.length + 1));
      existing = parent;
    }
  }
  const resolved = join(existing, ...missing);
  const rel = relative(realRoot, resolved);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw Errors.pathEscape(`path ${candidate} resolves to ${resolved}, outside ${realRoot}`);
  }
  return resolved;
}
