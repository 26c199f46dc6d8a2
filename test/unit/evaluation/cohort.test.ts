/** Building a launch's cohort from its plan, and keeping it current from journal records. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { BenchmarkResource, RunSpec } from "../../../src/domain/resources.js";
import type { JournalRecord } from "../../../src/journal/records.js";
import { addMembers, applyCohortRecords, buildCohort, plannedMemberOf, type PlannedMember } from "../../../src/evaluation/cohort.js";
import { isLaunchId, newLaunchId } from "../../../src/evaluation/launch-id.js";
import { choosePreset } from "../../../src/evaluation/metrics-preset.js";

function spec(job: string, seed: number, over: Partial<RunSpec> = {}): RunSpec {
  return {
    benchmark: "demo", jobName: job, dataset: "pbmc", datasetPath: "/data/pbmc.h5mu", datasetFingerprint: "sha256:f", nObs: 700,
    model: job, modelVersion: "1.0.0", contractVersion: "1", image: { reference: "i", kind: "local_process", digest: "d" }, params: { k: 1 },
    paramsHash: "h", seed, preprocessing: {}, backend: "local", gpu: false, validators: "basic", strict: false, experimentName: "demo",
    layout: "store", retries: 0, batchKey: "gem_group", labelKey: "bulk_labels", ...over,
  };
}

const benchmark: BenchmarkResource = {
  apiVersion: "multiverse.io/v1alpha1", kind: "Benchmark", metadata: { name: "demo" },
  spec: { experimentName: "demo", metrics: ["fast"], jobs: [
    { name: "pca", dataset: "pbmc", model: "pca", params: {}, seeds: [0], metrics: ["silhouette_label"] },
    { name: "mofa", dataset: "pbmc", model: "mofa", params: {}, seeds: [0] },
  ] },
};

const planned = (runId: string, job: string, over: Partial<PlannedMember> = {}): PlannedMember => ({ runId, name: `${job}-${runId}`, spec: spec(job, 0), disposition: "new", attemptIds: [], bundleDir: null, ...over });

const header = { launchId: "20261201T112233Z-ab12cd", createdAt: "2026-12-01T11:22:33.000Z", source: "run" as const, benchmark, generation: null, manifest: "/m.yaml" };

test("launch ids sort by time and are unique by their random suffix", () => {
  const a = newLaunchId(new Date("2026-12-01T11:22:33.456Z"), () => "ab12cd");
  assert.equal(a, "20261201T112233Z-ab12cd");
  assert.ok(isLaunchId(a));
  assert.ok(newLaunchId(new Date("2026-12-01T11:22:34Z"), () => "000000") > a);
  assert.notEqual(newLaunchId(), newLaunchId());
  assert.equal(isLaunchId("../etc"), false);
});

test("every planned member is in the cohort with keys, dataset, disposition and requested metrics", () => {
  const cohort = buildCohort(header, [planned("r1", "pca", { disposition: "skipped", attemptIds: ["a0"], bundleDir: "/b/a0" }), planned("r2", "mofa", { spec: spec("mofa", 0, { batchKey: undefined }) })]);
  assert.equal(cohort.members.length, 2);
  const [pca, mofa] = cohort.members;
  assert.deepEqual({ id: pca?.member_id, d: pca?.disposition, a: pca?.attempt_ids, b: pca?.bundle_dir, bk: pca?.batch_key, lk: pca?.label_key, m: pca?.metrics, p: pca?.dataset_path },
    { id: "r1", d: "skipped", a: ["a0"], b: "/b/a0", bk: "gem_group", lk: "bulk_labels", m: ["silhouette_label"], p: "/data/pbmc.h5mu" });
  assert.equal(mofa?.batch_key, null, "a dataset that declares no batch key says so (null), nothing is invented");
  assert.deepEqual(mofa?.metrics, ["fast"], "a job without metrics takes globals.metrics");
  assert.deepEqual(cohort.requested_metrics, ["fast", "silhouette_label"]);
  assert.equal(cohort.metrics_preset, "fast");
});

test("journal records: launch intents add attempts, promotion and reuse set the bundle; unrelated records change nothing", () => {
  const cohort = buildCohort(header, [planned("r1", "pca"), planned("r2", "mofa")]);
  const base = { seq: 1, ts: "t" };
  const records: JournalRecord[] = [
    { ...base, type: "LAUNCH_INTENT", runId: "r1", attemptId: "a1", attempt: 1, executor: "local", handle: "mv-a1", workspaceDir: "/w" },
    { ...base, type: "LAUNCH_INTENT", runId: "r1", attemptId: "a1", attempt: 1, executor: "local", handle: "mv-a1", workspaceDir: "/w" },
    { ...base, type: "LAUNCH_INTENT", runId: "r1", attemptId: "a2", attempt: 2, executor: "local", handle: "mv-a2", workspaceDir: "/w" },
    { ...base, type: "PROMOTED", runId: "r1", attemptId: "a2", artifactDir: "/b/a2", manifestSha256: "x" },
    { ...base, type: "RUN_REUSED", runId: "r2", attemptId: "z9", artifactDir: "/b/z9" },
  ];
  const next = applyCohortRecords(cohort, records);
  assert.deepEqual(next.members.map((m) => [m.attempt_ids, m.bundle_dir]), [[["a1", "a2"], "/b/a2"], [["z9"], "/b/z9"]]);
  assert.deepEqual(cohort.members[0]?.attempt_ids, [], "the earlier cohort is not changed in place");
  const other: JournalRecord[] = [{ ...base, type: "LAUNCH_INTENT", runId: "elsewhere", attemptId: "q", attempt: 1, executor: "local", handle: "h", workspaceDir: "/w" }];
  assert.equal(applyCohortRecords(next, other), next, "nothing of the cohort changed: the same object (no rewrite)");
});

test("members planned later (sweep trials) are added once", () => {
  const cohort = buildCohort(header, [planned("r1", "pca")]);
  const more = addMembers(cohort, benchmark, [planned("r1", "pca"), planned("t1", "pca", { disposition: "trial" })]);
  assert.deepEqual(more.members.map((m) => m.member_id), ["r1", "t1"]);
  assert.equal(addMembers(more, benchmark, [planned("t1", "pca")]), more);
});

test("plannedMemberOf: a skipped entry's completing attempt and bundle; a succeeded run's bundle", () => {
  const record = { spec: spec("pca", 0), launched: new Set(["a1"]), snapshot: { value: "ARTIFACT_SUCCESS", context: { artifactDir: "/b/a1" } } };
  assert.deepEqual(plannedMemberOf({ runId: "r", name: "n", disposition: "skipped", completedBy: { attemptId: "a0", artifactDir: "/b/a0" } }, record), { runId: "r", name: "n", spec: record.spec, disposition: "skipped", attemptIds: ["a1", "a0"], bundleDir: "/b/a0" });
  assert.equal(plannedMemberOf({ runId: "r", name: "n", disposition: "resume" }, { ...record, snapshot: { value: "RUNNING", context: {} } }).bundleDir, null);
});

test("preset: the flag, else the Benchmark's evaluation.metrics, else one named in metrics, else default", () => {
  assert.equal(choosePreset("all", "fast", ["default"]), "all");
  assert.equal(choosePreset(undefined, "fast", ["all"]), "fast");
  assert.equal(choosePreset(undefined, undefined, ["silhouette_label", "all"]), "all");
  assert.equal(choosePreset(undefined, undefined, ["silhouette_label"]), "default");
});

describe("cohort files on disk", () => {
  test("bundles inside the output are written relative to it and read back absolute; others stay as they are", async () => {
    const { cohortForDisk, cohortFromDisk } = await import("../../../src/evaluation/launch-store.js");
    const member = (bundle: string | null) => ({ member_id: "m", run_id: "m", name: "m", job: "j", model: "pca", model_version: "1", seed: 0, params: {}, dataset: "d", dataset_path: "/data/d.h5mu", dataset_fingerprint: "f", batch_key: null, label_key: null, disposition: "new", attempt_ids: [], bundle_dir: bundle, metrics: [] });
    const cohort = { schema_version: 1 as const, launch_id: "20261201T000000Z-000000", created_at: "", source: "run" as const, benchmark: "b", generation: null, manifest: null, metrics_preset: "default" as const, requested_metrics: [], members: [member("/out/store/artifacts/x-a1"), member("/elsewhere/y"), member(null)] };
    const disk = cohortForDisk("/out", cohort);
    assert.deepEqual(disk.members.map((m) => m.bundle_dir), ["store/artifacts/x-a1", "/elsewhere/y", null]);
    assert.deepEqual(cohortFromDisk("/moved", disk).members.map((m) => m.bundle_dir), ["/moved/store/artifacts/x-a1", "/elsewhere/y", null], "a moved output names its own bundles");
    // the simple layout: the state root is <output>/.multiverse, bundles are <output>/<job>/
    const simple = cohortForDisk("/o/.multiverse", { ...cohort, members: [member("/o/job-a")] });
    assert.deepEqual(simple.members.map((m) => m.bundle_dir), ["job-a"]);
    assert.deepEqual(cohortFromDisk("/p/.multiverse", simple).members.map((m) => m.bundle_dir), ["/p/job-a"]);
  });
});
