/** The Evaluation controller with in-memory runs and status: waits for terminal runs, evaluates once per generation. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchmarkResource, Condition, RunSpec } from "../../../src/domain/resources.js";
import type { RunPhase } from "../../../src/domain/run-states.js";
import { newRunRecord, type RunRecord } from "../../../src/journal/run-records.js";
import type { BenchmarkStatusUpdate } from "../../../src/status/status-sink.js";
import type { KnownBenchmark } from "../../../reconcilers/benchmark-reconciler.js";
import { EvaluationController } from "../../../controllers/evaluation-controller.js";
import { listLaunches, readCohort } from "../../../src/evaluation/launch-store.js";

const spec = { benchmark: "b", jobName: "pca", dataset: "d", datasetPath: "/d.h5mu", datasetFingerprint: "sha256:f", nObs: 1, model: "pca", modelVersion: "1", contractVersion: "1", image: { reference: "i", kind: "local_process", digest: "x" }, params: {}, paramsHash: "h", seed: 0, preprocessing: {}, backend: "local", gpu: false, validators: "basic", strict: false, experimentName: "b", layout: "store", retries: 0, batchKey: "batch" } satisfies RunSpec;
const benchmark: BenchmarkResource = { apiVersion: "multiverse.io/v1alpha1", kind: "Benchmark", metadata: { name: "b" }, spec: { experimentName: "b", evaluation: { enabled: true }, jobs: [{ name: "pca", dataset: "d", model: "pca", params: {}, seeds: [0] }] } };

function run(id: string, phase: RunPhase): RunRecord {
  const record = newRunRecord(id, `pca-${id}`, spec);
  record.snapshot = { ...record.snapshot, value: phase };
  return record;
}

function setup() {
  const stateRoot = mkdtempSync(join(tmpdir(), "mv-evalctl-"));
  const runs = new Map<string, RunRecord>([["r1", run("r1", "RUNNING")], ["r2", run("r2", "ARTIFACT_SUCCESS")]]);
  const known: KnownBenchmark = { generation: 1, specHash: "s", deleted: false, observedGeneration: 1, conditions: [{ type: "Ready", status: "False", reason: "Progressing", message: "", lastTransitionTime: "t0", observedGeneration: 1 }], runIds: ["r1", "r2"] };
  const updates: BenchmarkStatusUpdate[] = [];
  const evaluated: string[] = [];
  let clock = 0;
  const controller = new EvaluationController({
    stateRoot,
    runs: { all: () => [...runs.values()], get: (id) => runs.get(id) },
    benchmarks: { knownBenchmark: () => known },
    status: { benchmarkStatus: (u) => { updates.push(u); known.conditions = u.conditions; }, runStatus: () => undefined },
    evaluate: async (launchId) => {
      evaluated.push(launchId);
      return { status: "done", statuses: { done: 2 } };
    },
    summaryOf: () => undefined,
    clock: () => new Date(Date.UTC(2026, 11, 1, 12, 0, clock++)),
  });
  controller.setDesired({ revision: 1, resources: [{ kind: "Benchmark", name: "b", resource: benchmark, specHash: "s", origin: { kind: "file", file: "/b.yaml", line: 1 }, stale: false }], problems: [] });
  return { stateRoot, runs, known, updates, evaluated, controller, cleanup: () => rmSync(stateRoot, { recursive: true, force: true }) };
}

const evaluatedOf = (conditions: readonly Condition[]) => conditions.find((c) => c.type === "Evaluated");

test("waits while a run is not terminal, then evaluates the generation's launch once; other conditions are kept", async () => {
  const s = setup();
  try {
    await s.controller.reconcile("b");
    assert.deepEqual(s.evaluated, []);
    assert.deepEqual([evaluatedOf(s.known.conditions)?.status, evaluatedOf(s.known.conditions)?.reason, evaluatedOf(s.known.conditions)?.message], ["False", "WaitingForRuns", "1/2 runs of this generation are terminal"]);
    const launches = listLaunches(s.stateRoot);
    assert.equal(launches.length, 1, "the generation's cohort is written when it is first seen");
    const cohort = readCohort(s.stateRoot, launches[0]!);
    assert.deepEqual([cohort.source, cohort.generation, cohort.members.map((m) => m.member_id)], ["controller", 1, ["r1", "r2"]]);
    const writes = s.updates.length;
    await s.controller.reconcile("b");
    assert.equal(s.updates.length, writes, "an unchanged condition is not written again");

    s.runs.set("r1", run("r1", "FAILED"));
    await s.controller.reconcile("b");
    assert.deepEqual(s.evaluated, launches);
    const condition = evaluatedOf(s.known.conditions);
    assert.deepEqual([condition?.status, condition?.reason, condition?.observedGeneration], ["True", "Evaluated", 1]);
    assert.match(condition?.message ?? "", /2 done/);
    assert.ok(s.known.conditions.some((c) => c.type === "Ready"));
    await s.controller.reconcile("b");
    assert.equal(s.evaluated.length, 1, "a generation is evaluated once");
  } finally {
    s.cleanup();
  }
});

test("an evaluation that cannot start is EvaluationFailed with the reason and tried again later", async () => {
  const s = setup();
  try {
    s.runs.set("r1", run("r1", "ARTIFACT_SUCCESS"));
    const failing = new EvaluationController({
      stateRoot: s.stateRoot,
      runs: { all: () => [...s.runs.values()], get: (id) => s.runs.get(id) },
      benchmarks: { knownBenchmark: () => s.known },
      status: { benchmarkStatus: (u) => void (s.known.conditions = u.conditions), runStatus: () => undefined },
      evaluate: async () => Promise.reject(new Error("the evaluator's environment does not exist")),
      summaryOf: () => undefined,
      retryAfterMs: 1234,
    });
    failing.setDesired({ revision: 1, resources: [{ kind: "Benchmark", name: "b", resource: benchmark, specHash: "s", origin: { kind: "file", file: "/b.yaml", line: 1 }, stale: false }], problems: [] });
    assert.deepEqual(await failing.reconcile("b"), { requeueAfterMs: 1234 });
    const condition = evaluatedOf(s.known.conditions);
    assert.deepEqual([condition?.status, condition?.reason], ["False", "EvaluationFailed"]);
    assert.match(condition?.message ?? "", /environment does not exist/);
  } finally {
    s.cleanup();
  }
});

test("a Benchmark without evaluation enabled is left alone", async () => {
  const s = setup();
  try {
    s.controller.setDesired({ revision: 2, resources: [{ kind: "Benchmark", name: "b", resource: { ...benchmark, spec: { ...benchmark.spec, evaluation: { enabled: false } } }, specHash: "s2", origin: { kind: "file", file: "/b.yaml", line: 1 }, stale: false }], problems: [] });
    await s.controller.reconcile("b");
    assert.deepEqual([s.updates.length, listLaunches(s.stateRoot).length], [0, 0]);
  } finally {
    s.cleanup();
  }
});
