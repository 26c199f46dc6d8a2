import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeLatent } from "../../../src/h5/index.js";
import { isPng, parseMetricsJson, validateWorkspace } from "../../../src/validation/index.js";
import { tempDir } from "../../helpers/fixtures.js";
import { goodWorkspace, tinyPng } from "../../helpers/workspace.js";

const N = 12;
let ws: string;
let cleanup: () => void;
beforeEach(async () => {
  ({ dir: ws, cleanup } = tempDir("validate"));
  await goodWorkspace(ws, N);
});
afterEach(() => cleanup());

async function codes(level: "basic" | "strict" | "developer" = "basic") {
  const result = await validateWorkspace(ws, { nObs: N, level });
  return { result, errors: result.problems.filter((p) => p.severity === "error").map((p) => p.code), warnings: result.problems.filter((p) => p.severity === "warning").map((p) => p.code) };
}

describe("validateWorkspace", () => {
  test("a good workspace passes at every level and lists every file with size and sha256", async () => {
    for (const level of ["basic", "strict", "developer"] as const) {
      const { result, errors } = await codes(level);
      assert.deepEqual(errors, [], level);
      assert.equal(result.ok, true);
      assert.deepEqual(result.latentShape, [N, 4]);
    }
    const { result } = await codes();
    assert.deepEqual(result.artifacts.map((a) => [a.path, a.role]), [
      ["container.log", "container_log"], ["embeddings.h5", "embeddings"], ["job_spec.json", "job_spec"], ["metrics.json", "metrics"], ["run.log", "run_log"], ["umap.png", "umap"],
    ]);
    assert.ok(result.artifacts.every((a) => /^[0-9a-f]{64}$/.test(a.sha256) && a.sizeBytes > 0));
  });

  test("missing embeddings", async () => {
    rmSync(join(ws, "embeddings.h5"));
    assert.deepEqual((await codes()).errors, ["missing_embeddings"]);
  });

  test("a latent under another name", async () => {
    await writeLatent(join(ws, "embeddings.h5"), N, 4, { name: "embedding" });
    const { errors, result } = await codes();
    assert.deepEqual(errors, ["missing_latent"]);
    assert.match(result.problems[0]!.message, /found: embedding/);
  });

  test("an extra dataset beside latent", async () => {
    await writeLatent(join(ws, "embeddings.h5"), N, 4, { extra: ["other"] });
    assert.deepEqual((await codes()).errors, ["extra_datasets"]);
  });

  test("a 1-D latent", async () => {
    await writeLatent(join(ws, "embeddings.h5"), 0, 0);
    assert.deepEqual((await codes()).errors, ["latent_not_2d"]);
  });

  test("the wrong row count names both numbers", async () => {
    await writeLatent(join(ws, "embeddings.h5"), N - 1, 4);
    const { errors, result } = await codes();
    assert.deepEqual(errors, ["row_count_mismatch"]);
    assert.match(result.problems[0]!.message, new RegExp(`${N - 1} rows but the input has ${N} cells`));
  });

  test("NaN in the latent fails strict, passes basic", async () => {
    await writeLatent(join(ws, "embeddings.h5"), N, 4, { fill: (r, c) => (r === 2 && c === 1 ? Number.NaN : r === 3 && c === 0 ? Infinity : 1) });
    assert.deepEqual((await codes("basic")).errors, []);
    const strict = await codes("strict");
    assert.deepEqual(strict.errors, ["non_finite_latent"]);
    assert.match(strict.result.problems[0]!.message, /2 NaN or infinite/);
  });

  test("corrupt or truncated embeddings", async () => {
    writeFileSync(join(ws, "embeddings.h5"), "this is not HDF5");
    const { errors, result } = await codes();
    assert.deepEqual(errors, ["corrupt_hdf5"]);
    assert.match(result.problems[0]!.message, /signature|HDF5/i);
  });

  test("a symlink to a host file is refused and never followed", async () => {
    rmSync(join(ws, "umap.png"));
    symlinkSync("/etc/passwd", join(ws, "umap.png"));
    const { errors, result } = await codes();
    assert.deepEqual(errors, ["symlink_in_output"]);
    assert.ok(!result.artifacts.some((a) => a.path === "umap.png"));
  });

  test("a symlink inside the workspace is refused too", async () => {
    mkdirSync(join(ws, "extra"));
    symlinkSync(join(ws, "run.log"), join(ws, "extra", "log-link"));
    assert.deepEqual((await codes()).errors, ["symlink_in_output"]);
  });

  test("metrics with Python's NaN tokens: an error at strict, a warning at basic", async () => {
    writeFileSync(join(ws, "metrics.json"), '{"model_metrics": {"loss": NaN, "elbo": -Infinity, "note": "NaN is fine in a string"}}');
    const basic = await codes("basic");
    assert.deepEqual(basic.errors, []);
    assert.deepEqual(basic.warnings, ["non_finite_metrics"]);
    const strict = await codes("strict");
    assert.deepEqual(strict.errors, ["non_finite_metrics"]);
    assert.match(strict.result.problems[0]!.message, /model_metrics\.loss, model_metrics\.elbo/);
  });

  test("metrics that are not an object, not JSON, or not scalars", async () => {
    writeFileSync(join(ws, "metrics.json"), "[1, 2]");
    assert.deepEqual((await codes()).errors, ["invalid_metrics"]);
    writeFileSync(join(ws, "metrics.json"), "{oops");
    assert.deepEqual((await codes()).errors, ["invalid_metrics"]);
    writeFileSync(join(ws, "metrics.json"), '{"model_metrics": {"nested": {"a": 1}}}');
    assert.deepEqual((await codes()).errors, ["invalid_metrics"]);
  });

  test("missing metrics: required at basic and strict, not for developer", async () => {
    rmSync(join(ws, "metrics.json"));
    assert.deepEqual((await codes("basic")).errors, ["missing_metrics"]);
    assert.deepEqual((await codes("developer")).errors, []);
  });

  test("a fake PNG is refused; a missing one only at strict", async () => {
    writeFileSync(join(ws, "umap.png"), "GIF89a not a png");
    assert.deepEqual((await codes()).errors, ["invalid_png"]);
    rmSync(join(ws, "umap.png"));
    assert.deepEqual((await codes("basic")).errors, []);
    assert.deepEqual((await codes("strict")).errors, ["missing_umap"]);
  });

  test("missing run.log", async () => {
    rmSync(join(ws, "run.log"));
    assert.deepEqual((await codes()).errors, ["missing_run_log"]);
  });
});

describe("small parsers", () => {
  test("isPng accepts a real PNG and rejects look-alikes", () => {
    assert.equal(isPng(tinyPng()), true);
    assert.equal(isPng(tinyPng().subarray(0, 20)), false);
    const zeroWidth = tinyPng();
    zeroWidth.writeUInt32BE(0, 16);
    assert.equal(isPng(zeroWidth), false);
  });

  test("parseMetricsJson maps tokens outside strings only", () => {
    const parsed = parseMetricsJson('{"a": NaN, "b": [1, Infinity], "c": "NaN \\" Infinity", "d": -Infinity}');
    assert.deepEqual(parsed.nonFinite, ["a", "b[1]", "d"]);
    assert.equal((parsed.value as { c: string }).c, 'NaN " Infinity');
  });
});
