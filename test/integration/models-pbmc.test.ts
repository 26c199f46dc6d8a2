/**
 * The built-in models on real data: pca and mofa on pbmc68k-reduced through the local executor (twice, into two
 * output directories: the same seed gives bit-identical latents) and through the Docker executor; every bundle
 * verifies. Needs what scripts/setup.sh prepares: data/generated/pbmc68k-reduced.h5mu, the models' environments
 * and images.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { repoRoot } from "../../src/util/paths.js";
import { cli, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const DATASET = join(repoRoot(), "data", "generated", "pbmc68k-reduced.h5mu");

interface Summary {
  runs: { job: string; seed: number; phase: string; reason: string | null; message?: string | null; artifactDir: string | null }[];
}

function manifest(dir: string, backend: string, seeds: number[]): string {
  const file = join(dir, `pbmc-${backend}.yaml`);
  writeFileSync(
    file,
    [
      "globals:",
      `  experiment_name: pbmc-${backend}`,
      `  backend: ${backend}`,
      "datasets:",
      "  pbmc68k-reduced:",
      `    path: ${DATASET}`,
      "    batch_key: batch",
      "    label_key: cell_type",
      "jobs:",
      "  - name: pca",
      "    dataset_slug: pbmc68k-reduced",
      "    model_name: pca",
      "    model_params: {n_components: 15, normalize: false}",
      `    seeds: [${seeds.join(", ")}]`,
      "  - name: mofa",
      "    dataset_slug: pbmc68k-reduced",
      "    model_name: mofa",
      "    model_params: {n_factors: 8, normalize: false}",
      `    seeds: [${seeds.join(", ")}]`,
      "",
    ].join("\n"),
  );
  return file;
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

async function runAll(file: string, out: string): Promise<Summary["runs"]> {
  const result = await cli(["run", "--manifest", file, "--output", out, "--json"]);
  const runs = parseJson<Summary>(result).runs;
  assert.equal(result.code, 0, `${result.stderr}\n${JSON.stringify(runs.filter((r) => r.phase !== "ARTIFACT_SUCCESS"))}`);
  for (const run of runs) {
    const verification = await verifyBundle(run.artifactDir!);
    assert.ok(verification.ok, `${run.job} s${run.seed}: ${verification.problems.join("; ")}`);
  }
  return runs;
}

describe("pca and mofa on pbmc68k-reduced", () => {
  let work: string;
  before(() => {
    assert.ok(existsSync(DATASET), `${DATASET} is missing: run scripts/setup.sh`);
    work = mkdtempSync(join(tmpdir(), "mv-pbmc-"));
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("local executor: both models, two seeds, bundles verify, and the same seed gives bit-identical latents", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const file = manifest(work, "local", [0, 1]);
    const first = await runAll(file, join(work, "local-a"));
    const second = await runAll(file, join(work, "local-b"));
    assert.equal(first.length, 4);
    for (const run of first) {
      const twin = second.find((r) => r.job === run.job && r.seed === run.seed)!;
      assert.equal(sha(join(run.artifactDir!, "embeddings.h5")), sha(join(twin.artifactDir!, "embeddings.h5")), `${run.job} seed ${run.seed} is reproducible`);
    }
    const byModel = (job: string, seed: number) => sha(join(first.find((r) => r.job === job && r.seed === seed)!.artifactDir!, "embeddings.h5"));
    assert.notEqual(byModel("mofa", 0), byModel("mofa", 1), "another seed gives another MOFA+ fit");
    const metrics = JSON.parse(readFileSync(join(first.find((r) => r.job === "mofa")!.artifactDir!, "metrics.json"), "utf8")) as { model_metrics: Record<string, number> };
    assert.equal(metrics.model_metrics.n_factors, 8);
    assert.ok(metrics.model_metrics["variance_explained.rna"]! > 0 && metrics.model_metrics["variance_explained.rna"]! < 1);
  });

  test("Docker executor: both models from their images, bundles verify", { timeout: TEST_HANG_GUARD_MS, skip: requireDockerOrSkip() }, async () => {
    const runs = await runAll(manifest(work, "docker", [0]), join(work, "docker"));
    assert.deepEqual(runs.map((r) => r.job).sort(), ["mofa", "pca"]);
  });
});
