import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { launchTagKey, memberScoresOf, SCORE_TAGS, scoreKey, scoreProjection, type MemberScores } from "../../../src/tracking/score-projection.js";

function memberDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: 1,
    member: { member_id: "m1", run_id: "run-1", attempt_id: "att-1", model: "pca", seed: 0, params: {}, dataset: "d" },
    status: "done",
    reason: null,
    metrics: [
      { name: "isolated_labels", category: "bio_conservation", value: 0.61, status: "ok", reason: null },
      { name: "kbet_per_label", category: "batch_correction", value: null, status: "not_applicable", reason: "fewer than two batches" },
    ],
    scores: { bio_conservation: 0.61, batch_correction: null, total: null, reasons: { bio_conservation: null, batch_correction: "no batch metric applies", total: "a category score is missing" } },
    traced_to: { manifest_sha256: "abc", embedding_sha256: "def", dataset_fingerprint: "fp" },
    versions: { "scib-metrics": "0.5.10", python: "3.11.2", absent: null },
    ...overrides,
  };
}

function parsed(overrides: Record<string, unknown> = {}): MemberScores {
  const scores = memberScoresOf(memberDocument(overrides));
  assert.ok(!("problem" in scores), JSON.stringify(scores));
  return scores;
}

const evaluation = { launchId: "20261201T112233Z-ab12cd", evaluationId: "eval-20261201T120000Z-ffffff", finishedAt: 1_800_000_000_000 };
const tagsOf = (projection: ReturnType<typeof scoreProjection>) => Object.fromEntries((projection?.tags ?? []).map((t) => [t.key, t.value]));

describe("MLflow projection of evaluation scores", () => {
  test("raw metric values and category scores become scib.* points at the evaluation's end; null ones never become numbers", () => {
    const projection = scoreProjection(parsed(), evaluation, {});
    assert.ok(projection);
    assert.deepEqual(projection.metrics, [
      { key: "scib.isolated_labels", value: 0.61, timestamp: evaluation.finishedAt, step: 0 },
      { key: "scib.bio_conservation", value: 0.61, timestamp: evaluation.finishedAt, step: 0 },
    ]);
    const tags = tagsOf(projection);
    assert.equal(tags[SCORE_TAGS.status], "done");
    assert.equal(tags[SCORE_TAGS.notApplicable], "kbet_per_label (not_applicable: fewer than two batches); batch_correction (no batch metric applies); total (a category score is missing)");
    assert.equal(tags[SCORE_TAGS.versions], "python=3.11.2 scib-metrics=0.5.10");
    assert.equal(tags[SCORE_TAGS.tracedTo], "abc");
    assert.equal(tags[launchTagKey(evaluation.launchId)], evaluation.evaluationId);
    assert.equal(projection.artifactPath, `evaluation/${evaluation.launchId}`);
  });

  test("a member that was not evaluated logs no points, only its status and reason", () => {
    const projection = scoreProjection(parsed({ status: "training_failed", reason: "exit 1", metrics: [], scores: { bio_conservation: null, batch_correction: null, total: null, reason: "training_failed" } }), evaluation, {});
    assert.deepEqual(projection?.metrics, []);
    const tags = tagsOf(projection);
    assert.equal(tags[SCORE_TAGS.status], "training_failed");
    assert.equal(tags[SCORE_TAGS.reason], "exit 1");
    assert.match(tags[SCORE_TAGS.notApplicable] ?? "", /bio_conservation \(training_failed\)/);
  });

  test("NaN, infinities and strings are not values", () => {
    const scores = parsed({ metrics: [{ name: "a", value: "0.5", status: "ok" }, { name: "b", value: null, status: "failed", reason: "NaN in the embedding" }], scores: { bio_conservation: "0.5", batch_correction: null, total: null } });
    assert.deepEqual(scores.metrics.map((m) => m.value), [null, null]);
    assert.equal(scores.scores.bio_conservation, null);
    assert.deepEqual(scoreProjection(scores, evaluation, {})?.metrics, []);
  });

  test("the same evaluation projected twice changes nothing; another evaluation of the launch is projected", () => {
    const first = scoreProjection(parsed(), evaluation, {});
    const after = tagsOf(first);
    assert.equal(scoreProjection(parsed(), evaluation, after), undefined);
    const again = scoreProjection(parsed(), { ...evaluation, evaluationId: "eval-20261201T130000Z-eeeeee", finishedAt: evaluation.finishedAt + 1 }, after);
    assert.ok(again);
    assert.equal(tagsOf(again)[SCORE_TAGS.evaluationId], "eval-20261201T130000Z-eeeeee");
  });

  test("an older launch projected late adds its points and its launch tag but leaves the newer evaluation's current tags", () => {
    const newer = { launchId: "20261202T000000Z-000000", evaluationId: "eval-new", finishedAt: evaluation.finishedAt + 60_000 };
    const shown = tagsOf(scoreProjection(parsed({ status: "done" }), newer, {}));
    const late = scoreProjection(parsed({ status: "obs_mismatch", reason: "rows differ" }), evaluation, shown);
    assert.ok(late);
    const tags = tagsOf(late);
    assert.deepEqual(Object.keys(tags), [launchTagKey(evaluation.launchId)]);
    assert.equal(late.metrics.length, 0, "not done: no points");
  });

  test("every current tag is written, empty when it does not apply, so an older evaluation's reason does not linger", () => {
    const failed = tagsOf(scoreProjection(parsed({ status: "evaluation_failed", reason: "the evaluator crashed" }), evaluation, {}));
    const later = tagsOf(scoreProjection(parsed(), { ...evaluation, evaluationId: "eval-2", finishedAt: evaluation.finishedAt + 1 }, failed));
    assert.equal(later[SCORE_TAGS.reason], "");
    assert.equal(later[SCORE_TAGS.status], "done");
  });

  test("metric names are made MLflow keys", () => {
    assert.equal(scoreKey("nmi_ari_cluster_labels_kmeans_nmi"), "scib.nmi_ari_cluster_labels_kmeans_nmi");
    assert.equal(scoreKey("kBET (per label)"), "scib.kBET _per label_");
    assert.equal(scoreKey("x".repeat(300)).length, 250);
    assert.equal(launchTagKey("20261201T112233Z-ab12cd"), "multiverse.evaluation.launch.20261201T112233Z-ab12cd");
  });

  test("what is not a member document is named", () => {
    assert.deepEqual(memberScoresOf(null), { problem: "not a JSON object" });
    assert.deepEqual(memberScoresOf({ schema_version: 2 }), { problem: "schema_version 2, expected 1" });
    assert.deepEqual(memberScoresOf({ schema_version: 1, member: {} }), { problem: "member.member_id is missing" });
    assert.deepEqual(memberScoresOf({ schema_version: 1, member: { member_id: "m" } }), { problem: "status is missing" });
    assert.deepEqual(memberScoresOf(memberDocument({ metrics: [{ value: 1 }] })), { problem: "metrics[0].name is missing" });
  });
});
