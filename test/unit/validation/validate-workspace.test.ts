import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
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

  test("missing embeddings, at every level", async () => {
    rmSync(join(ws, "embeddings.h5"));
    for (const level of ["basic", "strict", "developer"] as const) {
      const { errors, result } = await codes(level);
      assert.deepEqual(errors, ["missing_embeddings"], level);
      assert.equal(result.ok, false);
    }
  });

  test("a directory where an output file belongs", async () => {
    rmSync(join(ws, "embeddings.h5"));
    mkdirSync(join(ws, "embeddings.h5"));
    rmSync(join(ws, "run.log"));
    mkdirSync(join(ws, "run.log"));
    const { errors, result } = await codes("developer");
    assert.deepEqual(errors, ["missing_embeddings", "missing_run_log"]);
    assert.match(result.problems[0]!.message, /embeddings\.h5 is a directory/);
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
    await writeLatent(join(ws, "embeddings.h5"), N, 4, { shape: [N * 4] });
    const { errors, result } = await codes();
    assert.deepEqual(errors, ["latent_not_2d"]);
    assert.match(result.problems[0]!.message, new RegExp(`got shape \\[${N * 4}\\]`));
    assert.equal(result.latentShape, undefined);
  });

  test("a latent with zero columns", async () => {
    await writeLatent(join(ws, "embeddings.h5"), N, 0);
    assert.deepEqual((await codes("strict")).errors, ["empty_latent"]);
  });

  test("a latent of text, not numbers", async () => {
    await writeLatent(join(ws, "embeddings.h5"), N, 4, { asText: true });
    assert.deepEqual((await codes()).errors, ["latent_not_numeric"]);
  });

  const hasH5py = spawnSync("/usr/bin/python3", ["-c", "import h5py"]).status === 0;
  test("a latent inside a group is not the top-level latent", { skip: hasH5py ? false : "system python3 has no h5py" }, async () => {
    const script = `import h5py,sys; f=h5py.File(sys.argv[1],'w'); f.create_dataset('embeddings/latent', data=[[1.0]*4]*${N}); f.close()`;
    assert.equal(spawnSync("/usr/bin/python3", ["-c", script, join(ws, "embeddings.h5")]).status, 0);
    const { errors, result } = await codes();
    assert.deepEqual(errors, ["missing_latent"]);
    assert.match(result.problems[0]!.message, /found: embeddings/);
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

  test("a FIFO is a special file", { skip: spawnSync("mkfifo", ["--version"]).status === 0 ? false : "no mkfifo" }, async () => {
    mkdirSync(join(ws, "sub"));
    assert.equal(spawnSync("mkfifo", [join(ws, "sub", "pipe")]).status, 0);
    const { errors, result } = await codes();
    assert.deepEqual(errors, ["special_file"]);
    assert.match(result.problems[0]!.message, /sub\/pipe/);
  });

  test("a workspace that is itself a symlink is not followed", async () => {
    const { dir: other, cleanup: cleanupOther } = tempDir("validate-link");
    try {
      const link = join(other, "ws");
      symlinkSync(ws, link);
      const result = await validateWorkspace(link, { nObs: N, level: "basic" });
      assert.equal(result.ok, false);
      assert.deepEqual(result.problems.map((p) => p.code), ["workspace_unreadable"]);
      assert.deepEqual(result.artifacts, []);
    } finally {
      cleanupOther();
    }
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
    writeFileSync(join(ws, "metrics.json"), '{"history": {"loss": 3}}');
    assert.deepEqual((await codes()).errors, ["invalid_metrics"]);
    writeFileSync(join(ws, "metrics.json"), '{"model_metrics": {"loss": 0.1, "name": "pca", "converged": true, "missing": null}}');
    assert.deepEqual((await codes("strict")).errors, []);
  });

  test("non-finite values outside model_metrics are found too", async () => {
    writeFileSync(join(ws, "metrics.json"), '{"history": {"loss": [1.0, NaN]}}');
    const strict = await codes("strict");
    assert.deepEqual(strict.errors, ["non_finite_metrics"]);
    assert.match(strict.result.problems[0]!.message, /history\.loss\[1\]/);
  });

  test("other files are listed with their roles, checksums and sizes", async () => {
    writeFileSync(join(ws, "orchestrator.log"), "launched\n");
    writeFileSync(join(ws, "metrics.jsonl"), '{"epoch": 1}\n');
    mkdirSync(join(ws, "plots"));
    writeFileSync(join(ws, "plots", "extra.txt"), "abc");
    const { result } = await codes();
    const byPath = new Map(result.artifacts.map((a) => [a.path, a]));
    assert.equal(byPath.get("orchestrator.log")?.role, "orchestrator_log");
    assert.equal(byPath.get("metrics.jsonl")?.role, "metrics_stream");
    assert.deepEqual(byPath.get("plots/extra.txt"), { path: "plots/extra.txt", role: "other", sizeBytes: 3, sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" });
    assert.ok(!byPath.has("plots"), "directories are not artifacts");
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
