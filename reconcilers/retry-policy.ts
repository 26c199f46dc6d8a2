/**
 * Pure retry policy. Infrastructure failures (the engine, the launch, a lost container, a failed promotion)
 * are retried with exponential backoff under the same logical run, up to a fixed budget. Method failures
 * (non-zero exit, OOM, timeout, validation) are results, retried only as many times as the job asks
 * (`retries: N`). User decisions (cancelled, discarded) are never retried.
 */
import { failureClass, type FailureReason } from "../src/domain/run-states.js";

export const INFRASTRUCTURE_RETRIES = 3;
export const RETRY_BASE_DELAY_MS = 1_000;
export const RETRY_MAX_DELAY_MS = 60_000;
export const OOM_MEMORY_GROWTH = 2;

/**
 * The memory limit of the next attempt: a job with oomRetries doubles its limit after each OOM kill (at most
 * oomRetries times), never beyond what the broker can grant.
 */
export function effectiveMemLimit(spec: { memLimitBytes?: number; oomRetries?: number }, oomKills: number, capacityBytes: number): number | undefined {
  if (spec.memLimitBytes === undefined || !spec.oomRetries) return spec.memLimitBytes;
  const grown = spec.memLimitBytes * OOM_MEMORY_GROWTH ** Math.min(oomKills, spec.oomRetries);
  return Math.max(spec.memLimitBytes, Math.min(grown, capacityBytes));
}

/** Reasons that another attempt cannot fix: retrying them would only repeat the same refusal. */
const PERMANENT: ReadonlySet<FailureReason> = new Set(["image_missing", "unverified_image", "unschedulable", "storage_full"]);

export interface RetryDecision {
  retry: boolean;
  delayMs: number;
  why: string;
}

/** `attempt` is the number of the attempt that just failed (1 for the first). */
export function retryDecision(reason: FailureReason | undefined, attempt: number, jobRetries: number, oomRetries = 0): RetryDecision {
  if (!reason) return { retry: false, delayMs: 0, why: "no failure reason recorded" };
  const kind = failureClass(reason);
  const delayMs = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  if (kind === "user") return { retry: false, delayMs: 0, why: `${reason} is a user decision` };
  if (PERMANENT.has(reason)) return { retry: false, delayMs: 0, why: `${reason} will not change by trying again` };
  if (kind === "infrastructure") {
    if (attempt <= INFRASTRUCTURE_RETRIES) return { retry: true, delayMs, why: `${reason} is an infrastructure failure (retry ${attempt} of ${INFRASTRUCTURE_RETRIES})` };
    return { retry: false, delayMs: 0, why: `${reason} persisted through ${INFRASTRUCTURE_RETRIES} retries` };
  }
  if (reason === "oom_killed" && attempt <= oomRetries) {
    return { retry: true, delayMs: 0, why: `OOM-killed: the job allows ${oomRetries} retries with a doubled memory limit (retry ${attempt})` };
  }
  if (attempt <= jobRetries) return { retry: true, delayMs, why: `${reason}: the job allows ${jobRetries} retries (retry ${attempt})` };
  return { retry: false, delayMs: 0, why: `${reason} is a method failure, recorded as a result${jobRetries > 0 ? ` after ${jobRetries} retries` : ""}` };
}
