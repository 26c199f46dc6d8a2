/**
 * Which backend runs a job, and what one broker may admit for a set of backends. Pure: the planner, the catalog
 * resolution and both services decide with these functions and nothing else.
 */
import type { Capacity } from "../domain/capacity.js";
import type { Backend } from "../domain/resources.js";

/** The backend a job names nowhere runs on. */
export const DEFAULT_BACKEND: Backend = "docker";

export interface BackendChoice {
  /** `multiverse run --backend`: wins over everything the manifest says. */
  override?: Backend;
  /** jobs[].backend */
  job?: Backend;
  /** globals.backend (a Benchmark's spec.backend) */
  benchmark?: Backend;
  /** `multiverse controller --backend`: for Benchmarks and jobs that name none; docker without one. */
  defaultBackend?: Backend;
}

/** The ONE rule: CLI override > job > benchmark > default (the controller's --backend, else docker). */
export function resolveBackend(choice: BackendChoice): Backend {
  return choice.override ?? choice.job ?? choice.benchmark ?? choice.defaultBackend ?? DEFAULT_BACKEND;
}

/** The backends a benchmark's jobs run on, resolved job by job. */
export function jobBackends(spec: { backend?: Backend; jobs: readonly { backend?: Backend }[] }, choice: Omit<BackendChoice, "job" | "benchmark"> = {}): Set<Backend> {
  return new Set(spec.jobs.map((job) => resolveBackend({ ...choice, job: job.backend, benchmark: spec.backend })));
}

/**
 * One broker admits the runs of every backend in the set, so it may hand out only what each of them can: the
 * element-wise minimum of their capacities. On this host (Docker, local) that is the host's CPUs, memory and GPUs;
 * a cluster scheduler (Slurm) offers unbounded resources and caps only the attempts in flight, so a set of
 * cluster backends alone gets the cluster's capacity, and a set mixing host and cluster backends the host's.
 */
export function combineCapacities(capacities: readonly Capacity[]): Capacity {
  const [first, ...rest] = capacities;
  if (!first) throw new RangeError("a capacity needs at least one backend");
  return rest.reduce<Capacity>(
    (a, b) => ({
      cpus: Math.min(a.cpus, b.cpus),
      memBytes: Math.min(a.memBytes, b.memBytes),
      gpus: Math.min(a.gpus, b.gpus),
      maxConcurrent: Math.min(a.maxConcurrent, b.maxConcurrent),
    }),
    first,
  );
}
