/**
 * Bounds on what one manifest file may hold and expand to, so that a careless or hostile file is refused with a
 * clear error before it costs gigabytes of memory. Each bound can be raised with an environment variable.
 */
import { Errors } from "../domain/errors.js";

export interface ManifestLimits {
  /** Bytes of one manifest file. */
  maxBytes: number;
  /** YAML documents in one file. */
  maxDocuments: number;
  /** Jobs of one manifest (before expansion over models and seeds). */
  maxJobs: number;
  /** Runs a manifest may expand to: the sum over jobs of models x seeds (sweeps count their n_trials). */
  maxRuns: number;
  /** YAML alias dereferences per document (a "billion laughs" file has millions). */
  maxAliases: number;
}

export const DEFAULT_MANIFEST_LIMITS: Readonly<ManifestLimits> = {
  maxBytes: 2 * 1024 * 1024,
  maxDocuments: 1000,
  maxJobs: 10_000,
  maxRuns: 100_000,
  maxAliases: 1000,
};

/** The environment variable that raises each limit (documented in the README). */
export const LIMIT_VARIABLES: Readonly<Record<keyof ManifestLimits, string>> = {
  maxBytes: "MULTIVERSE_MANIFEST_MAX_BYTES",
  maxDocuments: "MULTIVERSE_MANIFEST_MAX_DOCUMENTS",
  maxJobs: "MULTIVERSE_MANIFEST_MAX_JOBS",
  maxRuns: "MULTIVERSE_MANIFEST_MAX_RUNS",
  maxAliases: "MULTIVERSE_MANIFEST_MAX_ALIASES",
};

/** The limits in force: the defaults, each replaced by its environment variable when that is a positive integer. */
export function manifestLimits(env: Readonly<Record<string, string | undefined>> = process.env): ManifestLimits {
  const limits = { ...DEFAULT_MANIFEST_LIMITS };
  for (const key of Object.keys(LIMIT_VARIABLES) as (keyof ManifestLimits)[]) {
    const name = LIMIT_VARIABLES[key];
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    if (!/^[1-9][0-9]{0,14}$/.test(raw.trim())) {
      throw Errors.usage(`${name}=${JSON.stringify(raw)} is not a positive integer`, { details: [`unset it to use the default (${DEFAULT_MANIFEST_LIMITS[key]})`] });
    }
    limits[key] = Number(raw.trim());
  }
  return limits;
}

/** "set MULTIVERSE_MANIFEST_MAX_JOBS=20000 to raise it" */
export function raiseHint(key: keyof ManifestLimits, limits: ManifestLimits, wanted?: number): string {
  const value = Math.max(limits[key] * 2, wanted ?? 0);
  return `the limit is ${limits[key]} (${LIMIT_VARIABLES[key]}); set ${LIMIT_VARIABLES[key]}=${value} to raise it`;
}

export function checkManifestSize(bytes: number, file: string, limits: ManifestLimits): void {
  if (bytes <= limits.maxBytes) return;
  throw Errors.schema(`the manifest is ${bytes} bytes, more than a manifest may hold`, {
    location: { file },
    details: [raiseHint("maxBytes", limits, bytes), "or split the benchmark into several files"],
  });
}
