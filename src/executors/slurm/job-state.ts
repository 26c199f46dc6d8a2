/**
 * Slurm job states as the executor interface sees them, with typed failure reasons for the states that are
 * the scheduler's verdict rather than the model's exit code. Pure.
 */
import type { AttemptObservation } from "../executor.js";

const RUNNING = new Set(["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD"]);

/** What a job still in the queue means: queued and running jobs are both "running" to the controller. */
export function queuedState(state: string): "running" | "ended" {
  return RUNNING.has(state) ? "running" : "ended";
}

/** The verdict of an ended job, given the exit code file the batch script writes (undefined if it never wrote one). */
/**
 * slurmstepd's words when it kills a job above its --mem without cgroups (jobacct_gather with OverMemoryKill): the
 * job then ends FAILED, not OUT_OF_MEMORY, and the batch script is killed before it writes its exit code.
 */
const MEMORY_KILL = /slurmstepd[^\n]*(exceeded memory limit|Exceeded job memory limit|oom-kill event)/i;

export function memoryKillInLog(logTail: string): boolean {
  return MEMORY_KILL.test(logTail);
}

export function endedObservation(attemptId: string, slurmState: string | undefined, exitCode: number | undefined, detail: { startedAt?: string; finishedAt?: string; reason?: string; memoryExceeded?: boolean }): AttemptObservation {
  const base = { attemptId, state: "exited" as const, ...(detail.startedAt ? { startedAt: detail.startedAt } : {}), ...(detail.finishedAt ? { finishedAt: detail.finishedAt } : {}) };
  switch (slurmState) {
    case "TIMEOUT":
    case "DEADLINE":
      return { ...base, exitCode: exitCode ?? null, failure: { reason: "timeout", message: `Slurm stopped the job at its time limit (${slurmState})` } };
    case "OUT_OF_MEMORY":
      return { ...base, exitCode: exitCode ?? null, oomKilled: true };
    case "NODE_FAIL":
      return { ...base, exitCode: exitCode ?? null, failure: { reason: "node_fail", message: `the node running the job failed (NODE_FAIL${detail.reason ? `: ${detail.reason}` : ""})` } };
    case "PREEMPTED":
      return { ...base, exitCode: exitCode ?? null, failure: { reason: "preempted", message: "Slurm preempted the job; it is retried under the same logical run" } };
    case "BOOT_FAIL":
    case "LAUNCH_FAILED":
      return { ...base, exitCode: exitCode ?? null, failure: { reason: "launch_error", message: `Slurm could not start the job (${slurmState})` } };
    default:
      break;
  }
  if (detail.memoryExceeded && exitCode !== 0) return { ...base, exitCode: exitCode ?? null, oomKilled: true };
  if (exitCode !== undefined) return { ...base, exitCode, oomKilled: false };
  if (slurmState === "CANCELLED") return { ...base, exitCode: null, failure: { reason: "cancelled", message: "the job was cancelled in Slurm (scancel)" } };
  return { ...base, exitCode: null, error: slurmState ? `Slurm state ${slurmState} and no exit code file` : "the job left the queue without writing its exit code" };
}
