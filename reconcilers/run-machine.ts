/**
 * The run state machine (seeds' states), modelled in xstate v5 and used as a pure transition function:
 * no actors, no timers, no I/O. The controller persists `{machineVersion, value, context}` in the journal.
 */
import { assign, initialTransition, setup, transition } from "xstate";
import type { FailureReason, RunPhase } from "../src/domain/run-states.js";
import { FAILURE_REASONS } from "../src/domain/run-states.js";
import { RUN_MACHINE_VERSION, type PersistedRunSnapshot, type RunMachineContext } from "../src/journal/records.js";

export { RUN_MACHINE_VERSION } from "../src/journal/records.js";

export type RunEvent =
  | { type: "ADMIT"; attempt: number; attemptId: string }
  | { type: "REFUSED"; message: string }
  | { type: "STARTED" }
  | { type: "LAUNCH_FAILED"; reason: FailureReason; message: string }
  | { type: "EXITED_OK" }
  | { type: "EXITED_FAILED"; reason: FailureReason; message: string }
  | { type: "VALIDATE" }
  | { type: "VALIDATION_PASSED" }
  | { type: "VALIDATION_FAILED"; message: string }
  | { type: "PROMOTED"; artifactDir: string }
  | { type: "PROMOTION_FAILED"; message: string; reason?: FailureReason }
  | { type: "REUSED"; attemptId: string; artifactDir: string }
  | { type: "CANCEL" }
  | { type: "CANCEL_CONFIRMED" }
  | { type: "RECOVERY_NEEDED"; message: string }
  | { type: "ADOPT" }
  | { type: "DISCARD" }
  | { type: "RERUN" };

export type RunEventType = RunEvent["type"];

export const runMachine = setup({
  types: {
    context: {} as RunMachineContext,
    events: {} as RunEvent,
  },
  actions: {
    failWith: assign(({ event }) => {
      switch (event.type) {
        case "LAUNCH_FAILED":
        case "EXITED_FAILED":
          return { reason: event.reason, message: event.message };
        case "VALIDATION_FAILED":
          return { reason: "validation_failed" as const, message: event.message };
        case "PROMOTION_FAILED":
          return { reason: event.reason ?? ("promotion_failed" as const), message: event.message };
        case "DISCARD":
          return { reason: "discarded" as const, message: "discarded by operator decision" };
        case "REFUSED":
          return { reason: "unschedulable" as const, message: event.message };
        default:
          return {};
      }
    }),
    clearOutcome: assign({ reason: undefined, message: undefined, artifactDir: undefined }),
  },
}).createMachine({
  id: "run",
  initial: "PENDING",
  context: { attempt: 0 },
  states: {
    PENDING: {
      on: {
        ADMIT: {
          target: "ADMITTED",
          actions: assign(({ event }) => ({ attempt: event.attempt, attemptId: event.attemptId, reason: undefined, message: undefined })),
        },
        REUSED: {
          target: "ARTIFACT_SUCCESS",
          actions: assign(({ event }) => ({ attemptId: event.attemptId, artifactDir: event.artifactDir })),
        },
        CANCEL: { target: "CANCELLED", actions: assign({ reason: "cancelled", message: "cancelled before launch" }) },
        REFUSED: { target: "FAILED", actions: "failWith" },
      },
    },
    ADMITTED: {
      on: {
        STARTED: "RUNNING",
        LAUNCH_FAILED: { target: "FAILED", actions: "failWith" },
        CANCEL: "CANCEL_REQUESTED",
        RECOVERY_NEEDED: { target: "RECOVERY_PENDING", actions: assign(({ event }) => ({ message: event.message })) },
      },
    },
    RUNNING: {
      on: {
        EXITED_OK: "TRAINING_SUCCEEDED",
        EXITED_FAILED: { target: "FAILED", actions: "failWith" },
        CANCEL: "CANCEL_REQUESTED",
        RECOVERY_NEEDED: { target: "RECOVERY_PENDING", actions: assign(({ event }) => ({ message: event.message })) },
      },
    },
    TRAINING_SUCCEEDED: {
      on: {
        VALIDATE: "EVALUATING",
        CANCEL: { target: "CANCELLED", actions: assign({ reason: "cancelled", message: "cancelled after training" }) },
      },
    },
    EVALUATING: {
      on: {
        VALIDATION_PASSED: "PROMOTING",
        VALIDATION_FAILED: { target: "FAILED", actions: "failWith" },
        CANCEL: { target: "CANCELLED", actions: assign({ reason: "cancelled", message: "cancelled during validation" }) },
      },
    },
    PROMOTING: {
      // A promotion is atomic and short: CANCEL is not accepted here, the bundle either lands or it does not.
      on: {
        PROMOTED: { target: "ARTIFACT_SUCCESS", actions: assign(({ event }) => ({ artifactDir: event.artifactDir })) },
        PROMOTION_FAILED: { target: "FAILED", actions: "failWith" },
        RECOVERY_NEEDED: { target: "RECOVERY_PENDING", actions: assign(({ event }) => ({ message: event.message })) },
      },
    },
    CANCEL_REQUESTED: {
      on: {
        CANCEL_CONFIRMED: { target: "CANCELLED", actions: assign({ reason: "cancelled", message: "cancelled by request" }) },
        RECOVERY_NEEDED: { target: "RECOVERY_PENDING", actions: assign(({ event }) => ({ message: event.message })) },
      },
    },
    RECOVERY_PENDING: {
      on: {
        ADOPT: { target: "TRAINING_SUCCEEDED", actions: "clearOutcome" },
        DISCARD: { target: "FAILED", actions: "failWith" },
      },
    },
    ARTIFACT_SUCCESS: { on: { RERUN: { target: "PENDING", actions: "clearOutcome" } } },
    FAILED: { on: { RERUN: { target: "PENDING", actions: "clearOutcome" } } },
    CANCELLED: { on: { RERUN: { target: "PENDING", actions: "clearOutcome" } } },
  },
});

export interface RunTransition {
  from: RunPhase;
  to: RunPhase;
  snapshot: PersistedRunSnapshot;
}

export class IllegalRunEvent extends Error {
  constructor(readonly phase: RunPhase, readonly eventType: RunEventType) {
    super(`event ${eventType} is not allowed in phase ${phase}`);
    this.name = "IllegalRunEvent";
  }
}

export function initialRunSnapshot(): PersistedRunSnapshot {
  const [snapshot] = initialTransition(runMachine);
  return persist(snapshot.value as RunPhase, snapshot.context);
}

/** Pure: the next persisted snapshot, or IllegalRunEvent when the phase does not accept the event. */
export function applyRunEvent(current: PersistedRunSnapshot, event: RunEvent): RunTransition {
  if (current.machineVersion !== RUN_MACHINE_VERSION) {
    throw new Error(`run snapshot has machine version ${current.machineVersion}, expected ${RUN_MACHINE_VERSION}`);
  }
  const restored = runMachine.resolveState({ value: current.value, context: current.context });
  if (!restored.can(event)) throw new IllegalRunEvent(current.value, event.type);
  const [next] = transition(runMachine, restored, event);
  return { from: current.value, to: next.value as RunPhase, snapshot: persist(next.value as RunPhase, next.context) };
}

export function canApply(current: PersistedRunSnapshot, event: RunEvent): boolean {
  return runMachine.resolveState({ value: current.value, context: current.context }).can(event);
}

function persist(value: RunPhase, context: RunMachineContext): PersistedRunSnapshot {
  const clean: RunMachineContext = { attempt: context.attempt };
  if (context.attemptId !== undefined) clean.attemptId = context.attemptId;
  if (context.reason !== undefined) clean.reason = context.reason;
  if (context.message !== undefined) clean.message = context.message;
  if (context.artifactDir !== undefined) clean.artifactDir = context.artifactDir;
  return { machineVersion: RUN_MACHINE_VERSION, value, context: clean };
}

export function isKnownReason(value: string): value is FailureReason {
  return Object.hasOwn(FAILURE_REASONS, value);
}
