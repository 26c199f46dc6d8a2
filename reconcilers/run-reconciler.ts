/**
 * Pure desired-vs-observed logic for one Run: given what the journal says (the persisted snapshot), what the
 * engine says (the observation of the current attempt) and what the user wants (cancel or not), return the
 * machine events to record and at most one side effect for the controller to perform. No I/O here.
 */
import type { PersistedRunSnapshot } from "../src/journal/records.js";
import type { AttemptObservation } from "../src/executors/executor.js";
import { classifyExit } from "./exit-classification.js";
import type { RunEvent } from "./run-machine.js";

export type RunAction =
  | { type: "admit" }
  | { type: "launch"; attemptId: string; attempt: number }
  | { type: "collect-logs"; attemptId: string }
  | { type: "validate"; attemptId: string }
  | { type: "promote"; attemptId: string }
  | { type: "stop"; attemptId: string; reason: "cancel" | "timeout" }
  | { type: "release"; attemptId: string };

export interface RunDecision {
  events: RunEvent[];
  action?: RunAction;
  /** Poll again after this long (observed state can change without us). */
  requeueAfterMs?: number;
  /** True when the run needs no more work from this controller. */
  done: boolean;
}

export interface ReconcileInput {
  snapshot: PersistedRunSnapshot;
  /** Observation of the current attempt, when the controller asked the engine (ADMITTED, RUNNING, CANCEL_REQUESTED). */
  observation?: AttemptObservation;
  cancelRequested: boolean;
  /** Whether the broker currently has room for one more attempt. */
  capacityAvailable: boolean;
  memLimitBytes?: number;
  timeoutSeconds?: number;
  /** Set when a stop for timeout was already issued for this attempt. */
  timeoutIssued?: boolean;
  now: Date;
  pollIntervalMs: number;
}

export function reconcileRun(input: ReconcileInput): RunDecision {
  const { snapshot, observation } = input;
  const attemptId = snapshot.context.attemptId;
  switch (snapshot.value) {
    case "PENDING":
      if (input.cancelRequested) return { events: [{ type: "CANCEL" }], done: true };
      if (!input.capacityAvailable) return { events: [], requeueAfterMs: input.pollIntervalMs, done: false };
      return { events: [], action: { type: "admit" }, done: false };

    case "ADMITTED": {
      if (!attemptId) return { events: [{ type: "RECOVERY_NEEDED", message: "admitted run has no attempt id" }], done: false };
      if (input.cancelRequested) return { events: [{ type: "CANCEL" }], done: false };
      // Nothing in the engine, or created but never started (a crash between create and start): launch, which is
      // idempotent per attempt and starts an existing container instead of creating a second one.
      if (!observation || observation.state === "missing" || observation.state === "created") {
        return { events: [], action: { type: "launch", attemptId, attempt: snapshot.context.attempt }, done: false };
      }
      // The engine already has the attempt running or finished (a launch that happened before a crash): adopt it.
      return { events: [{ type: "STARTED" }], done: false };
    }

    case "RUNNING": {
      if (!attemptId) return { events: [{ type: "RECOVERY_NEEDED", message: "running run has no attempt id" }], done: false };
      if (input.cancelRequested) return { events: [{ type: "CANCEL" }], done: false };
      if (!observation) return { events: [], requeueAfterMs: input.pollIntervalMs, done: false };
      if (observation.state === "missing") {
        return {
          events: [{ type: "EXITED_FAILED", reason: "lost", message: "the container disappeared from the engine before it exited" }],
          done: false,
        };
      }
      if (observation.state === "created") {
        return { events: [], action: { type: "launch", attemptId, attempt: snapshot.context.attempt }, done: false };
      }
      if (observation.state === "exited") {
        const outcome = classifyExit(observation, { timedOut: input.timeoutIssued, memLimitBytes: input.memLimitBytes });
        return {
          events: [outcome.ok ? { type: "EXITED_OK" } : { type: "EXITED_FAILED", reason: outcome.reason, message: outcome.message }],
          action: { type: "collect-logs", attemptId },
          done: false,
        };
      }
      if (input.timeoutSeconds !== undefined && !input.timeoutIssued && observation.startedAt) {
        const elapsed = (input.now.getTime() - Date.parse(observation.startedAt)) / 1000;
        if (elapsed > input.timeoutSeconds) return { events: [], action: { type: "stop", attemptId, reason: "timeout" }, done: false };
      }
      return { events: [], requeueAfterMs: input.pollIntervalMs, done: false };
    }

    case "TRAINING_SUCCEEDED":
      if (input.cancelRequested) return { events: [{ type: "CANCEL" }], done: true };
      return { events: [{ type: "VALIDATE" }], done: false };

    case "EVALUATING":
      if (!attemptId) return { events: [{ type: "RECOVERY_NEEDED", message: "evaluating run has no attempt id" }], done: false };
      if (input.cancelRequested) return { events: [{ type: "CANCEL" }], done: true };
      return { events: [], action: { type: "validate", attemptId }, done: false };

    case "PROMOTING":
      if (!attemptId) return { events: [{ type: "RECOVERY_NEEDED", message: "promoting run has no attempt id" }], done: false };
      return { events: [], action: { type: "promote", attemptId }, done: false };

    case "CANCEL_REQUESTED": {
      if (!attemptId) return { events: [{ type: "CANCEL_CONFIRMED" }], done: false };
      if (!observation || observation.state === "missing" || observation.state === "exited") {
        return { events: [{ type: "CANCEL_CONFIRMED" }], action: { type: "collect-logs", attemptId }, done: false };
      }
      return { events: [], action: { type: "stop", attemptId, reason: "cancel" }, requeueAfterMs: input.pollIntervalMs, done: false };
    }

    case "RECOVERY_PENDING":
    case "ARTIFACT_SUCCESS":
    case "FAILED":
    case "CANCELLED":
      return { events: [], done: true };
  }
}

/** Phases in which the controller must ask the engine about the current attempt before deciding. */
export function needsObservation(snapshot: PersistedRunSnapshot): boolean {
  return snapshot.value === "ADMITTED" || snapshot.value === "RUNNING" || snapshot.value === "CANCEL_REQUESTED";
}

/** Phases that hold a broker reservation (an attempt that may be consuming resources). */
export function holdsReservation(snapshot: PersistedRunSnapshot): boolean {
  return snapshot.value === "ADMITTED" || snapshot.value === "RUNNING" || snapshot.value === "CANCEL_REQUESTED";
}
