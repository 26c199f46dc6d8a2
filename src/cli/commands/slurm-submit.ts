/**
 * `multiverse slurm-submit`: one model on one dataset through the Slurm + Apptainer path, without writing a
 * manifest by hand. The flags become a run manifest (kept in <state-root>/slurm-submit/, named by its content,
 * so the same submission is the same file), which `multiverse run --backend slurm` then runs: identity,
 * adoption after a restart, validation and promotion are the same as for any manifest.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { Errors } from "../../domain/errors.js";
import type { Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { runCommand } from "./run.js";

export interface SlurmSubmitOptions extends StateRootOptions {
  modelSlug: string;
  imageSif?: string;
  imageDigest?: string;
  datasetSlug: string;
  datasetPath?: string;
  paramsJson?: string;
  partition?: string;
  account?: string;
  qos?: string;
  timeMinutes?: number;
  memGb?: number;
  cpusPerTask?: number;
  gpus?: number;
  maxInflight?: number;
  seed?: number;
  acceptDegraded?: boolean;
  json?: boolean;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Pure: the run manifest the flags describe (seeds' format), or a usage error naming the flag. */
export function slurmSubmitManifest(options: SlurmSubmitOptions): Record<string, unknown> {
  if (options.imageDigest !== undefined && !DIGEST.test(options.imageDigest)) {
    throw Errors.usage(`--image-digest must be sha256:<64 lowercase hex digits> (the OCI digest the SIF was built from), got "${options.imageDigest}"`);
  }
  let params: Record<string, unknown> = {};
  if (options.paramsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(options.paramsJson);
    } catch (error) {
      throw Errors.usage(`--params-json is not JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw Errors.usage(`--params-json must be a JSON object of hyperparameters, got ${options.paramsJson}`);
    params = parsed as Record<string, unknown>;
  }
  const slurm: Record<string, unknown> = {};
  if (options.partition !== undefined) slurm.partition = options.partition;
  if (options.account !== undefined) slurm.account = options.account;
  if (options.qos !== undefined) slurm.qos = options.qos;
  if (options.timeMinutes !== undefined) slurm.time_minutes = options.timeMinutes;
  if (options.memGb !== undefined) slurm.mem_gb = options.memGb;
  if (options.cpusPerTask !== undefined) slurm.cpus_per_task = options.cpusPerTask;
  if (options.gpus !== undefined) slurm.gpus = options.gpus;
  const job: Record<string, unknown> = {
    name: `${options.datasetSlug}-${options.modelSlug}`,
    dataset_slug: options.datasetSlug,
    model_name: options.modelSlug,
    model_params: params,
    seeds: [options.seed ?? 0],
  };
  if (options.gpus !== undefined && options.gpus > 0) job.gpu = true;
  if (options.imageSif !== undefined) job.image_sif = resolve(options.imageSif);
  if (options.imageDigest !== undefined) job.image_digest = options.imageDigest;
  const manifest: Record<string, unknown> = {
    globals: { experiment_name: `slurm-submit-${options.datasetSlug}-${options.modelSlug}`, backend: "slurm", ...(Object.keys(slurm).length > 0 ? { slurm } : {}) },
    jobs: [job],
  };
  if (options.datasetPath !== undefined) manifest.datasets = { [options.datasetSlug]: { path: resolve(options.datasetPath) } };
  return manifest;
}

export async function slurmSubmitCommand(options: SlurmSubmitOptions, io: Io): Promise<number> {
  const stateRoot = resolveStateRoot(options);
  const text = `# written by multiverse slurm-submit\n${stringify(slurmSubmitManifest(options))}`;
  const dir = join(stateRoot, "slurm-submit");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash("sha256").update(text).digest("hex").slice(0, 16)}.yaml`);
  writeFileSync(file, text);
  if (!options.json) io.err(`manifest: ${file}`);
  return runCommand(
    { manifest: file, output: stateRoot, backend: "slurm", acceptDegraded: options.acceptDegraded, maxConcurrent: options.maxInflight, json: options.json },
    io,
  );
}
