/**
 * Pure resource admission. A run is admitted when its declared CPUs, memory and GPUs fit into what the
 * reservations of running attempts leave of the capacity, and when it is first in line (FIFO across
 * benchmarks: an older run is never overtaken, so a large job cannot starve). A run whose demand exceeds
 * the whole capacity can never start and is refused with the reason instead of waiting forever.
 */
import type { Capacity, Resources } from "../src/domain/capacity.js";

export type { Capacity, Resources } from "../src/domain/capacity.js";

export interface Reservation {
  runId: string;
  demand: Resources;
}

export type Admission =
  | { verdict: "admit" }
  | { verdict: "wait"; message: string }
  | { verdict: "never"; message: string };

export function used(reservations: readonly Reservation[]): Resources {
  return reservations.reduce(
    (sum, r) => ({ cpus: sum.cpus + r.demand.cpus, memBytes: sum.memBytes + r.demand.memBytes, gpus: sum.gpus + r.demand.gpus }),
    { cpus: 0, memBytes: 0, gpus: 0 },
  );
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(bytes >= 1024 ** 3 ? 1 : 2)} GiB`;
}

/** Why the demand can never fit, or undefined when it can. */
export function neverFits(demand: Resources, capacity: Capacity): string | undefined {
  const problems: string[] = [];
  if (demand.cpus > capacity.cpus) problems.push(`${demand.cpus} CPUs requested, ${capacity.cpus} available in total`);
  if (demand.memBytes > capacity.memBytes) problems.push(`${gib(demand.memBytes)} of memory requested, ${gib(capacity.memBytes)} available in total`);
  if (demand.gpus > capacity.gpus) problems.push(`${demand.gpus} GPU(s) requested, ${capacity.gpus} available`);
  return problems.length ? problems.join("; ") : undefined;
}

export function admit(candidate: { runId: string; demand: Resources }, capacity: Capacity, reservations: readonly Reservation[], queue: readonly string[]): Admission {
  const impossible = neverFits(candidate.demand, capacity);
  if (impossible) return { verdict: "never", message: `this run can never be scheduled: ${impossible}` };
  const ahead = queue.indexOf(candidate.runId);
  if (ahead > 0) return { verdict: "wait", message: `${ahead} run(s) ahead in the admission queue` };
  if (reservations.length >= capacity.maxConcurrent) return { verdict: "wait", message: `${reservations.length} of ${capacity.maxConcurrent} concurrent attempts in use` };
  const inUse = used(reservations);
  if (inUse.cpus + candidate.demand.cpus > capacity.cpus) return { verdict: "wait", message: `needs ${candidate.demand.cpus} CPUs, ${capacity.cpus - inUse.cpus} free` };
  if (inUse.memBytes + candidate.demand.memBytes > capacity.memBytes) return { verdict: "wait", message: `needs ${gib(candidate.demand.memBytes)}, ${gib(capacity.memBytes - inUse.memBytes)} free` };
  if (inUse.gpus + candidate.demand.gpus > capacity.gpus) return { verdict: "wait", message: `needs ${candidate.demand.gpus} GPU(s), ${capacity.gpus - inUse.gpus} free` };
  return { verdict: "admit" };
}

/** What a run declares: CPUs (default 1), its memory limit (default none), one GPU when it asks for GPUs. */
export function demandOf(spec: { cpus?: number; memLimitBytes?: number; gpu: boolean }): Resources {
  return { cpus: spec.cpus ?? 1, memBytes: spec.memLimitBytes ?? 0, gpus: spec.gpu ? 1 : 0 };
}
