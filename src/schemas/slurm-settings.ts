/**
 * Slurm settings: the seeds' globals.slurm and jobs[].slurm (snake_case, in run manifests) and the same fields
 * in camelCase on Benchmark and Run resources. Converted by slurmSettingsFromManifest.
 */
import type { SlurmSettings } from "../domain/resources.js";
import type { JsonSchema } from "./json-schema.js";

const name = { type: "string", minLength: 1, pattern: "^[^\\s\\r\\n]+$" };
/** One sbatch option per entry, without the "#SBATCH " prefix: "--constraint=avx2". */
const directive = { type: "string", pattern: "^--?[A-Za-z][^\\r\\n]*$" };

function settings(keys: Record<keyof Required<SlurmSettings>, string>): JsonSchema {
  return {
    type: "object",
    additionalProperties: false,
    properties: {
      [keys.partition]: name,
      [keys.account]: name,
      [keys.qos]: name,
      [keys.timeMinutes]: { type: "number", exclusiveMinimum: 0 },
      [keys.memGb]: { type: "number", exclusiveMinimum: 0 },
      [keys.cpusPerTask]: { type: "integer", minimum: 1 },
      [keys.gpus]: { type: "integer", minimum: 0 },
      [keys.extraDirectives]: { type: "array", items: directive },
      [keys.useTmpdir]: { type: "boolean" },
    },
  };
}

const SNAKE = {
  partition: "partition",
  account: "account",
  qos: "qos",
  timeMinutes: "time_minutes",
  memGb: "mem_gb",
  cpusPerTask: "cpus_per_task",
  gpus: "gpus",
  extraDirectives: "extra_directives",
  useTmpdir: "use_tmpdir",
} as const satisfies Record<keyof Required<SlurmSettings>, string>;

const CAMEL = Object.fromEntries(Object.keys(SNAKE).map((k) => [k, k])) as Record<keyof Required<SlurmSettings>, string>;

export const slurmManifestSchema: JsonSchema = settings(SNAKE);
export const slurmSettingsSchema: JsonSchema = settings(CAMEL);

export type SlurmManifestSettings = { [K in keyof typeof SNAKE as (typeof SNAKE)[K]]?: SlurmSettings[K] };

/** The manifest's snake_case settings as the domain's (already validated by slurmManifestSchema). */
export function slurmSettingsFromManifest(manifest: SlurmManifestSettings): SlurmSettings {
  const out: SlurmSettings = {};
  for (const [camel, snake] of Object.entries(SNAKE) as [keyof SlurmSettings, keyof SlurmManifestSettings][]) {
    const value = manifest[snake];
    if (value !== undefined) (out as Record<string, unknown>)[camel] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/** A job's settings over the benchmark's; extra directives of both are kept, the job's last. Undefined when neither has any. */
export function mergeSlurmSettings(benchmark: SlurmSettings | undefined, job: SlurmSettings | undefined): SlurmSettings | undefined {
  if (!benchmark && !job) return undefined;
  const merged: SlurmSettings = { ...benchmark, ...job };
  const extra = [...(benchmark?.extraDirectives ?? []), ...(job?.extraDirectives ?? [])];
  if (extra.length > 0) merged.extraDirectives = extra;
  else delete merged.extraDirectives;
  return merged;
}
