import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isScoreMetric, metricAt, outcomeFromMemberEvaluation, outcomeFromMetricsText, outcomeOfUnsuccessfulRun, scoreMetricProblem } from "../../../src/sweeps/trial-outcome.js";

const metrics = JSON.stringify({
  model_metrics: { explained_variance_ratio_sum: 0.42, "loss.final": 1.5, bad: null, label: "x" },
  history: { loss: [3, 2, 1] },
  scores: { bio: { nmi: 0.7 } },
});

describe("trial outcome", () => {
  test("a metric by name is found under model_metrics", () => {
    assert.deepEqual(outcomeFromMetricsText(metrics, "explained_variance_ratio_sum"), { state: "COMPLETE", value: 0.42, message: "explained_variance_ratio_sum = 0.42" });
  });

  test("a dotted path is followed from the top, also through keys that contain dots", () => {
    assert.deepEqual(metricAt(JSON.parse(metrics), "model_metrics.explained_variance_ratio_sum"), { found: true, value: 0.42 });
    assert.deepEqual(metricAt(JSON.parse(metrics), "scores.bio.nmi"), { found: true, value: 0.7 });
    assert.deepEqual(metricAt(JSON.parse(metrics), "loss.final"), { found: true, value: 1.5 });
    assert.deepEqual(metricAt(JSON.parse(metrics), "model_metrics.loss.final"), { found: true, value: 1.5 });
    assert.deepEqual(metricAt(JSON.parse(metrics), "scores.bio.ari"), { found: false });
  });

  test("a missing, null, non-numeric or non-finite metric is PRUNED, never 0", () => {
    assert.deepEqual(outcomeFromMetricsText(metrics, "nope"), { state: "PRUNED", message: 'metrics.json has no "nope"' });
    assert.match(outcomeFromMetricsText(metrics, "bad").message, /is null in metrics.json/);
    assert.equal(outcomeFromMetricsText(metrics, "bad").state, "PRUNED");
    assert.match(outcomeFromMetricsText(metrics, "label").message, /"label" is string, not a number/);
    assert.match(outcomeFromMetricsText(metrics, "history.loss").message, /is a list, not a number/);
    assert.match(outcomeFromMetricsText(undefined, "x").message, /no metrics.json/);
    assert.match(outcomeFromMetricsText("{not json", "x").message, /metrics.json is not JSON/);
    for (const text of [undefined, "{}", '{"model_metrics":{"x":null}}', "[1]"]) {
      const outcome = outcomeFromMetricsText(text, "x");
      assert.equal(outcome.state, "PRUNED");
      assert.equal("value" in outcome, false);
    }
  });

  test("zero is a real value", () => {
    assert.deepEqual(outcomeFromMetricsText('{"model_metrics":{"x":0}}', "x"), { state: "COMPLETE", value: 0, message: "x = 0" });
  });

  test("a failed run is FAIL with its reason", () => {
    assert.deepEqual(outcomeOfUnsuccessfulRun("FAILED", "nonzero_exit", "exit code 3"), { state: "FAIL", message: "run FAILED (nonzero_exit: exit code 3)" });
    assert.deepEqual(outcomeOfUnsuccessfulRun("CANCELLED", undefined, undefined), { state: "FAIL", message: "run CANCELLED" });
  });
});

describe("trial outcome from the trial's evaluation (scib.*)", () => {
  const evaluation = (overrides: Record<string, unknown> = {}) => ({
    schema_version: 1,
    status: "done",
    reason: null,
    metrics: [
      { name: "isolated_labels", value: 0.58, status: "ok", reason: null },
      { name: "kbet_per_label", value: null, status: "not_applicable", reason: "fewer than two batches" },
    ],
    scores: { bio_conservation: 0.58, batch_correction: null, total: null, reasons: { bio_conservation: null, batch_correction: "no batch metric applies", total: "a category score is missing" } },
    ...overrides,
  });

  test("a category score or a metric's raw value is COMPLETE", () => {
    assert.deepEqual(outcomeFromMemberEvaluation(evaluation(), "scib.bio_conservation"), { state: "COMPLETE", value: 0.58, message: "scib.bio_conservation = 0.58 (raw, from the trial's evaluation)" });
    assert.equal(outcomeFromMemberEvaluation(evaluation(), "scib.isolated_labels").state, "COMPLETE");
    assert.deepEqual(outcomeFromMemberEvaluation(evaluation({ scores: { bio_conservation: 0, batch_correction: 0, total: 0 } }), "scib.total"), { state: "COMPLETE", value: 0, message: "scib.total = 0 (raw, from the trial's evaluation)" }, "zero is a value");
  });

  test("not applicable, null, NaN-as-string and unknown names are PRUNED with the reason, never 0", () => {
    assert.deepEqual(outcomeFromMemberEvaluation(evaluation(), "scib.total"), { state: "PRUNED", message: `"scib.total" has no value in the trial's evaluation (a category score is missing)` });
    assert.deepEqual(outcomeFromMemberEvaluation(evaluation(), "scib.kbet_per_label"), { state: "PRUNED", message: `"scib.kbet_per_label" has no value in the trial's evaluation (not_applicable: fewer than two batches)` });
    assert.equal(outcomeFromMemberEvaluation(evaluation({ scores: { bio_conservation: "NaN" } }), "scib.bio_conservation").state, "PRUNED");
    assert.match(outcomeFromMemberEvaluation(evaluation(), "scib.nmi").message, /has no "nmi" \(it has bio_conservation, batch_correction, total, isolated_labels, kbet_per_label\)/);
  });

  test("a member that was not evaluated is PRUNED with its status and reason", () => {
    assert.deepEqual(outcomeFromMemberEvaluation(evaluation({ status: "obs_mismatch", reason: "700 rows, the dataset has 699" }), "scib.total"), { state: "PRUNED", message: `the trial's evaluation is obs_mismatch: 700 rows, the dataset has 699, so "scib.total" has no value` });
    assert.equal(outcomeFromMemberEvaluation(null, "scib.total").state, "PRUNED");
  });

  test("which metrics are scores, and which names are", () => {
    assert.ok(isScoreMetric("scib.total"));
    assert.ok(!isScoreMetric("model_metrics.loss"));
    assert.equal(scoreMetricProblem("scib.total"), undefined);
    assert.equal(scoreMetricProblem("loss"), undefined, "not a score: read from metrics.json");
    assert.match(scoreMetricProblem("scib.") ?? "", /is not a score/);
    assert.match(scoreMetricProblem("scib.a.b") ?? "", /is not a score/);
  });
});
