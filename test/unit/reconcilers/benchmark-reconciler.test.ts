import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mergeConditions, reconcileBenchmark, type DeclaredBenchmark, type KnownBenchmark } from "../../../reconcilers/benchmark-reconciler.js";
import { RUN_PHASES, isTerminal, type RunPhase } from "../../../src/domain/run-states.js";

const NOW = "2026-11-24T10:00:00.000Z";
const declared = (over: Partial<DeclaredBenchmark> = {}): DeclaredBenchmark => ({ specHash: "h1", origin: { kind: "file", file: "/w/b.yaml", line: 1 }, jobs: 2, stale: false, sourceProblems: [], ...over });
const known = (over: Partial<KnownBenchmark> = {}): KnownBenchmark => ({ generation: 1, specHash: "h1", deleted: false, observedGeneration: 1, conditions: [], runIds: ["r1", "r2"], ...over });
const condition = (conditions: { type: string; status: string; reason: string; message?: string }[], type: string) => conditions.find((c) => c.type === type);

describe("reconcileBenchmark: generations", () => {
  test("a first declaration is generation 1, journaled before its status, and applies the plan", () => {
    const d = reconcileBenchmark({ name: "b", declared: declared(), plan: { ok: true, runIds: ["r1", "r2"] }, runs: [], now: NOW });
    assert.deepEqual(d.records.map((r) => r.type), ["BENCHMARK_APPLIED", "BENCHMARK_STATUS"]);
    assert.equal(d.generation, 1);
    assert.deepEqual(d.applyRunIds, ["r1", "r2"]);
    assert.deepEqual(d.cancelRunIds, []);
    const status = d.records[1];
    assert.ok(status?.type === "BENCHMARK_STATUS");
    assert.equal(status.observedGeneration, 1);
    assert.ok(status.conditions.every((c) => c.observedGeneration === 1 && c.lastTransitionTime === NOW));
  });

  test("the same spec again is the same generation and, with nothing changed, writes nothing", () => {
    const first = reconcileBenchmark({ name: "b", declared: declared(), plan: { ok: true, runIds: ["r1"] }, runs: [{ runId: "r1", phase: "RUNNING" }], now: NOW });
    const status = first.records.find((r) => r.type === "BENCHMARK_STATUS");
    assert.ok(status?.type === "BENCHMARK_STATUS");
    const again = reconcileBenchmark({
      name: "b",
      declared: declared(),
      known: known({ conditions: status.conditions, runIds: ["r1"] }),
      plan: { ok: true, runIds: ["r1"] },
      runs: [{ runId: "r1", phase: "RUNNING" }],
      now: "2026-11-24T11:00:00.000Z",
    });
    assert.deepEqual(again.records, []);
    assert.equal(again.generation, 1);
  });

  test("a changed spec is a new generation; runs it no longer asks for are cancelled unless terminal", () => {
    const d = reconcileBenchmark({
      name: "b",
      declared: declared({ specHash: "h2" }),
      known: known(),
      plan: { ok: true, runIds: ["r1", "r3"] },
      runs: [
        { runId: "r1", phase: "RUNNING" },
        { runId: "r2", phase: "RUNNING" },
        { runId: "r0", phase: "ARTIFACT_SUCCESS" },
      ],
      now: NOW,
    });
    assert.equal(d.generation, 2);
    assert.equal(d.records[0]?.type, "BENCHMARK_APPLIED");
    assert.deepEqual(d.cancelRunIds, ["r2"]);
    assert.deepEqual(d.applyRunIds, ["r1", "r3"]);
    assert.match(condition(d.conditions, "Progressing")!.reason, /RunsInProgress/);
  });

  test("sweeps still asking for trials keep the benchmark Progressing and not Ready, even when every run so far is terminal", () => {
    const runs = [{ runId: "r1", phase: "ARTIFACT_SUCCESS" as RunPhase }, { runId: "t1", phase: "ARTIFACT_SUCCESS" as RunPhase }];
    const busy = reconcileBenchmark({ name: "b", declared: declared(), plan: { ok: true, runIds: ["r1", "t1"] }, runs, sweepsInProgress: 1, now: NOW });
    assert.deepEqual(condition(busy.conditions, "Ready"), { ...condition(busy.conditions, "Ready"), status: "False", reason: "SweepsInProgress" });
    assert.equal(condition(busy.conditions, "Progressing")?.status, "True");
    assert.match(condition(busy.conditions, "Progressing")!.message ?? "", /2 of 2 runs terminal .*; 1 sweeps asking for trials/);
    assert.deepEqual(busy.cancelRunIds, [], "trial runs handed in with the plan are wanted");
    const done = reconcileBenchmark({ name: "b", declared: declared(), plan: { ok: true, runIds: ["r1", "t1"] }, runs, sweepsInProgress: 0, now: NOW });
    assert.equal(condition(done.conditions, "Ready")?.reason, "AllRunsSucceeded");
    const running = reconcileBenchmark({ name: "b", declared: declared(), plan: { ok: true, runIds: ["r1", "t1"] }, runs: [runs[0]!, { runId: "t1", phase: "RUNNING" }], sweepsInProgress: 1, now: NOW });
    assert.equal(condition(running.conditions, "Ready")?.reason, "RunsInProgress", "running runs are the more specific reason");
    const failed = reconcileBenchmark({ name: "b", declared: declared(), plan: { ok: true, runIds: ["r1"] }, runs: [runs[0]!], sweepErrors: ["study s: the study could not be opened"], now: NOW });
    assert.equal(condition(failed.conditions, "Ready")?.reason, "SweepFailed");
    assert.match(condition(failed.conditions, "Ready")?.message ?? "", /study s: the study could not be opened/);
  });

  test("a deleted benchmark cancels its non-terminal runs, keeps terminal ones, and is not deleted twice", () => {
    const runs = RUN_PHASES.map((phase, i) => ({ runId: `r${i}`, phase }));
    const d = reconcileBenchmark({ name: "b", known: known(), runs, now: NOW });
    assert.deepEqual(d.records.map((r) => r.type), ["BENCHMARK_DELETED", "BENCHMARK_STATUS"]);
    assert.equal(d.generation, 2);
    assert.deepEqual(d.cancelRunIds, runs.filter((r) => !isTerminal(r.phase)).map((r) => r.runId));
    assert.equal(condition(d.conditions, "Ready")!.reason, "Deleted");
    const again = reconcileBenchmark({ name: "b", known: known({ deleted: true, generation: 2 }), runs, now: NOW });
    assert.deepEqual(again.records, []);
    assert.deepEqual(again.cancelRunIds, []);
  });

  test("an unknown, undeclared benchmark is nothing", () => {
    assert.deepEqual(reconcileBenchmark({ name: "b", runs: [], now: NOW }), { records: [], applyRunIds: [], cancelRunIds: [], generation: 0, conditions: [] });
  });

  test("declared again after deletion is a new generation", () => {
    const d = reconcileBenchmark({ name: "b", declared: declared(), known: known({ deleted: true, generation: 2 }), plan: { ok: true, runIds: ["r1"] }, runs: [], now: NOW });
    assert.equal(d.generation, 3);
    assert.equal(d.records[0]?.type, "BENCHMARK_APPLIED");
  });
});

describe("reconcileBenchmark: plans that fail and broken sources", () => {
  test("a spec that cannot be planned cancels nothing and says why", () => {
    const d = reconcileBenchmark({
      name: "b",
      declared: declared({ specHash: "h2" }),
      known: known(),
      plan: { ok: false, message: "dataset nope is not registered" },
      runs: [{ runId: "r1", phase: "RUNNING" }],
      now: NOW,
    });
    assert.deepEqual(d.cancelRunIds, []);
    assert.deepEqual(d.applyRunIds, []);
    const planned = condition(d.conditions, "Planned")!;
    assert.equal(planned.status, "False");
    assert.equal(planned.reason, "PlanFailed");
    assert.match((d.conditions.find((c) => c.type === "Planned")!).message, /dataset nope/);
  });

  test("a stale declaration (its file is broken) keeps running and reports SourceError with the problem", () => {
    const d = reconcileBenchmark({
      name: "b",
      declared: declared({ stale: true, sourceProblems: ["line 4: unknown field jbos"] }),
      known: known(),
      plan: { ok: true, runIds: ["r1", "r2"] },
      runs: [{ runId: "r1", phase: "RUNNING" }, { runId: "r2", phase: "PENDING" }],
      now: NOW,
    });
    assert.deepEqual(d.cancelRunIds, []);
    const source = d.conditions.find((c) => c.type === "SourceValid")!;
    assert.equal(source.status, "False");
    assert.equal(source.reason, "SourceError");
    assert.match(source.message, /unknown field jbos/);
  });
});

describe("reconcileBenchmark: Ready for every combination of two run phases", () => {
  for (const a of RUN_PHASES) {
    for (const b of RUN_PHASES) {
      test(`${a} + ${b}`, () => {
        const runs: { runId: string; phase: RunPhase }[] = [{ runId: "r1", phase: a }, { runId: "r2", phase: b }];
        const d = reconcileBenchmark({ name: "b", declared: declared(), known: known(), plan: { ok: true, runIds: ["r1", "r2"] }, runs, now: NOW });
        const ready = d.conditions.find((c) => c.type === "Ready")!;
        const progressing = d.conditions.find((c) => c.type === "Progressing")!;
        const allTerminal = isTerminal(a) && isTerminal(b);
        assert.equal(ready.status, a === "ARTIFACT_SUCCESS" && b === "ARTIFACT_SUCCESS" ? "True" : "False");
        assert.equal(progressing.status, allTerminal ? "False" : "True");
        if (allTerminal && ready.status === "False") assert.ok(["RunsFailed", "RunsCancelled"].includes(ready.reason));
        if (a === "RECOVERY_PENDING" || b === "RECOVERY_PENDING") assert.equal(ready.reason, "RecoveryPending");
        assert.match(ready.message, new RegExp(`${[a, b].filter(isTerminal).length} of 2 runs terminal`));
      });
    }
  }
});

describe("mergeConditions", () => {
  test("lastTransitionTime moves only when the status changes", () => {
    const before = [{ type: "Ready", status: "False" as const, reason: "RunsInProgress", message: "0 of 1", lastTransitionTime: "T0", observedGeneration: 1 }];
    const same = mergeConditions(before, [{ type: "Ready", status: "False", reason: "RunsInProgress", message: "still" }], "T1", 1);
    assert.equal(same[0]!.lastTransitionTime, "T0");
    const flipped = mergeConditions(before, [{ type: "Ready", status: "True", reason: "AllRunsSucceeded", message: "1 of 1" }], "T2", 2);
    assert.equal(flipped[0]!.lastTransitionTime, "T2");
    assert.equal(flipped[0]!.observedGeneration, 2);
  });
});

describe("reconcileBenchmark: a Kubernetes object multiverse's validation refuses", () => {
  const kubernetes = { kind: "kubernetes" as const, namespace: "ns", name: "b", uid: "u1", resourceVersion: "9", generation: 3 };
  test("a plan failing on the spec (hyperparameters, unknown dataset, modalities) is SourceValid=False with the field path", () => {
    for (const code of ["MV_HYPERPARAMETERS", "MV_UNKNOWN_DATASET", "MV_MODALITIES", "MV_UNKNOWN_MODEL", "MV_SCHEMA"]) {
      const d = reconcileBenchmark({ name: "b", declared: declared({ origin: kubernetes, generation: 3 }), plan: { ok: false, message: "n_latent: expected integer", code, field: "spec.jobs[0].params.n_latent" }, runs: [], now: NOW });
      const source = condition(d.conditions, "SourceValid")!;
      assert.equal(source.status, "False", code);
      assert.equal(source.reason, "InvalidSpec");
      assert.equal(source.message, "spec.jobs[0].params.n_latent: n_latent: expected integer");
      assert.equal(condition(d.conditions, "Planned")!.reason, "PlanFailed");
      assert.deepEqual(d.cancelRunIds, []);
    }
  });

  test("a plan failing on the machine (an image missing) leaves SourceValid True; files keep SourceValid True", () => {
    const machine = reconcileBenchmark({ name: "b", declared: declared({ origin: kubernetes, generation: 3 }), plan: { ok: false, message: "no image", code: "MV_ENGINE_UNAVAILABLE" }, runs: [], now: NOW });
    assert.equal(condition(machine.conditions, "SourceValid")!.status, "True");
    const file = reconcileBenchmark({ name: "b", declared: declared(), plan: { ok: false, message: "bad", code: "MV_HYPERPARAMETERS", field: "spec.jobs[0].params.x" }, runs: [], now: NOW });
    assert.equal(condition(file.conditions, "SourceValid")!.status, "True");
  });
});
