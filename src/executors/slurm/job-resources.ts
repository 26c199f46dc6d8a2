/**
 * What one job asks Slurm for: the executor's defaults (environment), then the run's own settings (the manifest's
 * globals.slurm and jobs[].slurm), with the allocation never smaller than the run's container limits (its
 * memory limit grows after an OOM kill, its CPU count is what the model is told it has). Pure.
 */
import type { SlurmSettings } from "../../domain/resources.js";
import type { SlurmResources } from "./batch-script.js";

export interface ResourceRequest {
  cpus?: number;
  memLimitBytes?: number;
  gpu: boolean;
  timeoutSeconds?: number;
  slurm?: SlurmSettings;
}

function larger(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/**
 * `headroomGb` is added to a memory request for what the job itself runs beside the model: with the Docker runtime
 * the model's memory is charged to the container (limited by docker --memory), while Slurm counts the docker client
 * in the job's own processes, which must not be killed for the model's allocation.
 */
export function jobResources(defaults: SlurmResources | undefined, request: ResourceRequest, headroomGb = 0): SlurmResources {
  const settings = request.slurm ?? {};
  const resources: SlurmResources = { ...defaults, ...settings };
  const extra = [...(defaults?.extraDirectives ?? []), ...(settings.extraDirectives ?? [])];
  if (extra.length > 0) resources.extraDirectives = extra;
  else delete resources.extraDirectives;

  const cpus = larger(resources.cpusPerTask, request.cpus === undefined ? undefined : Math.ceil(request.cpus));
  if (cpus !== undefined) resources.cpusPerTask = cpus;
  const memGb = larger(resources.memGb, request.memLimitBytes === undefined ? undefined : request.memLimitBytes / 1024 ** 3);
  if (memGb !== undefined) resources.memGb = memGb + headroomGb;
  if (resources.gpus === undefined && request.gpu) resources.gpus = 1;
  // The manifest's time_minutes is the scheduler's limit; without one, the run's own timeout becomes it.
  if (settings.timeMinutes === undefined && request.timeoutSeconds !== undefined) resources.timeMinutes = request.timeoutSeconds / 60;
  return resources;
}

/** A job that asks Slurm for GPUs gets them in its container too (--nv). */
export function wantsGpu(resources: SlurmResources, requestGpu: boolean): boolean {
  return requestGpu || (resources.gpus ?? 0) > 0;
}
