import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RUN_PHASES, type RunPhase } from "../../../src/domain/run-states.js";
import type { PersistedRunSnapshot } from "../../../src/journal/records.js";
import {
  applyRunEvent,
  IllegalRunEvent,
  initialRunSnapshot,
  RUN_MACHINE_VERSION,
  type RunEvent,
  type RunEventType,
} from "../../../reconcilers/run-machine.js";

const EVENTS: Record<RunEventType, RunEvent> = {
  ADMIT: { type: "ADMIT", attempt: 1, attemptId: "abc-own-a1" },
  REFUSED: { type: "REFUSED", message: "never fits" },
  STARTED: { type: "STARTED" },
  LAUNCH_FAILED: { type: "LAUNCH_FAILED", reason: "image_missing", message: "no such image" },
  EXITED_OK: { type: "EXITED_OK" },
  EXITED_FAILED: { type: "EXITED_FAILED", reason: "nonzero_exit", message: "exit 1" },
  VALIDATE: { type: "VALIDATE" },
  VALIDATION_PASSED: { type: "VALIDATION_PASSED" },
  VALIDATION_FAILED: { type: "VALIDATION_FAILED", message: "row_count_mismatch" },
  PROMOTED: { type: "PROMOTED", artifactDir: "/store/artifacts/x" },
  PROMOTION_FAILED: { type: "PROMOTION_FAILED", message: "disk full" },
  REUSED: { type: "REUSED", attemptId: "abc-own-a1", artifactDir: "/store/artifacts/x" },
  CANCEL: { type: "CANCEL" },
  CANCEL_CONFIRMED: { type: "CANCEL_CONFIRMED" },
  RECOVERY_NEEDED: { type: "RECOVERY_NEEDED", message: "cannot decide" },
  ADOPT: { type: "ADOPT" },
  DISCARD: { type: "DISCARD" },
  RERUN: { type: "RERUN" },
};

/** The complete transition table: every (phase, event) pair not listed here must be refused. */
const ALLOWED: Record<RunPhase, Partial<Record<RunEventType, RunPhase>>> = {
  PENDING: { ADMIT: "ADMITTED", REUSED: "ARTIFACT_SUCCESS", CANCEL: "CANCELLED", REFUSED: "FAILED" },
  ADMITTED: { STARTED: "RUNNING", LAUNCH_FAILED: "FAILED", CANCEL: "CANCEL_REQUESTED", RECOVERY_NEEDED: "RECOVERY_PENDING" },
  RUNNING: { EXITED_OK: "TRAINING_SUCCEEDED", EXITED_FAILED: "FAILED", CANCEL: "CANCEL_REQUESTED", RECOVERY_NEEDED: "RECOVERY_PENDING" },
  TRAINING_SUCCEEDED: { VALIDATE: "EVALUATING", CANCEL: "CANCELLED" },
  EVALUATING: { VALIDATION_PASSED: "PROMOTING", VALIDATION_FAILED: "FAILED", CANCEL: "CANCELLED" },
  PROMOTING: { PROMOTED: "ARTIFACT_SUCCESS", PROMOTION_FAILED: "FAILED", RECOVERY_NEEDED: "RECOVERY_PENDING" },
  CANCEL_REQUESTED: { CANCEL_CONFIRMED: "CANCELLED", RECOVERY_NEEDED: "RECOVERY_PENDING" },
  RECOVERY_PENDING: { ADOPT: "TRAINING_SUCCEEDED", DISCARD: "FAILED" },
  ARTIFACT_SUCCESS: { RERUN: "PENDING" },
  FAILED: { RERUN: "PENDING" },
  CANCELLED: { RERUN: "PENDING" },
};

function at(phase: RunPhase, context: PersistedRunSnapshot["context"] = { attempt: 1, attemptId: "abc-own-a1" }): PersistedRunSnapshot {
  return { machineVersion: RUN_MACHINE_VERSION, value: phase, context };
}

describe("run state machine", () => {
  test("starts in PENDING with attempt 0 and the current machine version", () => {
    const snapshot = initialRunSnapshot();
    assert.equal(snapshot.value, "PENDING");
    assert.equal(snapshot.context.attempt, 0);
    assert.equal(snapshot.machineVersion, RUN_MACHINE_VERSION);
  });

  for (const phase of RUN_PHASES) {
    for (const [type, event] of Object.entries(EVENTS) as [RunEventType, RunEvent][]) {
      const expected = ALLOWED[phase][type];
      test(`${phase} + ${type} -> ${expected ?? "refused"}`, () => {
        if (expected) {
          const result = applyRunEvent(at(phase), event);
          assert.equal(result.from, phase);
          assert.equal(result.to, expected);
          assert.equal(result.snapshot.value, expected);
        } else {
          assert.throws(() => applyRunEvent(at(phase), event), (error: unknown) => error instanceof IllegalRunEvent && error.phase === phase);
        }
      });
    }
  }

  test("ADMIT records the attempt number and id and clears an old failure", () => {
    const result = applyRunEvent(at("PENDING", { attempt: 1, reason: "lost", message: "gone" }), { type: "ADMIT", attempt: 2, attemptId: "x-a2" });
    assert.deepEqual(result.snapshot.context, { attempt: 2, attemptId: "x-a2" });
  });

  test("failures carry their typed reason and message", () => {
    assert.equal(applyRunEvent(at("RUNNING"), EVENTS.EXITED_FAILED).snapshot.context.reason, "nonzero_exit");
    assert.equal(applyRunEvent(at("ADMITTED"), EVENTS.LAUNCH_FAILED).snapshot.context.reason, "image_missing");
    const validation = applyRunEvent(at("EVALUATING"), EVENTS.VALIDATION_FAILED).snapshot.context;
    assert.equal(validation.reason, "validation_failed");
    assert.equal(validation.message, "row_count_mismatch");
    assert.equal(applyRunEvent(at("PROMOTING"), EVENTS.PROMOTION_FAILED).snapshot.context.reason, "promotion_failed");
    assert.equal(applyRunEvent(at("RECOVERY_PENDING"), EVENTS.DISCARD).snapshot.context.reason, "discarded");
    assert.equal(applyRunEvent(at("PENDING"), EVENTS.REFUSED).snapshot.context.reason, "unschedulable");
    assert.equal(applyRunEvent(at("CANCEL_REQUESTED"), EVENTS.CANCEL_CONFIRMED).snapshot.context.reason, "cancelled");
  });

  test("PROMOTED and REUSED record the artifact dir; RERUN clears the outcome but keeps the attempt count", () => {
    const promoted = applyRunEvent(at("PROMOTING"), EVENTS.PROMOTED).snapshot;
    assert.equal(promoted.context.artifactDir, "/store/artifacts/x");
    const rerun = applyRunEvent(promoted, EVENTS.RERUN).snapshot;
    assert.equal(rerun.value, "PENDING");
    assert.equal(rerun.context.artifactDir, undefined);
    assert.equal(rerun.context.attempt, 1);
    const reused = applyRunEvent(at("PENDING", { attempt: 0 }), EVENTS.REUSED).snapshot;
    assert.equal(reused.context.artifactDir, "/store/artifacts/x");
    assert.equal(reused.context.attemptId, "abc-own-a1");
  });

  test("a snapshot of another machine version is refused", () => {
    assert.throws(() => applyRunEvent({ ...at("PENDING"), machineVersion: RUN_MACHINE_VERSION + 1 }, EVENTS.ADMIT), /machine version/);
  });

  test("snapshots are plain JSON and survive a round trip", () => {
    let snapshot = initialRunSnapshot();
    for (const type of ["ADMIT", "STARTED", "EXITED_OK", "VALIDATE", "VALIDATION_PASSED", "PROMOTED"] as const) {
      snapshot = JSON.parse(JSON.stringify(applyRunEvent(snapshot, EVENTS[type]).snapshot)) as PersistedRunSnapshot;
    }
    assert.equal(snapshot.value, "ARTIFACT_SUCCESS");
  });
});

describe("journal replay and the machine agree", () => {
  test("a run just planned in the journal has the machine's initial snapshot", async () => {
    const { plannedRunSnapshot } = await import("../../../src/journal/run-records.js");
    assert.deepEqual(plannedRunSnapshot(), initialRunSnapshot());
  });
});
