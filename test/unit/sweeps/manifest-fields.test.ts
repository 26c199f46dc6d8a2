import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MultiverseError } from "../../../src/domain/errors.js";
import { loadManifestText, resourceFromDocument } from "../../../src/manifest/load-manifest.js";
import { parseYamlDocuments } from "../../../src/manifest/yaml-documents.js";
import { storageUrl } from "../../../src/sweeps/manifest-fields.js";

const FILE = "/work/bench/run_manifest.yaml";

function manifest(job: string): string {
  return `globals:
  experiment_name: e
jobs:
  - name: s
    dataset_slug: d
    model_name: pca
${job}`;
}

function refused(text: string): MultiverseError {
  try {
    loadManifestText(text, FILE);
  } catch (error) {
    assert.ok(error instanceof MultiverseError);
    return error;
  }
  assert.fail("the manifest was accepted");
}

describe("sweep fields of run_manifest.yaml", () => {
  test("mode: sweep with its study becomes the job's SweepSpec (a storage path resolves against the manifest)", () => {
    const result = loadManifestText(
      manifest(`    mode: sweep
    model_params: {svd_solver: full}
    search_space:
      n_components: {type: int, low: 2, high: 30, step: 2}
      lr: {type: loguniform, low: 0.0001, high: 0.1}
      solver: {type: categorical, choices: [a, b]}
    optimize_metric: model_metrics.explained_variance_ratio_sum
    direction: maximize
    n_trials: 6
    study_storage: studies/optuna.db
    study_name: my-study
    sampler: random
`),
      FILE,
    );
    const job = result.benchmark.spec.jobs[0]!;
    assert.equal(job.mode, "sweep");
    assert.deepEqual(job.params, { svd_solver: "full" });
    assert.deepEqual(job.sweep, {
      searchSpace: {
        n_components: { type: "int", low: 2, high: 30, step: 2 },
        lr: { type: "loguniform", low: 0.0001, high: 0.1 },
        solver: { type: "categorical", choices: ["a", "b"] },
      },
      optimizeMetric: "model_metrics.explained_variance_ratio_sum",
      direction: "maximize",
      nTrials: 6,
      storage: "sqlite:////work/bench/studies/optuna.db",
      studyName: "my-study",
      sampler: "random",
    });
  });

  test("a storage URL is kept as it is", () => {
    assert.equal(storageUrl("postgresql://u:p@h/db", "/x"), "postgresql://u:p@h/db");
    assert.equal(storageUrl("/abs/s.db", "/x"), "sqlite:////abs/s.db");
    assert.equal(storageUrl("rel.db", "/x"), "sqlite:////x/rel.db");
  });

  test("mode: sweep without its required fields names each missing one at the job's line", () => {
    const error = refused(manifest("    mode: sweep\n    search_space: {n_components: {type: int, low: 2, high: 5}}\n"));
    assert.equal(error.location.line, 4);
    assert.match(error.message, /mode: sweep needs "direction"/);
    assert.equal(error.details.length, 1, "direction and n_trials; optimize_metric has a default");
  });

  test("sweep fields on a train job are refused", () => {
    const error = refused(manifest("    n_trials: 4\n"));
    assert.equal(error.location.field, "jobs[0].n_trials");
    assert.equal(error.location.line, 7);
    assert.match(error.message, /"n_trials" belongs to a sweep: set mode: sweep on this job, or remove it/);
  });

  test("shapes are checked by the schema: direction, dimension type, n_trials", () => {
    const base = "    mode: sweep\n    optimize_metric: m\n    n_trials: 3\n    search_space: {n_components: {type: int, low: 2, high: 5}}\n";
    assert.match(refused(manifest(`${base}    direction: up\n`)).message, /expected one of "minimize", "maximize"/);
    const dims = refused(manifest("    mode: sweep\n    optimize_metric: m\n    n_trials: 3\n    direction: minimize\n    search_space: {n_components: {type: range, low: 2, high: 5}}\n"));
    assert.equal(dims.location.field, "jobs[0].search_space.n_components.type");
    const trials = refused(manifest(`${base.replace("n_trials: 3", "n_trials: 0")}    direction: minimize\n`));
    assert.equal(trials.location.field, "jobs[0].n_trials");
    assert.match(trials.message, /must be >= 1, got 0/);
  });

  test("a Benchmark resource declares the same study under spec.jobs[].sweep", () => {
    const text = `apiVersion: multiverse.io/v1alpha1
kind: Benchmark
metadata: {name: b}
spec:
  experimentName: e
  jobs:
    - name: s
      dataset: d
      model: pca
      seeds: [0]
      mode: sweep
      sweep:
        searchSpace: {n_components: {type: int, low: 2, high: 5}}
        optimizeMetric: explained_variance_ratio_sum
        direction: maximize
        nTrials: 4
`;
    const [doc] = parseYamlDocuments(text, FILE);
    const converted = resourceFromDocument(doc!, "/work/bench");
    assert.equal(converted.kind, "Benchmark");
    if (converted.kind !== "Benchmark") return;
    assert.equal(converted.resource.spec.jobs[0]!.sweep!.nTrials, 4);
  });
});
