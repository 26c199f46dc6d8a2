/**
 * Engine-side leftovers: containers (or jobs) of attempts whose outcome is already journaled. An attempt's
 * container is released right after the transition that records its exit; a crash in between leaves it behind, and
 * nothing would ever look at it again. Pure: what the engine lists and what the journal says in, what to release out.
 */
import type { AttemptObservation } from "../src/executors/executor.js";
import { isTerminal, type RunPhase } from "../src/domain/run-states.js";

export interface AttemptOwner {
  phase: RunPhase;
  /** The run's current attempt. */
  attemptId: string | null;
}

/** Phases reached only after the current attempt's exit and logs were recorded. */
const PAST_THE_CONTAINER: ReadonlySet<RunPhase> = new Set(["TRAINING_SUCCEEDED", "EVALUATING", "PROMOTING"]);

/**
 * Attempts to release: not running, and either an earlier attempt of their run or the current attempt of a run
 * that has moved past it. Attempts the journal does not know, and runs waiting for `recover`, are left alone.
 */
export function leftoverAttempts(owned: readonly AttemptObservation[], ownerOf: (attemptId: string) => AttemptOwner | undefined): string[] {
  return owned
    .filter((attempt) => {
      if (attempt.state === "running" || attempt.state === "missing") return false;
      const owner = ownerOf(attempt.attemptId);
      if (!owner || owner.phase === "RECOVERY_PENDING") return false;
      if (owner.attemptId !== attempt.attemptId) return true;
      return isTerminal(owner.phase) || PAST_THE_CONTAINER.has(owner.phase);
    })
    .map((attempt) => attempt.attemptId);
}
