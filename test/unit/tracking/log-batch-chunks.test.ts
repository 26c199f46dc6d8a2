import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { chunkLogBatch, fitValue } from "../../../src/tracking/log-batch-chunks.js";
import { MLFLOW_LIMITS } from "../../../src/tracking/mlflow-types.js";

const metric = (i: number) => ({ key: `m${i}`, value: i, timestamp: 0, step: 0 });
const kv = (prefix: string, i: number) => ({ key: `${prefix}${i}`, value: String(i) });

describe("log-batch chunks", () => {
  test("nothing to log: no call", () => {
    assert.deepEqual(chunkLogBatch({ metrics: [], params: [], tags: [] }), []);
  });
  test("MLflow's limits: 1000 metrics, 100 params, 100 tags, 1000 entities per call; order kept, nothing lost", () => {
    const input = {
      metrics: Array.from({ length: 2500 }, (_, i) => metric(i)),
      params: Array.from({ length: 250 }, (_, i) => kv("p", i)),
      tags: Array.from({ length: 130 }, (_, i) => kv("t", i)),
    };
    const batches = chunkLogBatch(input);
    for (const b of batches) {
      assert.ok(b.metrics.length <= MLFLOW_LIMITS.metricsPerBatch);
      assert.ok(b.params.length <= MLFLOW_LIMITS.paramsPerBatch);
      assert.ok(b.tags.length <= MLFLOW_LIMITS.tagsPerBatch);
      assert.ok(b.metrics.length + b.params.length + b.tags.length <= MLFLOW_LIMITS.entitiesPerBatch);
    }
    assert.deepEqual(batches.flatMap((b) => b.metrics), input.metrics);
    assert.deepEqual(batches.flatMap((b) => b.params), input.params);
    assert.deepEqual(batches.flatMap((b) => b.tags), input.tags);
    assert.equal(batches[0]!.params.length, 100);
    assert.equal(batches[0]!.tags.length, 100);
    assert.equal(batches[0]!.metrics.length, 800, "the entity limit leaves room for 800 metrics next to 200 params and tags");
    assert.equal(batches.length, 3);
  });
  test("param values are cut to 6000 characters with a visible mark; tags to 8000", () => {
    const [batch] = chunkLogBatch({ metrics: [], params: [{ key: "p", value: "x".repeat(7000) }], tags: [{ key: "t", value: "y".repeat(9000) }] });
    assert.equal(batch!.params[0]!.value.length, 6000);
    assert.match(batch!.params[0]!.value, /\.\.\.\[truncated\]$/);
    assert.equal(batch!.tags[0]!.value.length, 8000);
    assert.equal(fitValue("short", 10), "short");
  });
  test("limits must be positive integers", () => {
    assert.throws(() => chunkLogBatch({ metrics: [metric(1)], params: [], tags: [] }, { metricsPerBatch: 0, paramsPerBatch: 1, tagsPerBatch: 1, entitiesPerBatch: 1 }), /metricsPerBatch/);
  });
});
