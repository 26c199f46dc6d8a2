/** What an engine on this host can hand out: the host's CPUs, memory (globals.host_ram_gb caps it) and GPUs. */
import { readdirSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import type { Capacity } from "../domain/capacity.js";
import type { CapacityLimits } from "./executor.js";

export function hostCapacity(limits: CapacityLimits = {}): Capacity {
  const cpus = availableParallelism();
  let gpus = 0;
  try {
    gpus = readdirSync("/dev").filter((d) => /^nvidia\d+$/.test(d)).length;
  } catch {
    gpus = 0;
  }
  return {
    cpus,
    memBytes: limits.hostRamGb !== undefined ? Math.floor(limits.hostRamGb * 1024 ** 3) : totalmem(),
    gpus,
    maxConcurrent: limits.maxConcurrent ?? cpus,
  };
}
