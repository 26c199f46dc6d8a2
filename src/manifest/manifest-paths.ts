/**
 * Paths written in a manifest, resolved against the manifest's directory. Each path field has a rule:
 * - "data": a file the user names where it lives (dataset paths, image_sif, study_storage): relative to the
 *   manifest or absolute, as the README documents;
 * - "tree": a path inside the manifest's own directory tree (a Model's directory, an inline schema file): never
 *   absolute, and ".." may not climb out of the manifest's directory.
 * NUL bytes and control characters are refused in every path.
 */
import { isAbsolute, relative, resolve, sep } from "node:path";
import { formatPath, type SchemaIssue } from "../schemas/error-messages.js";

export type PathRule = "data" | "tree";

/** True when `target` is `root` or inside it (lexically: both already resolved). */
export function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** The resolved path, or undefined with an issue pushed (the field's path, so the error can name line and column). */
export function manifestPath(baseDir: string, value: string, at: (string | number)[], issues: SchemaIssue[], rule: PathRule = "data"): string | undefined {
  const field = formatPath(at);
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f]/.exec(value);
  if (control) {
    const what = control[0] === "\u0000" ? "a NUL byte" : `the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`;
    issues.push({ path: at, field, message: `the path contains ${what}` });
    return undefined;
  }
  if (rule === "data") return isAbsolute(value) ? resolve(value) : resolve(baseDir, value);
  if (isAbsolute(value)) {
    issues.push({ path: at, field, message: `"${value}" is an absolute path; this field takes a path relative to the manifest, inside its directory` });
    return undefined;
  }
  const resolved = resolve(baseDir, value);
  if (!isInside(baseDir, resolved)) {
    issues.push({ path: at, field, message: `"${value}" climbs out of the manifest's directory (${baseDir}); this field takes a path inside it` });
    return undefined;
  }
  return resolved;
}
