/**
 * MultiVI and totalVI (scvi-tools) and Mowgli for real, with a tiny epoch count, through the local executor on the
 * small multimodal demo sets (RNA + ATAC, RNA + ADT); the plan-time refusal of a dataset without a model's
 * modalities, and of cobolt, whose source cannot be installed here. Needs the models' environments
 * (scripts/setup.sh runs `multiverse models setup`).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { repoRoot } from "../../src/util/paths.js";
import { cli, parseJson } from "../helpers/cli.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const DATA = join(repoRoot(), "data", "generated");

interface Summary {
  runs: { job: string; phase: string; reason: string | null; message?: string | null; artifactDir: string | null }[];
}

describe("multivi, totalvi and mowgli on the local executor", () => {
  let work: string;
  before(() => {
    for (const name of ["demo-rna-atac.h5mu", "demo-rna-adt.h5mu"]) assert.ok(existsSync(join(DATA, name)), `${name} is missing: run scripts/setup.sh`);
    work = mkdtempSync(join(tmpdir(), "mv-scvi-"));
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("multivi and totalvi train for 3 epochs, write a latent of the asked size with their per-epoch ELBO, and their bundles verify", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const manifest = join(work, "scvi.yaml");
    writeFileSync(
      manifest,
      [
        "globals: {experiment_name: scvi, backend: local}",
        "datasets:",
        `  rna-atac: {path: ${join(DATA, "demo-rna-atac.h5mu")}, batch_key: batch, label_key: label}`,
        `  rna-adt: {path: ${join(DATA, "demo-rna-adt.h5mu")}, batch_key: batch, label_key: label}`,
        "jobs:",
        "  - {name: multivi, dataset_slug: rna-atac, model_name: multivi, model_params: {max_epochs: 3, n_latent: 6}, seeds: [0]}",
        "  - {name: totalvi, dataset_slug: rna-adt, model_name: totalvi, model_params: {max_epochs: 3, n_latent: 7}, seeds: [0]}",
        "",
      ].join("\n"),
    );
    const result = await cli(["run", "--manifest", manifest, "--output", join(work, "out"), "--json"]);
    const runs = parseJson<Summary>(result).runs;
    assert.equal(result.code, 0, JSON.stringify(runs));
    for (const run of runs) {
      assert.ok((await verifyBundle(run.artifactDir!)).ok, run.job);
      const metrics = JSON.parse(readFileSync(join(run.artifactDir!, "metrics.json"), "utf8")) as { model_metrics: { n_latent: number; epochs: number; elbo_train: number } };
      assert.equal(metrics.model_metrics.n_latent, run.job === "multivi" ? 6 : 7);
      assert.equal(metrics.model_metrics.epochs, 3);
      assert.ok(Number.isFinite(metrics.model_metrics.elbo_train));
      const epochs = readFileSync(join(run.artifactDir!, "metrics.jsonl"), "utf8").trim().split("\n");
      assert.equal(epochs.length, 3, "one line per epoch");
    }
  });

  test("mowgli trains a few iterations on RNA + ATAC and its bundle verifies", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const manifest = join(work, "mowgli.yaml");
    writeFileSync(
      manifest,
      `globals: {experiment_name: mowgli, backend: local}\ndatasets:\n  rna-atac: {path: ${join(DATA, "demo-rna-atac.h5mu")}, batch_key: batch, label_key: label}\njobs:\n  - {name: mowgli, dataset_slug: rna-atac, model_name: mowgli, model_params: {latent_dim: 6, max_iter: 2, max_iter_inner: 20}, seeds: [0]}\n`,
    );
    const result = await cli(["run", "--manifest", manifest, "--output", join(work, "mowgli"), "--json"]);
    const [run] = parseJson<Summary>(result).runs;
    assert.equal(run!.phase, "ARTIFACT_SUCCESS", JSON.stringify(run));
    assert.ok((await verifyBundle(run!.artifactDir!)).ok);
    const metrics = JSON.parse(readFileSync(join(run!.artifactDir!, "metrics.json"), "utf8")) as { model_metrics: { latent_dim: number } };
    assert.equal(metrics.model_metrics.latent_dim, 6);
  });

  test("cobolt is defined but refused at plan time, saying why it cannot be installed here", async () => {
    const manifest = join(work, "cobolt.yaml");
    writeFileSync(
      manifest,
      `globals: {experiment_name: cobolt, backend: local}\ndatasets:\n  rna-atac: {path: ${join(DATA, "demo-rna-atac.h5mu")}}\njobs:\n  - {name: c, dataset_slug: rna-atac, model_name: cobolt, seeds: [0]}\n`,
    );
    const result = await cli(["run", "--manifest", manifest, "--output", join(work, "cobolt")]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /model "cobolt" is defined but cannot be built here: cobolt is not published on PyPI/);
  });

  test("a dataset without the model's modalities is refused at plan time, naming what is missing", async () => {
    const manifest = join(work, "bad.yaml");
    writeFileSync(
      manifest,
      `globals: {experiment_name: bad, backend: local}\ndatasets:\n  rna-atac: {path: ${join(DATA, "demo-rna-atac.h5mu")}}\njobs:\n  - {name: t, dataset_slug: rna-atac, model_name: totalvi, seeds: [0]}\n`,
    );
    const result = await cli(["run", "--manifest", manifest, "--output", join(work, "bad")]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /model "totalvi" needs modalities rna \+ adt, but dataset "rna-atac" has .*missing: adt/);
  });
});
