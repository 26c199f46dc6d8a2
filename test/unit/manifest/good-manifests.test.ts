import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MultiverseError } from "../../../src/domain/errors.js";
import { benchmarkName, loadManifestFile, loadManifestText } from "../../../src/manifest/load-manifest.js";

describe("run_manifest.yaml", () => {
  test("models[] expands per model with per-model params; seeds default to random_seed; paths resolve against the manifest", () => {
    const text = `globals:
  experiment_name: PBMC Baselines
  random_seed: 7
  skip_completed: true
  validators: strict
  metrics: [ari, nmi]
datasets:
  pbmc:
    path: data/pbmc.h5mu
    label_key: cell_type
jobs:
  - dataset_slug: pbmc
    models: [pca, mofa]
    model_params:
      pca: {n_components: 30}
      mofa: {n_factors: 10}
    mem_limit: 2g
  - name: single
    dataset_slug: pbmc
    model_name: pca
    model_params: {n_components: 5}
    seeds: [1, 2]
    metrics: [ari]
`;
    const result = loadManifestText(text, "/work/bench/run_manifest.yaml");
    assert.equal(result.format, "run_manifest");
    assert.equal(result.benchmark.apiVersion, "multiverse.io/v1alpha1");
    assert.equal(result.benchmark.metadata.name, "pbmc-baselines");
    assert.equal(result.benchmark.spec.experimentName, "PBMC Baselines");
    assert.equal(result.benchmark.spec.skipCompleted, true);
    assert.equal(result.benchmark.spec.validators, "strict");
    const jobs = result.benchmark.spec.jobs;
    assert.deepEqual(jobs.map((j) => [j.name, j.model, j.params, j.seeds, j.metrics]), [
      ["pbmc-pca", "pca", { n_components: 30 }, [7], ["ari", "nmi"]],
      ["pbmc-mofa", "mofa", { n_factors: 10 }, [7], ["ari", "nmi"]],
      ["single", "pca", { n_components: 5 }, [1, 2], ["ari"]],
    ]);
    assert.equal(jobs[0]!.memLimit, "2g");
    assert.equal(jobs[1]!.memLimit, "2g");
    assert.deepEqual(result.datasets, [
      { apiVersion: "multiverse.io/v1alpha1", kind: "Dataset", metadata: { name: "pbmc" }, spec: { path: "/work/bench/data/pbmc.h5mu", labelKey: "cell_type" } },
    ]);
    assert.deepEqual(result.models, []);
  });

  test("flat model_params apply to every model; a named job with models gets <name>-<model>; seeds default to 0", () => {
    const text = "globals: {experiment_name: e}\njobs:\n  - name: grid\n    dataset_slug: d\n    models: [pca, mofa]\n    model_params: {device: cpu}\n";
    const jobs = loadManifestText(text, "m.yaml").benchmark.spec.jobs;
    assert.deepEqual(jobs.map((j) => [j.name, j.params, j.seeds]), [
      ["grid-pca", { device: "cpu" }, [0]],
      ["grid-mofa", { device: "cpu" }, [0]],
    ]);
    jobs[0]!.params.device = "cuda";
    assert.equal(jobs[1]!.params.device, "cpu", "each job owns its params object");
  });

  test("models without a section in keyed model_params get no parameters", () => {
    const text = "globals: {experiment_name: e}\njobs:\n  - dataset_slug: d\n    models: [pca, mofa]\n    model_params: {pca: {n_components: 3}}\n";
    assert.deepEqual(loadManifestText(text, "m.yaml").benchmark.spec.jobs.map((j) => j.params), [{ n_components: 3 }, {}]);
  });

  test("generated job names that collide get a numbered suffix", () => {
    const text = "globals: {experiment_name: e}\njobs:\n  - {dataset_slug: d, model_name: pca}\n  - {dataset_slug: d, model_name: pca, model_params: {n_components: 3}}\n";
    assert.deepEqual(loadManifestText(text, "m.yaml").benchmark.spec.jobs.map((j) => j.name), ["d-pca", "d-pca-2"]);
  });

  test("every job option is carried over", () => {
    const text = `schema_version: "1"
globals: {experiment_name: e, backend: local, strict: true, host_ram_gb: 16, mv_contract_version: "1"}
jobs:
  - dataset_slug: d
    model_name: pca
    gpu: true
    mem_limit: 1.5g
    cpus: 2.5
    preprocessing: {hvg: 2000}
    mode: train
    backend: docker
    retries: 2
    timeout_seconds: 600
`;
    const { benchmark } = loadManifestText(text, "m.yaml");
    assert.equal(benchmark.spec.backend, "local");
    assert.equal(benchmark.spec.strict, true);
    assert.equal(benchmark.spec.hostRamGb, 16);
    assert.deepEqual(benchmark.spec.jobs[0], {
      name: "d-pca",
      dataset: "d",
      model: "pca",
      params: {},
      seeds: [0],
      gpu: true,
      memLimit: "1536m",
      cpus: 2.5,
      preprocessing: { hvg: 2000 },
      mode: "train",
      backend: "docker",
      retries: 2,
      timeoutSeconds: 600,
    });
  });

  test("mem_limit given as bytes is normalised", () => {
    const text = "globals: {experiment_name: e}\njobs: [{dataset_slug: d, model_name: pca, mem_limit: 536870912}]\n";
    assert.equal(loadManifestText(text, "m.yaml").benchmark.spec.jobs[0]!.memLimit, "512m");
  });

  test("loadManifestFile reads a real file and resolves relative dataset paths against its directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "mv-manifest-"));
    try {
      mkdirSync(join(dir, "conf"));
      writeFileSync(join(dir, "conf", "run.yaml"), "globals: {experiment_name: e}\ndatasets:\n  d: {path: ../data/d.h5mu}\n  abs: {path: /srv/x.h5mu}\njobs: [{dataset_slug: d, model_name: pca}]\n");
      const result = loadManifestFile(join(dir, "conf", "run.yaml"));
      assert.deepEqual(result.datasets.map((d) => d.spec.path), [join(dir, "data", "d.h5mu"), "/srv/x.h5mu"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("experiment names become DNS-1123 names", () => {
    assert.equal(benchmarkName("PBMC Baselines (v2)"), "pbmc-baselines-v2");
    assert.equal(benchmarkName("__"), "benchmark");
    const long = benchmarkName(`${"a".repeat(62)} b`);
    assert.equal(long, "a".repeat(62), "no trailing dash after truncation");
  });
});

describe("simple-mode manifest", () => {
  const simple = `schema_version: "1"
globals:
  mv_contract_version: "1"
jobs:
  - name: demo_pca
    model: {slug: pca, version: "1.0.0", image: "multiverse-pca:1.0.0", image_digest: "sha256:${"a".repeat(64)}", gpu: true}
    dataset: {slug: demo, path: processed.h5mu, n_obs: 100}
    params: {n_components: 20}
    seed: 3
  - name: demo_pca_default_seed
    model: {slug: pca, version: "1.0.0", image: "multiverse-pca:1.0.0", image_digest: "sha256:${"a".repeat(64)}"}
    dataset: {slug: demo, path: processed.h5mu}
`;

  test("inline models and datasets, one job per entry, simple layout", () => {
    const result = loadManifestText(simple, "/runs/s.yaml");
    assert.equal(result.format, "simple");
    assert.equal(result.benchmark.spec.layout, "simple");
    assert.deepEqual(result.benchmark.spec.jobs.map((j) => [j.name, j.seeds, j.params, j.gpu]), [
      ["demo_pca", [3], { n_components: 20 }, true],
      ["demo_pca_default_seed", [0], {}, undefined],
    ]);
    assert.deepEqual(result.models, [
      {
        apiVersion: "multiverse.io/v1alpha1",
        kind: "Model",
        metadata: { name: "pca" },
        spec: {
          slug: "pca",
          version: "1.0.0",
          contractVersion: "1",
          supportedOmics: [],
          runtime: { image: "multiverse-pca:1.0.0", imageDigest: `sha256:${"a".repeat(64)}` },
          hyperparametersSchema: {},
        },
      },
    ]);
    assert.deepEqual(result.datasets.map((d) => [d.metadata.name, d.spec.path, d.spec.nObs]), [["demo", "/runs/processed.h5mu", 100]]);
  });

  test("the simple option selects the format even when no job has a model mapping yet", () => {
    const text = "jobs:\n  - name: a\n    dataset_slug: d\n";
    assert.throws(() => loadManifestText(text, "s.yaml", { simple: true }), (e: unknown) => e instanceof MultiverseError && /missing required field "model"/.test(e.message) && e.details.some((d) => /unknown field "dataset_slug"/.test(d)));
    assert.throws(() => loadManifestText(text, "s.yaml"), /missing required field "globals"/, "without the option it is read as a run manifest");
  });
});

describe("resource documents", () => {
  test("Dataset + Model + Benchmark", () => {
    const text = `apiVersion: multiverse.io/v1alpha1
kind: Dataset
metadata: {name: tiny}
spec: {path: tiny.h5mu, batchKey: batch}
---
apiVersion: multiverse.io/v1alpha1
kind: Model
metadata: {name: mine, labels: {team: a}}
spec:
  slug: mine
  version: "2"
  runtime: {image: "me/mine:2"}
---
apiVersion: multiverse.io/v1alpha1
kind: Benchmark
metadata: {name: bench, generation: 3}
spec:
  experimentName: bench
  jobs:
    - {name: j, dataset: tiny, model: mine, seeds: [0, 1], memLimit: 1024m}
`;
    const result = loadManifestText(text, join("/m", "r.yaml"));
    assert.equal(result.format, "resources");
    assert.equal(result.datasets[0]!.spec.path, "/m/tiny.h5mu");
    assert.equal(result.datasets[0]!.spec.batchKey, "batch");
    assert.equal(result.models[0]!.spec.contractVersion, "1");
    assert.deepEqual(result.models[0]!.spec.supportedOmics, []);
    assert.deepEqual(result.models[0]!.spec.hyperparametersSchema, {});
    assert.equal(result.benchmark.metadata.generation, 3);
    assert.deepEqual(result.benchmark.spec.jobs[0], { name: "j", dataset: "tiny", model: "mine", seeds: [0, 1], memLimit: "1g", params: {} });
  });

  test("a Benchmark alone is enough (datasets and models come from the catalog)", () => {
    const text = "apiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata: {name: b}\nspec: {experimentName: e, jobs: [{name: j, dataset: d, model: pca, seeds: [0], params: {n_components: 4}}]}\n";
    const result = loadManifestText(text, "b.yaml");
    assert.deepEqual(result.benchmark.spec.jobs[0]!.params, { n_components: 4 });
    assert.deepEqual([result.datasets, result.models], [[], []]);
  });
});
