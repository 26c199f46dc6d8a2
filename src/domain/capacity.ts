/** What runs ask for and what an engine can hand out: CPUs, memory, GPUs and (for capacity) concurrent attempts. */
export interface Resources {
  cpus: number;
  memBytes: number;
  gpus: number;
}

export interface Capacity extends Resources {
  maxConcurrent: number;
}
