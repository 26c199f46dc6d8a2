import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { JournalRecord, TrackingProjectionRecord } from "../../../src/journal/records.js";
import { describeProjection, foldProjectionStates } from "../../../src/tracking/projection-state.js";

let seq = 0;
function record(attemptId: string, state: TrackingProjectionRecord["state"], extra: Partial<TrackingProjectionRecord> = {}): JournalRecord {
  seq += 1;
  return { type: "TRACKING_PROJECTION", seq, ts: `2026-01-01T00:00:0${seq}Z`, runId: "run1", attemptId, target: "mlflow", state, trackingUri: "http://h:1", experimentName: "e", ...extra };
}

describe("projection state from the journal", () => {
  test("latest state per attempt; MLflow ids learnt earlier are kept", () => {
    const states = foldProjectionStates([
      record("a1", "pending", { mlflowRunId: "m1", experimentId: "1", message: "opened" }),
      record("a1", "pending", { message: "unreachable" }),
      record("a2", "failed", { message: "refused" }),
      { ...record("a3", "synced"), runId: "other" } as JournalRecord,
      record("a1", "synced", { message: "created" }),
    ], "run1");
    assert.deepEqual([...states.keys()], ["a1", "a2"]);
    const a1 = states.get("a1")!;
    assert.equal(a1.state, "synced");
    assert.equal(a1.mlflowRunId, "m1");
    assert.equal(a1.experimentId, "1");
    assert.match(describeProjection(a1), /^synced: created \(MLflow run m1, experiment "e" at http:\/\/h:1\)$/);
    assert.match(describeProjection(states.get("a2")!), /^failed: refused \(no MLflow run yet/);
  });
});
