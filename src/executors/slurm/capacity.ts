/**
 * What the controller's broker admits when every run goes to Slurm: the cluster schedules CPUs, memory and GPUs
 * (sbatch refuses what can never fit), so the only local limit is how many jobs may be queued or running at once
 * (--max-inflight). The host's own CPUs and memory are not the cluster's.
 */
import type { Capacity } from "../../domain/capacity.js";

export const DEFAULT_SLURM_MAX_INFLIGHT = 500;

export function slurmCapacity(maxInflight: number = DEFAULT_SLURM_MAX_INFLIGHT): Capacity {
  if (!Number.isInteger(maxInflight) || maxInflight < 1) throw new RangeError(`the number of Slurm jobs in flight must be a positive integer, got ${maxInflight}`);
  return { cpus: Number.POSITIVE_INFINITY, memBytes: Number.POSITIVE_INFINITY, gpus: Number.POSITIVE_INFINITY, maxConcurrent: maxInflight };
}
