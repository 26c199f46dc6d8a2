/**
 * Where things live under an output directory. Store layout (`multiverse run --output`): workspaces, staging
 * and bundles under <root>/store/. Simple layout (`--simple --out`): bundles at <root>/<job-name>/, failed runs
 * copied to <root>/_failed/<job-name>/, the machinery under <root>/.multiverse/store/.
 */
import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { Errors } from "../domain/errors.js";

export interface StoreLayout {
  root: string;
  kind: "store" | "simple";
  /** <root>/store, or <root>/.multiverse/store in the simple layout. */
  storeDir: string;
  /** The container's /output for one attempt. */
  workspaceDir(attemptId: string): string;
  stagingDir(attemptId: string): string;
  /**
   * The bundle of one attempt (store layout: named by attempt id, so a rerun of a logical run never replaces
   * the earlier immutable bundle) or of a job (simple layout).
   */
  artifactDir(attemptId: string, jobName: string): string;
  /** Simple layout: where a failed run's workspace is copied; null in the store layout (the workspace stays). */
  failedDir(runId: string, jobName: string): string | null;
  /** A fresh place to move evidence aside to (a damaged or replaced bundle); never reused. */
  quarantineDir(attemptId: string): string;
  /** The directory holding the bundles: <store>/artifacts, or <root> itself in the simple layout. */
  artifactsRoot(): string;
}

const SAFE_NAME = /^[A-Za-z0-9._-]+$/;
export const FAILED_DIR_NAME = "_failed";
import { SIMPLE_STATE_DIR_NAME } from "../domain/output-root.js";

export { SIMPLE_STATE_DIR_NAME };

function safeName(name: string, what: string): string {
  if (!SAFE_NAME.test(name) || name === "." || name === "..") {
    throw Errors.pathEscape(`${what} "${name}" cannot be used as a directory name (letters, digits, ".", "_" and "-" only)`);
  }
  return name;
}

/** In the simple layout a job's bundle sits next to _failed/ and .multiverse/: those names would clobber them. */
function simpleJobDir(name: string): string {
  safeName(name, "job name");
  if (name.startsWith(".") || name === FAILED_DIR_NAME) {
    throw Errors.pathEscape(`job name "${name}" is reserved in the simple layout (names starting with "." and "${FAILED_DIR_NAME}" hold the runner's own state)`);
  }
  return name;
}

let quarantineSerial = 0;

export function storeLayout(root: string, kind: "store" | "simple"): StoreLayout {
  const absolute = resolve(root);
  const storeDir = kind === "store" ? join(absolute, "store") : join(absolute, SIMPLE_STATE_DIR_NAME, "store");
  const artifactsRoot = kind === "store" ? join(storeDir, "artifacts") : absolute;
  return {
    root: absolute,
    kind,
    storeDir,
    workspaceDir: (attemptId) => join(storeDir, "workspaces", safeName(attemptId, "attempt id")),
    stagingDir: (attemptId) => join(storeDir, "staging", safeName(attemptId, "attempt id")),
    artifactDir: (attemptId, jobName) => (kind === "store" ? join(artifactsRoot, safeName(attemptId, "attempt id")) : join(absolute, simpleJobDir(jobName))),
    failedDir: (_runId, jobName) => (kind === "simple" ? join(absolute, FAILED_DIR_NAME, simpleJobDir(jobName)) : null),
    quarantineDir: (attemptId) => {
      quarantineSerial += 1;
      const stamp = new Date().toISOString().replace(/[:.]/g, "");
      return join(storeDir, "quarantine", `${safeName(attemptId, "attempt id")}-${stamp}-${process.pid}-${quarantineSerial}`);
    },
    artifactsRoot: () => artifactsRoot,
  };
}

function realpathOrMissing(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw Errors.pathEscape(`path ${path} cannot be resolved (${code ?? (error as Error).message})`);
  }
}

/**
 * Refuse a path that escapes `root`: `..`, an absolute path elsewhere, or a symlink anywhere on the way that
 * resolves outside. `candidate` may be relative to root. Returns the resolved absolute path.
 */
export function assertInside(root: string, candidate: string): string {
  const realRoot = realpathSync(root);
  if (candidate.includes("\0")) throw Errors.pathEscape(`path ${JSON.stringify(candidate)} contains a NUL byte`);
  let existing = resolve(isAbsolute(candidate) ? candidate : join(root, candidate));
  const missing: string[] = [];
  // Resolve the longest existing prefix through realpath, so that symlinked parents are caught too.
  for (;;) {
    const real = realpathOrMissing(existing);
    if (real !== undefined) {
      existing = real;
      break;
    }
    const parent = dirname(existing);
    if (parent === existing) break;
    missing.unshift(basename(existing));
    existing = parent;
  }
  const resolved = join(existing, ...missing);
  const rel = relative(realRoot, resolved);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw Errors.pathEscape(`path ${candidate} resolves to ${resolved}, outside ${realRoot}`);
  }
  return resolved;
}

/** A manifest- or validation-supplied artifact path: relative, "/"-separated, no empty, "." or ".." segment. */
export function isSafeRelativePath(path: string): boolean {
  if (path.length === 0 || path.startsWith("/") || path.includes("\0")) return false;
  return path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}
