import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadManifestFile, loadManifestText } from "../../../src/manifest/load-manifest.js";
import { MultiverseError } from "../../../src/domain/errors.js";

const FILE = "bench/run_manifest.yaml";

interface Case {
  name: string;
  text: string;
  code: string;
  line?: number;
  field?: string;
  message: RegExp;
  simple?: boolean;
}

const good = `globals:
  experiment_name: e
jobs:
  - dataset_slug: d
    model_name: pca
`;

const cases: Case[] = [
  { name: "bad indentation", text: "globals:\n  experiment_name: e\n jobs: []\n", code: "MV_YAML_SYNTAX", line: 3, message: /YAML syntax error/ },
  { name: "unclosed quote", text: 'globals:\n  experiment_name: "e\njobs: []\n', code: "MV_YAML_SYNTAX", message: /YAML syntax error/ },
  { name: "tab indentation", text: "globals:\n\texperiment_name: e\njobs: []\n", code: "MV_YAML_SYNTAX", line: 2, message: /YAML syntax error/ },
  { name: "duplicate key", text: "globals:\n  experiment_name: e\n  experiment_name: f\njobs: []\n", code: "MV_YAML_SYNTAX", line: 3, message: /unique|duplicate/i },
  { name: "unknown top-level field", text: `${good}extras: 1\n`, code: "MV_SCHEMA", line: 6, field: "extras", message: /unknown field "extras"/ },
  { name: "unknown job field with a suggestion", text: `${good}    sedes: [1]\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].sedes", message: /unknown field "sedes" \(did you mean "seeds"\?\)/ },
  { name: "misspelled model_name", text: "globals:\n  experiment_name: e\njobs:\n  - dataset_slug: d\n    modle_name: pca\n", code: "MV_SCHEMA", line: 5, field: "jobs[0].modle_name", message: /did you mean "model_name"/ },
  { name: "seeds of the wrong type", text: `${good}    seeds: abc\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].seeds", message: /expected array, got string "abc"/ },
  { name: "a seed of the wrong type", text: `${good}    seeds: [1, two]\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].seeds[1]", message: /expected integer, got string "two"/ },
  { name: "empty seeds", text: `${good}    seeds: []\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].seeds", message: /at least 1/ },
  { name: "both model_name and models", text: `${good}    models: [mofa]\n`, code: "MV_SCHEMA", line: 4, field: "jobs[0]", message: /either "model_name" or "models", not both/ },
  { name: "neither model_name nor models", text: "globals:\n  experiment_name: e\njobs:\n  - dataset_slug: d\n", code: "MV_SCHEMA", line: 4, field: "jobs[0]", message: /missing the model/ },
  { name: "missing dataset_slug", text: "globals:\n  experiment_name: e\njobs:\n  - model_name: pca\n", code: "MV_SCHEMA", field: "jobs[0]", message: /missing required field "dataset_slug"/ },
  { name: "missing globals", text: "jobs:\n  - dataset_slug: d\n    model_name: pca\n", code: "MV_SCHEMA", message: /missing required field "globals"/ },
  { name: "missing experiment_name", text: "globals:\n  random_seed: 1\njobs:\n  - dataset_slug: d\n    model_name: pca\n", code: "MV_SCHEMA", field: "globals", message: /missing required field "experiment_name"/ },
  { name: "unknown backend", text: "globals:\n  experiment_name: e\n  backend: podman\njobs:\n  - dataset_slug: d\n    model_name: pca\n", code: "MV_SCHEMA", line: 3, field: "globals.backend", message: /expected one of "docker", "local", "slurm", "kubernetes", got string "podman"/ },
  { name: "bad mem_limit", text: `${good}    mem_limit: lots\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].mem_limit", message: /does not match|not a size/ },
  { name: "too small mem_limit", text: `${good}    mem_limit: 1k\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].mem_limit", message: /below the 4 MiB/ },
  { name: "negative retries", text: `${good}    retries: -1\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].retries", message: /must be >= 0, got number -1/ },
  { name: "no jobs", text: "globals:\n  experiment_name: e\njobs: []\n", code: "MV_SCHEMA", line: 3, field: "jobs", message: /at least 1/ },
  { name: "jobs is a mapping", text: "globals:\n  experiment_name: e\njobs:\n  a: 1\n", code: "MV_SCHEMA", field: "jobs", message: /expected array, got a mapping/ },
  { name: "a resource of unknown kind", text: "apiVersion: multiverse.io/v1alpha1\nkind: Pipeline\nmetadata: {name: x}\nspec: {}\n", code: "MV_SCHEMA", line: 2, field: "kind", message: /unknown kind "Pipeline"/ },
  {
    name: "a Benchmark with a bad name",
    text: "apiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata:\n  name: Bad_Name\nspec:\n  experimentName: e\n  jobs: [{name: j, dataset: d, model: pca, seeds: [0]}]\n",
    code: "MV_SCHEMA",
    line: 4,
    field: "metadata.name",
    message: /does not match the expected format/,
  },
  { name: "resources without a Benchmark", text: "apiVersion: multiverse.io/v1alpha1\nkind: Dataset\nmetadata: {name: d}\nspec: {path: x.h5mu}\n", code: "MV_SCHEMA", message: /exactly one Benchmark/ },
  {
    name: "simple manifest without an image",
    text: "jobs:\n  - name: a\n    model: {slug: pca, version: '1'}\n    dataset: {slug: d, path: /x.h5mu}\n",
    code: "MV_SCHEMA",
    line: 3,
    field: "jobs[0].model",
    message: /missing required field "image"/,
    simple: true,
  },
  {
    name: "simple manifest with a job name used twice",
    text: "jobs:\n  - name: a\n    model: {slug: pca, version: '1', image: i}\n    dataset: {slug: d, path: /x.h5mu}\n  - name: a\n    model: {slug: pca, version: '1', image: i}\n    dataset: {slug: d, path: /x.h5mu}\n",
    code: "MV_SCHEMA",
    line: 5,
    field: "jobs[1].name",
    message: /used twice/,
    simple: true,
  },
  { name: "an empty file", text: "", code: "MV_SCHEMA", message: /empty/ },
  { name: "a comment-only file", text: "# nothing here\n", code: "MV_SCHEMA", message: /empty/ },
  { name: "a document that is a list", text: "- a\n- b\n", code: "MV_SCHEMA", message: /expected a mapping at the top of the document, got a list/ },
  { name: "a document that is a scalar", text: "hello\n", code: "MV_SCHEMA", message: /got string/ },
];

describe("bad manifests get clear errors with file, line and field", () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.throws(
        () => loadManifestText(c.text, FILE, { simple: c.simple }),
        (error: unknown) => {
          assert.ok(error instanceof MultiverseError, `a MultiverseError, got ${String(error)}`);
          assert.equal(error.code, c.code, error.format());
          assert.equal(error.location.file, FILE);
          if (c.line !== undefined) assert.equal(error.location.line, c.line, error.format());
          if (c.field !== undefined) assert.equal(error.location.field, c.field, error.format());
          assert.match(error.message, c.message);
          assert.match(error.format(), new RegExp(`^${FILE.replace(/[.]/g, "\\.")}`));
          return true;
        },
      );
    });
  }

  test("all schema problems of a file are reported at once", () => {
    const text = "globals:\n  experiment_name: e\n  backend: nope\njobs:\n  - dataset_slug: d\n    model_name: pca\n    seeds: x\n    colour: red\n";
    assert.throws(
      () => loadManifestText(text, FILE),
      (error: unknown) => error instanceof MultiverseError && error.details.length === 2 && /and 2 more problems/.test(error.message),
    );
  });

  test("a missing file names the path", () => {
    assert.throws(() => loadManifestFile("/nonexistent/m.yaml"), (e: unknown) => e instanceof MultiverseError && e.code === "MV_FILE_NOT_FOUND" && /nonexistent/.test(e.message));
  });
});

describe("good manifests", () => {
  test("run_manifest: models[] expands per model with per-model params; seeds default to random_seed; paths resolve against the manifest", () => {
    const text = `globals:
  experiment_name: PBMC Baselines
  random_seed: 7
  skip_completed: true
  validators: strict
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
`;
    const result = loadManifestText(text, "/work/bench/run_manifest.yaml");
    assert.equal(result.format, "run_manifest");
    assert.equal(result.benchmark.metadata.name, "pbmc-baselines");
    assert.equal(result.benchmark.spec.skipCompleted, true);
    assert.equal(result.benchmark.spec.validators, "strict");
    const jobs = result.benchmark.spec.jobs;
    assert.deepEqual(jobs.map((j) => [j.name, j.model, j.params, j.seeds]), [
      ["pbmc-pca", "pca", { n_components: 30 }, [7]],
      ["pbmc-mofa", "mofa", { n_factors: 10 }, [7]],
      ["single", "pca", { n_components: 5 }, [1, 2]],
    ]);
    assert.equal(jobs[0]!.memLimit, "2g");
    assert.equal(result.datasets[0]!.spec.path, "/work/bench/data/pbmc.h5mu");
    assert.equal(result.datasets[0]!.spec.labelKey, "cell_type");
  });

  test("simple manifest: inline models and datasets, simple layout", () => {
    const text = `schema_version: "1"
globals:
  mv_contract_version: "1"
jobs:
  - name: demo_pca
    model: {slug: pca, version: "1.0.0", image: "multiverse-pca:1.0.0", image_digest: "sha256:${"a".repeat(64)}"}
    dataset: {slug: demo, path: /abs/processed.h5mu, n_obs: 100}
    params: {n_components: 20}
    seed: 3
`;
    const result = loadManifestText(text, "s.yaml");
    assert.equal(result.format, "simple");
    assert.equal(result.benchmark.spec.layout, "simple");
    assert.deepEqual(result.benchmark.spec.jobs[0]!.seeds, [3]);
    assert.equal(result.models[0]!.spec.runtime.imageDigest, `sha256:${"a".repeat(64)}`);
    assert.equal(result.datasets[0]!.spec.nObs, 100);
  });

  test("resource documents: Dataset + Model + Benchmark", () => {
    const text = `apiVersion: multiverse.io/v1alpha1
kind: Dataset
metadata: {name: tiny}
spec: {path: tiny.h5mu, batchKey: batch}
---
apiVersion: multiverse.io/v1alpha1
kind: Model
metadata: {name: mine}
spec:
  slug: mine
  version: "2"
  runtime: {image: "me/mine:2"}
---
apiVersion: multiverse.io/v1alpha1
kind: Benchmark
metadata: {name: bench}
spec:
  experimentName: bench
  jobs:
    - {name: j, dataset: tiny, model: mine, seeds: [0, 1]}
`;
    const result = loadManifestText(text, join("/m", "r.yaml"));
    assert.equal(result.format, "resources");
    assert.equal(result.datasets[0]!.spec.path, "/m/tiny.h5mu");
    assert.equal(result.models[0]!.spec.contractVersion, "1");
    assert.deepEqual(result.benchmark.spec.jobs[0]!.params, {});
  });
});
