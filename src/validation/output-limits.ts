/**
 * How much a model may leave in its /output: the total bytes, the number of entries (files and directories),
 * the size of one file, and how deep directories nest. Sizes are apparent sizes (what a reader, the hash and a
 * copy see), so a sparse file counts at its full length. metrics.json is parsed into memory, so it has a limit
 * of its own, in bytes and in keys. Defaults suit a benchmark run; a model raises them in model.yaml
 * (resources.output_limits) and a job in the manifest (output_limits), the job's value winning.
 */
export interface OutputLimits {
  maxTotalBytes: number;
  maxFiles: number;
  maxFileBytes: number;
  maxDepth: number;
  maxMetricsBytes: number;
  maxMetricsKeys: number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = {
  maxTotalBytes: 4 * GiB,
  maxFiles: 1_000,
  maxFileBytes: 2 * GiB,
  maxDepth: 32,
  maxMetricsBytes: 16 * MiB,
  maxMetricsKeys: 100_000,
};

/** The manifest's and model.yaml's snake_case names, for messages that say how to raise a limit. */
export const OUTPUT_LIMIT_FIELDS: Record<keyof OutputLimits, string> = {
  maxTotalBytes: "max_total_bytes",
  maxFiles: "max_files",
  maxFileBytes: "max_file_bytes",
  maxDepth: "max_depth",
  maxMetricsBytes: "max_metrics_bytes",
  maxMetricsKeys: "max_metrics_keys",
};

/** Defaults, then the model's, then the job's: later layers win field by field. */
export function resolveOutputLimits(...layers: (Partial<OutputLimits> | undefined)[]): OutputLimits {
  const limits = { ...DEFAULT_OUTPUT_LIMITS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(OUTPUT_LIMIT_FIELDS) as (keyof OutputLimits)[]) {
      const value = layer[key];
      if (value !== undefined) limits[key] = value;
    }
  }
  return limits;
}

export function formatBytes(bytes: number): string {
  for (const [unit, size] of [["GiB", GiB], ["MiB", MiB], ["KiB", 1024]] as const) {
    if (bytes >= size) return `${(bytes / size).toFixed(bytes % size === 0 ? 0 : 1)} ${unit}`;
  }
  return `${bytes} bytes`;
}

export function raiseHint(key: keyof OutputLimits): string {
  return `raise output_limits.${OUTPUT_LIMIT_FIELDS[key]} for the job in the manifest, or resources.output_limits.${OUTPUT_LIMIT_FIELDS[key]} in the model's model.yaml`;
}

/** The manifest's and model.yaml's snake_case output_limits as the camelCase spec; unknown keys are the schema's business. */
export function outputLimitsFromSnake(value: Record<string, number | undefined>): Partial<OutputLimits> {
  const limits: Partial<OutputLimits> = {};
  for (const [key, snake] of Object.entries(OUTPUT_LIMIT_FIELDS) as [keyof OutputLimits, string][]) {
    const v = value[snake];
    if (v !== undefined) limits[key] = v;
  }
  return limits;
}
