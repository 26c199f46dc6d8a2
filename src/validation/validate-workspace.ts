/**
 * "Exit 0 is not success": a workspace's outputs are opened and checked against the model container contract
 * before anything is promoted. Nothing is followed through a link; nothing may point outside the workspace.
 */
import { closeSync, lstatSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import type { ValidatorLevel } from "../domain/resources.js";
import { sha256File } from "../identity/file-hash.js";
import { readLatent } from "../h5/isolated.js";
import { CorruptHdf5Error, isNumericDtype, NotSelfContainedError } from "../h5/h5-errors.js";
import { MetricsTooLargeError, parseMetricsJson } from "./metrics-json.js";
import { DEFAULT_OUTPUT_LIMITS, formatBytes, raiseHint, resolveOutputLimits, type OutputLimits } from "./output-limits.js";
import { walkWorkspace, type WorkspaceEntry } from "./workspace-walk.js";
import { isPng } from "./png.js";

export type ArtifactRole = "embeddings" | "metrics" | "umap" | "run_log" | "job_spec" | "container_log" | "orchestrator_log" | "metrics_stream" | "other";

export interface ValidationProblem {
  artifact: string;
  code: string;
  message: string;
  severity: "error" | "warning";
}

export interface ValidatedArtifact {
  path: string;
  role: ArtifactRole;
  sizeBytes: number;
  sha256: string;
}

export interface ValidationResult {
  ok: boolean;
  problems: ValidationProblem[];
  artifacts: ValidatedArtifact[];
  latentShape?: [number, number];
}

const ROLES: Record<string, ArtifactRole> = {
  "embeddings.h5": "embeddings",
  "metrics.json": "metrics",
  "umap.png": "umap",
  "run.log": "run_log",
  "job_spec.json": "job_spec",
  "container.log": "container_log",
  "orchestrator.log": "orchestrator_log",
  "metrics.jsonl": "metrics_stream",
};

interface Rules {
  metricsRequired: boolean;
  umapRequired: boolean;
  runLogRequired: boolean;
  finiteLatent: boolean;
  nonFiniteMetrics: "error" | "warning";
}

const RULES: Record<ValidatorLevel, Rules> = {
  strict: { metricsRequired: true, umapRequired: true, runLogRequired: true, finiteLatent: true, nonFiniteMetrics: "error" },
  basic: { metricsRequired: true, umapRequired: false, runLogRequired: true, finiteLatent: false, nonFiniteMetrics: "warning" },
  developer: { metricsRequired: false, umapRequired: false, runLogRequired: false, finiteLatent: false, nonFiniteMetrics: "warning" },
};

/** The first bytes of a file, read without loading the rest. */
function head(path: string, bytes: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

export interface ValidateOptions {
  nObs: number;
  level: ValidatorLevel;
  /** Defaults from output-limits.ts for the fields not given. */
  limits?: Partial<OutputLimits>;
}

export async function validateWorkspace(workspaceDir: string, options: ValidateOptions): Promise<ValidationResult> {
  const rules = RULES[options.level];
  const limits = resolveOutputLimits(DEFAULT_OUTPUT_LIMITS, options.limits);
  const problems: ValidationProblem[] = [];
  const error = (artifact: string, code: string, message: string) => problems.push({ artifact, code, message, severity: "error" });
  const warn = (artifact: string, code: string, message: string) => problems.push({ artifact, code, message, severity: "warning" });
  let entries: WorkspaceEntry[];
  try {
    const root = lstatSync(workspaceDir);
    if (!root.isDirectory()) {
      error(".", "workspace_unreadable", `the workspace ${workspaceDir} is not a directory${root.isSymbolicLink() ? " (it is a symbolic link)" : ""}`);
      return { ok: false, problems, artifacts: [] };
    }
    const walked = walkWorkspace(workspaceDir, limits);
    for (const problem of walked.problems) error(problem.path, problem.code, `${problem.message}; ${problem.code === "bad_file_name" ? "rename it" : raiseHint(problem.code === "too_deep" ? "maxDepth" : "maxFiles")}`);
    if (walked.truncated) return { ok: false, problems, artifacts: [] };
    entries = walked.entries;
  } catch (cause) {
    error(".", "workspace_unreadable", `the workspace ${workspaceDir} cannot be read: ${(cause as Error).message}`);
    return { ok: false, problems, artifacts: [] };
  }
  if (sizeLimitsExceeded(entries, limits, error)) return { ok: false, problems, artifacts: [] };
  for (const entry of entries) {
    if (entry.kind === "symlink") error(entry.path, "symlink_in_output", `${entry.path} is a symbolic link; outputs must be regular files inside the workspace`);
    if (entry.kind === "special") error(entry.path, "special_file", `${entry.path} is not a regular file or directory`);
  }
  const files = new Map(entries.filter((e) => e.kind === "file").map((e) => [e.path, e]));
  const present = (name: string) => files.has(name);
  /** An expected output that is absent or not a regular file; symlinks and special files are already reported. */
  const absent = (name: string, code: string, required: boolean, hint = "") => {
    const entry = entries.find((e) => e.path === name);
    if (entry?.kind === "dir") error(name, code, `${name} is a directory, not a file`);
    else if (!entry && required) error(name, code, `${name} was not written${hint}`);
  };

  let latentShape: [number, number] | undefined;
  if (!present("embeddings.h5")) {
    absent("embeddings.h5", "missing_embeddings", true);
  } else {
    try {
      const latent = await readLatent(join(workspaceDir, "embeddings.h5"), { checkFinite: rules.finiteLatent });
      if (latent.shape === null) {
        const found = [...latent.datasets, ...latent.groups];
        error("embeddings.h5", "missing_latent", `embeddings.h5 has no top-level dataset "latent" (found: ${found.join(", ") || "nothing"})`);
      } else {
        const others = [...latent.datasets, ...latent.groups].filter((n) => n !== "latent");
        if (others.length > 0) error("embeddings.h5", "extra_datasets", `embeddings.h5 must hold exactly one top-level dataset "latent"; also found: ${others.join(", ")}`);
        if (latent.dtype !== null && !isNumericDtype(latent.dtype)) {
          error("embeddings.h5", "latent_not_numeric", `latent must hold numbers, got dtype ${latent.dtype}`);
        } else if (latent.shape.length !== 2) {
          error("embeddings.h5", "latent_not_2d", `latent must be 2-D (cells x dimensions), got shape [${latent.shape.join(", ")}]`);
        } else {
          const [rows, cols] = latent.shape as [number, number];
          latentShape = [rows, cols];
          if (rows !== options.nObs) error("embeddings.h5", "row_count_mismatch", `latent has ${rows} rows but the input has ${options.nObs} cells (rows must follow the input's obs order)`);
          if (cols === 0) error("embeddings.h5", "empty_latent", "latent has zero columns");
          if (latent.finite === false) error("embeddings.h5", "non_finite_latent", `latent holds ${latent.nonFinite} NaN or infinite values`);
        }
      }
    } catch (cause) {
      if (cause instanceof NotSelfContainedError) error("embeddings.h5", "external_reference", `embeddings.h5: ${cause.message}`);
      else if (cause instanceof CorruptHdf5Error) error("embeddings.h5", "corrupt_hdf5", `embeddings.h5 cannot be read as HDF5: ${cause.message}`);
      else throw cause;
    }
  }

  const metrics = files.get("metrics.json");
  if (metrics && metrics.size > limits.maxMetricsBytes) {
    error("metrics.json", "metrics_too_large", `metrics.json is ${formatBytes(metrics.size)}, over the ${formatBytes(limits.maxMetricsBytes)} that are parsed; ${raiseHint("maxMetricsBytes")}`);
  } else if (metrics) validateMetrics(readFileSync(metrics.absolute, "utf8"), rules, limits, error, warn);
  else absent("metrics.json", "missing_metrics", rules.metricsRequired);

  if (present("umap.png")) {
    if (!isPng(head(join(workspaceDir, "umap.png"), 33))) error("umap.png", "invalid_png", "umap.png is not a valid PNG image (no PNG signature with a non-empty IHDR header)");
  } else absent("umap.png", "missing_umap", rules.umapRequired);

  if (!present("run.log")) absent("run.log", "missing_run_log", rules.runLogRequired, " (use multiverse.worker.setup_container_logging)");

  const artifacts: ValidatedArtifact[] = [];
  for (const entry of [...files.values()].sort((a, b) => a.path.localeCompare(b.path))) {
    artifacts.push({ path: entry.path, role: ROLES[entry.path] ?? "other", sizeBytes: entry.size, sha256: await sha256File(entry.absolute) });
  }
  const ok = !problems.some((p) => p.severity === "error");
  return latentShape ? { ok, problems, artifacts, latentShape } : { ok, problems, artifacts };
}

/** Per-file and total sizes, checked before anything is opened or hashed (a 5 GB sparse file is not read). */
function sizeLimitsExceeded(entries: WorkspaceEntry[], limits: OutputLimits, error: (a: string, c: string, m: string) => void): boolean {
  let total = 0;
  let exceeded = false;
  for (const entry of entries) {
    total += entry.size;
    if (entry.size > limits.maxFileBytes) {
      error(entry.path, "file_too_large", `${entry.path} is ${formatBytes(entry.size)} (apparent size), over the ${formatBytes(limits.maxFileBytes)} allowed per file; ${raiseHint("maxFileBytes")}`);
      exceeded = true;
    }
  }
  if (total > limits.maxTotalBytes) {
    error(".", "output_too_large", `the workspace holds ${formatBytes(total)}, over the ${formatBytes(limits.maxTotalBytes)} allowed in total; ${raiseHint("maxTotalBytes")}`);
    exceeded = true;
  }
  return exceeded;
}

function validateMetrics(
  text: string,
  rules: Rules,
  limits: OutputLimits,
  error: (a: string, c: string, m: string) => void,
  warn: (a: string, c: string, m: string) => void,
): void {
  let parsed: { value: unknown; nonFinite: string[] };
  try {
    parsed = parseMetricsJson(text, { maxEntries: limits.maxMetricsKeys });
  } catch (cause) {
    if (cause instanceof MetricsTooLargeError) {
      error("metrics.json", "metrics_too_large", `metrics.json holds ${cause.message}, over the limit of ${limits.maxMetricsKeys}; ${raiseHint("maxMetricsKeys")}`);
      return;
    }
    error("metrics.json", "invalid_metrics", `metrics.json is not valid JSON: ${(cause as Error).message}`);
    return;
  }
  const value = parsed.value;
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    error("metrics.json", "invalid_metrics", "metrics.json must be a JSON object");
    return;
  }
  const modelMetrics = (value as Record<string, unknown>).model_metrics;
  if (modelMetrics !== undefined) {
    if (!modelMetrics || typeof modelMetrics !== "object" || Array.isArray(modelMetrics)) {
      error("metrics.json", "invalid_metrics", "model_metrics must be an object of scalars");
    } else {
      for (const [key, v] of Object.entries(modelMetrics)) {
        if (v !== null && typeof v === "object") error("metrics.json", "invalid_metrics", `model_metrics.${key} must be a scalar`);
      }
    }
  }
  const history = (value as Record<string, unknown>).history;
  if (history !== undefined && (typeof history !== "object" || history === null || Object.values(history).some((v) => !Array.isArray(v)))) {
    error("metrics.json", "invalid_metrics", "history must be an object of arrays");
  }
  if (parsed.nonFinite.length > 0) {
    const message = `non-finite values at ${parsed.nonFinite.join(", ")}`;
    if (rules.nonFiniteMetrics === "error") error("metrics.json", "non_finite_metrics", message);
    else warn("metrics.json", "non_finite_metrics", message);
  }
}
