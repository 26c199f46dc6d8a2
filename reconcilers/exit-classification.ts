/** Pure: how an exited attempt is classified. Exit 0 is not success yet: it only earns validation. */
import type { FailureReason } from "../src/domain/run-states.js";
import type { AttemptObservation } from "../src/executors/executor.js";

export type ExitOutcome = { ok: true } | { ok: false; reason: FailureReason; message: string };

export function classifyExit(observation: AttemptObservation, context: { timedOut?: boolean; memLimitBytes?: number }): ExitOutcome {
  if (context.timedOut) return { ok: false, reason: "timeout", message: "the attempt exceeded its time limit and was stopped" };
  if (observation.failure) return { ok: false, ...observation.failure };
  if (observation.oomKilled) {
    const limit = context.memLimitBytes ? ` (limit ${formatBytes(context.memLimitBytes)})` : "";
    return { ok: false, reason: "oom_killed", message: `the container was killed by the out-of-memory killer${limit}` };
  }
  const code = observation.exitCode;
  if (code === 0) return { ok: true };
  if (code === null || code === undefined) {
    return { ok: false, reason: "lost", message: `the attempt ended without an exit code${observation.error ? `: ${observation.error}` : ""}` };
  }
  if (code === 137 && context.memLimitBytes !== undefined) {
    return { ok: false, reason: "oom_killed", message: `exit code 137 (SIGKILL) under a memory limit of ${formatBytes(context.memLimitBytes)}` };
  }
  return { ok: false, reason: "nonzero_exit", message: `the model exited with code ${code}${signalNote(code)}` };
}

function signalNote(code: number): string {
  if (code > 128 && code < 160) return ` (signal ${code - 128})`;
  return "";
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
