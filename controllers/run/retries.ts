/**
 * Retries under the same logical run: a run that failed under this controller gets its next attempt after the
 * retry policy's delay (infrastructure failures always, method failures only with `retries: N`). Attempts are
 * counted from the attempt the run had when this controller took it over.
 */
import type { RunRecord } from "../../src/journal/run-records.js";
import { retryDecision } from "../../reconcilers/retry-policy.js";

export class RetryTimers {
  private readonly baseAttempt = new Map<string, number>();
  private readonly due = new Map<string, number>();

  /** The run is handed to this controller: a run resumed mid-attempt counts that attempt as this controller's own. */
  takeOver(record: RunRecord, inFlight: boolean): void {
    if (!this.baseAttempt.has(record.runId)) this.baseAttempt.set(record.runId, record.snapshot.context.attempt - (inFlight ? 1 : 0));
  }

  /**
   * For a FAILED run: undefined for no retry, a delay in ms while the retry is not due, or "now" when it is due
   * (the caller reruns it). `announce` is told once per retry why and when.
   */
  next(record: RunRecord, nowMs: number, announce: (delayMs: number, why: string) => void): number | "now" | undefined {
    if (record.snapshot.value !== "FAILED" || record.cancelRequested) return undefined;
    const attemptsHere = record.snapshot.context.attempt - (this.baseAttempt.get(record.runId) ?? 0);
    if (attemptsHere <= 0) return undefined;
    const decision = retryDecision(record.snapshot.context.reason, attemptsHere, record.spec.retries, record.spec.oomRetries ?? 0);
    if (!decision.retry) return undefined;
    const due = this.due.get(record.runId);
    if (due === undefined) {
      this.due.set(record.runId, nowMs + decision.delayMs);
      announce(decision.delayMs, decision.why);
      return decision.delayMs;
    }
    if (nowMs < due) return due - nowMs;
    this.due.delete(record.runId);
    return "now";
  }
}
