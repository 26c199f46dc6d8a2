/** The trimmed eval_config.json: ready members only (with their checksums), every other one with its verdict; mounts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { CohortMember } from "../../../src/evaluation/cohort.js";
import { buildEvalConfig, type AssessedMember } from "../../../src/evaluation/eval-config.js";
import { hostMemberEvaluation } from "../../../src/evaluation/member-files.js";
import type { Readiness } from "../../../src/evaluation/readiness.js";

function member(id: string, dataset: string, over: Partial<CohortMember> = {}): CohortMember {
  return {
    member_id: id, run_id: id, name: `n-${id}`, job: "pca", model: "pca", model_version: "1.0.0", seed: 0, params: { k: 1 }, dataset,
    dataset_path: `/host/${dataset}.h5mu`, dataset_fingerprint: `sha256:${dataset}`, batch_key: "gem_group", label_key: null,
    disposition: "new", attempt_ids: [`${id}-a1`, `${id}-a2`], bundle_dir: `/host/bundles/${id}-a2`, metrics: [], ...over,
  };
}

const ready = (id: string): Readiness => ({ status: "ready", reason: null, bundleDir: `/host/bundles/${id}-a2`, manifestSha256: `m-${id}`, embeddingSha256: `e-${id}` });
const failed: Readiness = { status: "training_failed", reason: "oom_killed", bundleDir: null, manifestSha256: null, embeddingSha256: null };

test("ready members carry container paths and checksums; not-ready ones their verdict; datasets grouped and sorted", () => {
  const assessed: AssessedMember[] = [
    { member: member("b", "pbmc"), readiness: ready("b") },
    { member: member("a", "pbmc"), readiness: ready("a") },
    { member: member("c", "pbmc", { model: "mofa", seed: 1 }), readiness: failed },
    { member: member("d", "other"), readiness: { ...failed, status: "missing_dataset", reason: "gone" } },
  ];
  const { config, mounts } = buildEvalConfig({ launchId: "L", metrics: "fast", assessed });
  assert.equal(config.schema_version, 1);
  assert.equal(config.metrics, "fast");
  assert.equal(config.seed, 0);
  assert.deepEqual(config.datasets.map((d) => d.slug), ["other", "pbmc"]);
  const [other, pbmc] = config.datasets;
  assert.equal(other?.path, null, "a dataset without a ready member is not mounted");
  assert.deepEqual(other?.not_ready, [{ member_id: "d", run_id: "d", model: "pca", seed: 0, status: "missing_dataset", reason: "gone" }]);
  assert.equal(pbmc?.path, "/data/pbmc.h5mu");
  assert.equal(pbmc?.batch_key, "gem_group");
  assert.equal(pbmc?.label_key, null);
  assert.equal(pbmc?.fingerprint, "sha256:pbmc");
  assert.deepEqual(pbmc?.members.map((m) => m.member_id), ["a", "b"]);
  assert.deepEqual(pbmc?.members[0], {
    member_id: "a", run_id: "a", attempt_id: "a-a2", model: "pca", seed: 0, params: { k: 1 }, bundle_dir: "/bundles/a",
    embedding_path: "/bundles/a/embeddings.h5", manifest_sha256: "m-a", embedding_sha256: "e-a",
  });
  assert.deepEqual(pbmc?.not_ready.map((m) => [m.member_id, m.status, m.reason]), [["c", "training_failed", "oom_killed"]]);
  assert.deepEqual(mounts, [
    { source: "/host/pbmc.h5mu", target: "/data/pbmc.h5mu" },
    { source: "/host/bundles/b-a2", target: "/bundles/b" },
    { source: "/host/bundles/a-a2", target: "/bundles/a" },
  ]);
  assert.ok(!JSON.stringify(config).includes("/host/"), "no host path reaches the evaluator");
});

test("the same inputs give the same config (byte-identical JSON)", () => {
  const assessed: AssessedMember[] = [{ member: member("a", "pbmc"), readiness: ready("a") }, { member: member("c", "pbmc"), readiness: failed }];
  assert.equal(JSON.stringify(buildEvalConfig({ launchId: "L", metrics: "default", assessed })), JSON.stringify(buildEvalConfig({ launchId: "L", metrics: "default", assessed: [...assessed].reverse() })));
});

test("host member files: a ready member the evaluator did not cover is evaluation_failed with the reason; others their mapped status", () => {
  const crashed = hostMemberEvaluation(member("a", "pbmc"), ready("a"), "the evaluator exited with code 3");
  assert.equal(crashed.status, "evaluation_failed");
  assert.equal(crashed.reason, "the evaluator exited with code 3");
  assert.deepEqual(crashed.scores, { bio_conservation: null, batch_correction: null, total: null, reason: "not evaluated: evaluation_failed" });
  assert.deepEqual(crashed.traced_to, { manifest_sha256: "m-a", embedding_sha256: "e-a", dataset_fingerprint: "sha256:pbmc" });
  const notReady = hostMemberEvaluation(member("c", "pbmc"), { ...failed, status: "bad_artifact_manifest", reason: "sha256 differs" }, "ignored");
  assert.equal(notReady.status, "bad_manifest");
  assert.equal(notReady.reason, "sha256 differs");
  assert.equal(notReady.metrics.length, 0, "no metric is invented for a member that was not evaluated");
});
