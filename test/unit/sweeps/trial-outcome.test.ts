import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { metricAt, outcomeFromMetricsText, outcomeOfUnsuccessfulRun } from "../../../src/sweeps/trial-outcome.js";

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
