import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromValidation, makeWritable, promote } from "../../../src/artifacts/promote.js";
import { storeLayout } from "../../../src/artifacts/layout.js";
import { DEFAULT_OUTPUT_LIMITS, outputLimitsFromSnake, resolveOutputLimits, validateWorkspace } from "../../../src/validation/index.js";
import { runSpec, tempDir } from "../../helpers/fixtures.js";
import { goodWorkspace } from "../../helpers/workspace.js";

describe("output limits", () => {
  test("defaults, then the model's, then the job's, field by field", () => {
    assert.deepEqual(resolveOutputLimits(), DEFAULT_OUTPUT_LIMITS);
    const limits = resolveOutputLimits({ maxFiles: 5, maxFileBytes: 10 }, { maxFileBytes: 20 });
    assert.deepEqual(limits, { ...DEFAULT_OUTPUT_LIMITS, maxFiles: 5, maxFileBytes: 20 });
  });

  test("the manifest's snake_case names map to the spec's", () => {
    assert.deepEqual(outputLimitsFromSnake({ max_total_bytes: 1, max_files: 2, max_file_bytes: 3, max_depth: 4, max_metrics_bytes: 5, max_metrics_keys: 6 }), {
      maxTotalBytes: 1,
      maxFiles: 2,
      maxFileBytes: 3,
      maxDepth: 4,
      maxMetricsBytes: 5,
      maxMetricsKeys: 6,
    });
  });

  test("promote() takes the validation's result as it is (no second read of the workspace)", async () => {
    const { dir, cleanup } = tempDir("from-validation");
    try {
      const layout = storeLayout(dir, "store");
      const ws = layout.workspaceDir("aaaabbbbcccc-own123-a1");
      mkdirSync(ws, { recursive: true });
      await goodWorkspace(ws, 10);
      writeFileSync(join(ws, "metrics.json"), JSON.stringify({ model_metrics: { loss: NaN } }).replace("null", "NaN"));
      const validation = await validateWorkspace(ws, { nObs: 10, level: "basic" });
      const inputs = fromValidation(validation, "basic");
      assert.deepEqual(inputs.validation.latentShape, [10, 4]);
      assert.match(inputs.validation.warnings.join(" "), /metrics\.json: non_finite_metrics/);
      const result = await promote({ layout, runId: "aaaabbbbcccc000011112222", attemptId: "aaaabbbbcccc-own123-a1", jobName: "job", spec: runSpec(), ...inputs, transitions: [], ownerToken: "own123" });
      const manifest = JSON.parse(readFileSync(join(result.artifactDir, "artifact_manifest.json"), "utf8")) as { latent_shape: number[]; validation: { problems: string[] } };
      assert.deepEqual(manifest.latent_shape, [10, 4]);
      assert.equal(manifest.validation.problems.length, 1);
    } finally {
      makeWritable(dir);
      cleanup();
    }
  });
});
