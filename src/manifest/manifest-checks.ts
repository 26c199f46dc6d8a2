/**
 * Checks every manifest format shares, beyond what a JSON Schema can say: numbers YAML reads as infinite or
 * NaN (`.inf`, `.nan`), job names that cannot name a run's directory, the schema and contract versions this
 * build reads, and image references (OCI grammar).
 */
import { CONTRACT_VERSION } from "../domain/resources.js";
import { formatPath, type SchemaIssue } from "../schemas/error-messages.js";
import { imageReferenceProblem } from "../domain/image-reference.js";

/** The manifest schema versions this build reads. */
export const SUPPORTED_SCHEMA_VERSIONS = ["1"] as const;
export const MAX_JOB_NAME_LENGTH = 100;
/** Directory names of the simple layout's own state (src/artifacts/layout.ts). */
const RESERVED_JOB_NAMES = ["_failed", ".multiverse"];

/** Every number that is not finite, wherever it sits (YAML's .inf, -.inf and .nan are numbers, JSON has none). */
export function nonFiniteIssues(value: unknown, path: (string | number)[] = [], out: SchemaIssue[] = []): SchemaIssue[] {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      const spelled = Number.isNaN(value) ? ".nan (not a number)" : value > 0 ? ".inf (infinity)" : "-.inf (minus infinity)";
      out.push({ path, field: formatPath(path), message: `expected a finite number, got ${spelled}` });
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => nonFiniteIssues(item, [...path, i], out));
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) nonFiniteIssues(item, [...path, key], out);
  }
  return out;
}

/** A job name that can name a run, a bundle directory (simple layout) and a container label. */
export function jobNameProblem(name: string): string | undefined {
  if (name.length > MAX_JOB_NAME_LENGTH) return `job names are at most ${MAX_JOB_NAME_LENGTH} characters long, got ${name.length}`;
  if (RESERVED_JOB_NAMES.includes(name)) return `job name "${name}" is reserved (the runner keeps its own state under that name)`;
  if (!/^[A-Za-z0-9]/.test(name)) return `job name "${name}" must start with a letter or a digit`;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return `job name "${name}" may hold letters, digits, ".", "_" and "-" only`;
  return undefined;
}

export function jobNameIssue(name: unknown, at: (string | number)[]): SchemaIssue[] {
  if (typeof name !== "string") return [];
  const problem = jobNameProblem(name);
  return problem ? [{ path: at, field: formatPath(at), message: problem }] : [];
}

export function imageIssue(reference: unknown, at: (string | number)[]): SchemaIssue[] {
  if (typeof reference !== "string") return [];
  const problem = imageReferenceProblem(reference);
  return problem ? [{ path: at, field: formatPath(at), message: problem }] : [];
}

/** schema_version and contract versions: a version this build does not know is refused, not guessed at. */
export function versionIssues(top: Record<string, unknown>, contractPaths: (string | number)[][]): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const version = top.schema_version;
  if (version !== undefined && !(SUPPORTED_SCHEMA_VERSIONS as readonly string[]).includes(String(version))) {
    issues.push({
      path: ["schema_version"],
      field: "schema_version",
      message: `schema_version ${JSON.stringify(version)} is not supported by this multiverse (it reads ${SUPPORTED_SCHEMA_VERSIONS.map((v) => `"${v}"`).join(", ")})`,
    });
  }
  for (const path of contractPaths) {
    let node: unknown = top;
    for (const segment of path) node = node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[segment] : undefined;
    if (node !== undefined && String(node) !== CONTRACT_VERSION) {
      issues.push({ path, field: formatPath(path), message: `model container contract ${JSON.stringify(node)} is not supported (this multiverse speaks contract "${CONTRACT_VERSION}")` });
    }
  }
  return issues;
}
