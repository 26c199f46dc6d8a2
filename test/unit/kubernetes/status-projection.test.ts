import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { applyRunRecord, runObject, runResourceName, runStatusObject, type RunView } from "../../../src/status/kubernetes/run-projection.js";
import { benchmarkStatusObject, runCounts, sourceValidCondition } from "../../../src/status/kubernetes/benchmark-status.js";
import type { JournalRecord } from "../../../src/journal/records.js";
import type { Condition, RunSpec } from "../../../src/domain/resources.js";

const spec: RunSpec = {
  benchmark: "demo", jobName: "pca", dataset: "pbmc", datasetPath: "/d.h5mu", datasetFingerprint: "sha256:0", nObs: 10, model: "pca", modelVersion: "1",
  contractVersion: "1", image: { reference: "pca:1", kind: "local_process", digest: "d" }, params: {}, paramsHash: "p", seed: 0, preprocessing: {},
  backend: "local", gpu: false, validators: "basic", strict: false, experimentName: "demo", layout: "store", retries: 0,
};
let seq = 0;
const base = () => ({ seq: ++seq, ts: "2026-01-01T00:00:00.000Z" });
const RUN = "0123456789abcdef01234567";

function fold(records: JournalRecord[]): Map<string, RunView> {
  const views = new Map<string, RunView>();
  for (const r of records) applyRunRecord(views, r);
  return views;
}

describe("Run projection from the journal", () => {
  test("planned, admitted, promoted: phase, attempt, attemptId, bundle path and manifest checksum", () => {
    const views = fold([
      { ...base(), type: "RUN_PLANNED", runId: RUN, name: "pca-s0-01234567", spec },
      { ...base(), type: "RUN_TRANSITION", runId: RUN, event: "ADMIT", from: "PENDING", to: "ADMITTED", snapshot: { machineVersion: 1, value: "ADMITTED", context: { attempt: 1, attemptId: "a1" } } },
      { ...base(), type: "PROMOTED", runId: RUN, attemptId: "a1", artifactDir: "/store/b1", manifestSha256: "f00d" },
      { ...base(), type: "RUN_TRANSITION", runId: RUN, event: "PROMOTED", from: "PROMOTING", to: "ARTIFACT_SUCCESS", snapshot: { machineVersion: 1, value: "ARTIFACT_SUCCESS", context: { attempt: 1, attemptId: "a1", artifactDir: "/store/b1" } } },
    ]);
    const view = views.get(RUN)!;
    assert.equal(view.phase, "ARTIFACT_SUCCESS");
    assert.equal(view.attempt, 1);
    assert.equal(view.attemptId, "a1");
    assert.equal(view.artifactDir, "/store/b1");
    assert.equal(view.manifestSha256, "f00d");
    const status = runStatusObject(view, { namespace: "ns", name: "demo", uid: "u1" }).status as Record<string, unknown>;
    assert.deepEqual(status, { phase: "ARTIFACT_SUCCESS", attempt: 1, logicalRunId: RUN, attemptId: "a1", artifactDir: "/store/b1", bundlePath: "/store/b1", manifestSha256: "f00d" });
  });

  test("a failed retry clears nothing it should not: reason and message come from the snapshot", () => {
    const views = fold([
      { ...base(), type: "RUN_PLANNED", runId: RUN, name: "n", spec },
      { ...base(), type: "RUN_TRANSITION", runId: RUN, event: "EXITED_FAILED", from: "RUNNING", to: "FAILED", reason: "oom_killed", snapshot: { machineVersion: 1, value: "FAILED", context: { attempt: 2, attemptId: "a2", reason: "oom_killed", message: "killed" } } },
    ]);
    assert.deepEqual({ ...views.get(RUN)!, spec: undefined }, { runId: RUN, name: "n", benchmark: "demo", spec: undefined, phase: "FAILED", attempt: 2, attemptId: "a2", reason: "oom_killed", message: "killed" });
  });

  test("records of runs never planned change nothing", () => {
    const views = new Map<string, RunView>();
    assert.equal(applyRunRecord(views, { ...base(), type: "PROMOTED", runId: "x", attemptId: "a", artifactDir: "/d", manifestSha256: "s" }), undefined);
    assert.equal(views.size, 0);
  });

  test("the Run object: deterministic name, labels, controller owner reference, spec with the logical id", () => {
    const views = fold([{ ...base(), type: "RUN_PLANNED", runId: RUN, name: "n", spec }]);
    const object = runObject(views.get(RUN)!, { namespace: "ns", name: "demo", uid: "u1" });
    assert.equal(object.metadata.name, `demo-${RUN}`);
    assert.equal(object.metadata.namespace, "ns");
    assert.deepEqual(object.metadata.labels, { "multiverse.io/benchmark": "demo", "multiverse.io/run-id": RUN, "app.kubernetes.io/managed-by": "multiverse" });
    assert.deepEqual(object.metadata.ownerReferences, [{ apiVersion: "multiverse.io/v1alpha1", kind: "Benchmark", name: "demo", uid: "u1", controller: true, blockOwnerDeletion: true }]);
    assert.equal((object.spec as { logicalId: string }).logicalId, RUN);
  });

  test("run names stay valid object names for the longest Benchmark names, and distinct", () => {
    const long = "b".repeat(253);
    const a = runResourceName(long, RUN);
    const b = runResourceName(`${"b".repeat(252)}c`, RUN);
    assert.ok(a.length <= 253 && b.length <= 253);
    assert.notEqual(a, b);
    assert.match(a, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    assert.ok(a.endsWith(`-${RUN}`));
  });
});

describe("Benchmark status projection", () => {
  const now = "2026-01-01T00:00:00.000Z";
  const journalConditions: Condition[] = [
    { type: "SourceValid", status: "True", reason: "Parsed", message: "declared", lastTransitionTime: now, observedGeneration: 5 },
    { type: "Ready", status: "False", reason: "RunsInProgress", message: "1 of 2", lastTransitionTime: now, observedGeneration: 5 },
  ];

  test("conditions carry the object's own generation; counts and totals from the planned runs", () => {
    const counts = runCounts(["a", "b", "c"], (id) => (id === "a" ? "ARTIFACT_SUCCESS" : id === "b" ? "FAILED" : undefined));
    assert.deepEqual(counts, { total: 3, pending: 1, running: 0, succeeded: 1, failed: 1, cancelled: 0, skipped: 0 });
    const body = benchmarkStatusObject({ namespace: "ns", name: "demo" }, { name: "demo", namespace: "ns", uid: "u", objectGeneration: 2, deleted: false, conditions: journalConditions, runIds: ["a", "b", "c"] }, undefined, counts);
    const status = body.status as { observedGeneration: number; conditions: Condition[]; runs: Record<string, number> };
    assert.equal(status.observedGeneration, 2);
    assert.ok(status.conditions.every((c) => c.observedGeneration === 2));
    assert.deepEqual(status.runs, counts);
  });

  const none = runCounts([], () => undefined);

  test("every phase falls in one group; unknown runs are pending", () => {
    const phases = ["PENDING", "ADMITTED", "RUNNING", "TRAINING_SUCCEEDED", "EVALUATING", "PROMOTING", "ARTIFACT_SUCCESS", "FAILED", "CANCEL_REQUESTED", "CANCELLED", "RECOVERY_PENDING"] as const;
    const counts = runCounts(phases.map((_, i) => String(i)), (id) => phases[Number(id)]);
    assert.deepEqual(counts, { total: 11, pending: 2, running: 6, succeeded: 1, failed: 1, cancelled: 1, skipped: 0 });
  });

  test("a refused object overrides the journal's SourceValid; a valid verdict does not hide a journaled problem", () => {
    const refused = sourceValidCondition({ kind: "Benchmark", namespace: "ns", name: "demo", uid: "u", generation: 3, problem: { code: "MV_SCHEMA", field: "spec.jobs[0].params.n", message: "expected integer" } }, now);
    assert.deepEqual(refused, { type: "SourceValid", status: "False", reason: "InvalidSpec", message: "spec.jobs[0].params.n: expected integer", lastTransitionTime: now, observedGeneration: 3 });
    const journaled = { name: "demo", namespace: "ns", uid: "u", objectGeneration: 2, deleted: false, conditions: journalConditions, runIds: [] };
    const withRefusal = (benchmarkStatusObject({ namespace: "ns", name: "demo" }, journaled, refused, none).status as { conditions: Condition[] }).conditions;
    assert.equal(withRefusal.find((c) => c.type === "SourceValid")!.status, "False");
    assert.equal(withRefusal.length, 2);
    const staleJournal = { ...journaled, conditions: [{ ...journalConditions[0]!, status: "False" as const, reason: "SourceError" }] };
    const valid = sourceValidCondition({ kind: "Benchmark", namespace: "ns", name: "demo", uid: "u", generation: 3 }, now);
    const kept = (benchmarkStatusObject({ namespace: "ns", name: "demo" }, staleJournal, valid, none).status as { conditions: Condition[] }).conditions;
    assert.equal(kept[0]!.reason, "SourceError");
  });

  test("an object the journal does not know yet has its verdict alone and no observedGeneration", () => {
    const verdict = sourceValidCondition({ kind: "Benchmark", namespace: "ns", name: "new", uid: "u", generation: 1 }, now);
    const status = benchmarkStatusObject({ namespace: "ns", name: "new" }, undefined, verdict, none).status as Record<string, unknown>;
    assert.deepEqual(status, { conditions: [verdict], runs: none });
  });
});
