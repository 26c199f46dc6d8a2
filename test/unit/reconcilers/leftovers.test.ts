import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { leftoverAttempts, type AttemptOwner } from "../../../reconcilers/leftovers.js";
import { RUN_PHASES, type RunPhase } from "../../../src/domain/run-states.js";
import type { AttemptState } from "../../../src/executors/executor.js";

const STATES: AttemptState[] = ["created", "running", "exited", "missing"];

function decide(state: AttemptState, owner: AttemptOwner | undefined, attemptId = "a1"): boolean {
  return leftoverAttempts([{ attemptId, state }], () => owner).includes(attemptId);
}

describe("leftover attempts", () => {
  test("the current attempt is released only once its run has moved past it (exit recorded)", () => {
    const released = RUN_PHASES.filter((phase) => decide("exited", { phase, attemptId: "a1" }));
    assert.deepEqual(released.sort(), (["ARTIFACT_SUCCESS", "CANCELLED", "EVALUATING", "FAILED", "PROMOTING", "TRAINING_SUCCEEDED"] as RunPhase[]).sort());
  });

  test("an earlier attempt of a run (a retry moved on) is released in any phase but RECOVERY_PENDING", () => {
    for (const phase of RUN_PHASES) assert.equal(decide("exited", { phase, attemptId: "a2" }), phase !== "RECOVERY_PENDING", phase);
  });

  test("a running container, one the engine no longer has, and one the journal does not know are never touched", () => {
    for (const phase of RUN_PHASES) {
      assert.equal(decide("running", { phase, attemptId: "a2" }), false);
      assert.equal(decide("missing", { phase, attemptId: "a2" }), false);
    }
    for (const state of STATES) assert.equal(decide(state, undefined), false);
  });

  test("a created-but-never-started container of a finished run is released too", () => {
    assert.equal(decide("created", { phase: "FAILED", attemptId: "a1" }), true);
    assert.equal(decide("created", { phase: "ADMITTED", attemptId: "a1" }), false);
  });
});
