import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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
  { name: "unclosed quote (reported where it opens)", text: 'globals:\n  experiment_name: "e\njobs: []\n', code: "MV_YAML_SYNTAX", line: 2, message: /Missing closing "quote.*never closed/ },
  { name: "unclosed flow mapping", text: "globals: {experiment_name: e\njobs: []\n", code: "MV_YAML_SYNTAX", line: 2, message: /YAML syntax error: Flow map/ },
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
  { name: "negative retries", text: `${good}    retries: -1\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].retries", message: /must be >= 0, got -1/ },
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
  { name: "a document that is a list", text: "- a\n- b\n", code: "MV_SCHEMA", message: /expected a mapping at the top of the document.*got a list/ },
  { name: "a document that is a scalar", text: "hello\n", code: "MV_SCHEMA", line: 1, field: "(document)", message: /got string "hello"/ },
  { name: "a negative seed", text: `${good}    seeds: [-1]\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].seeds[0]", message: /must be >= 0, got -1/ },
  { name: "a seed numpy cannot take", text: `${good}    seeds: [4294967296]\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].seeds[0]", message: /must be <= 4294967295/ },
  { name: "a mem_limit in bytes below 4 MiB", text: `${good}    mem_limit: 1024\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].mem_limit", message: /below the 4 MiB/ },
  { name: "a mem_limit of the wrong type", text: `${good}    mem_limit: [4g]\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].mem_limit", message: /expected string or integer, got a list/ },
  { name: "a NUL byte in a dataset path", text: 'globals: {experiment_name: e}\ndatasets:\n  d: {path: "a\\0b"}\njobs: [{dataset_slug: d, model_name: pca}]\n', code: "MV_SCHEMA", line: 3, field: "datasets.d.path", message: /NUL byte/ },
  { name: "a dataset slug that is not a slug", text: "globals: {experiment_name: e}\ndatasets:\n  Bad Slug: {path: x}\njobs: [{dataset_slug: d, model_name: pca}]\n", code: "MV_SCHEMA", line: 3, field: "datasets.Bad Slug", message: /"Bad Slug" is not a valid name/ },
  { name: "a dataset without a path", text: "globals: {experiment_name: e}\ndatasets:\n  d: {label_key: x}\njobs: [{dataset_slug: d, model_name: pca}]\n", code: "MV_SCHEMA", line: 3, field: "datasets.d", message: /missing required field "path"/ },
  { name: "a job name used twice", text: `${good}    name: a\n  - name: a\n    dataset_slug: d\n    model_name: mofa\n`, code: "MV_SCHEMA", line: 7, field: "jobs[1].name", message: /job name "a" is already used by jobs\[0\]/ },
  { name: "a model listed twice", text: "globals: {experiment_name: e}\njobs:\n  - dataset_slug: d\n    models: [pca, mofa, pca]\n", code: "MV_SCHEMA", line: 4, field: "jobs[0].models[2]", message: /model "pca" is listed twice/ },
  {
    name: "model_params mixing per-model sections and plain keys",
    text: "globals: {experiment_name: e}\njobs:\n  - dataset_slug: d\n    models: [pca, mofa]\n    model_params:\n      pca: {n_components: 3}\n      n_factors: 2\n",
    code: "MV_SCHEMA",
    line: 7,
    field: "jobs[0].model_params.n_factors",
    message: /mixes per-model sections \(pca\) with "n_factors"/,
  },
  { name: "an unknown validators level", text: "globals:\n  experiment_name: e\n  validators: paranoid\njobs: [{dataset_slug: d, model_name: pca}]\n", code: "MV_SCHEMA", line: 3, field: "globals.validators", message: /expected one of "basic", "strict", "developer"/ },
  { name: "an unknown mode", text: `${good}    mode: grid\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].mode", message: /expected one of "train", "sweep", got string "grid"/ },
  { name: "a timeout of zero", text: `${good}    timeout_seconds: 0\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].timeout_seconds", message: /must be >= 1, got 0/ },
  { name: "gpu as a string", text: `${good}    gpu: "yes"\n`, code: "MV_SCHEMA", line: 6, field: "jobs[0].gpu", message: /expected boolean, got string "yes"/ },
  { name: "an empty experiment_name", text: "globals:\n  experiment_name: ''\njobs: [{dataset_slug: d, model_name: pca}]\n", code: "MV_SCHEMA", line: 2, field: "globals.experiment_name", message: /must not be empty/ },
  { name: "two documents without apiVersion/kind", text: `${good}---\n${good}`, code: "MV_SCHEMA", line: 7, message: /single YAML document/ },
  { name: "a resource document without kind", text: "apiVersion: multiverse.io/v1alpha1\nmetadata: {name: x}\nspec: {}\n", code: "MV_SCHEMA", line: 1, field: "kind", message: /missing required field "kind"/ },
  {
    name: "a resource with the wrong apiVersion",
    text: "apiVersion: multiverse.io/v1\nkind: Dataset\nmetadata: {name: d}\nspec: {path: x}\n",
    code: "MV_SCHEMA",
    line: 1,
    field: "apiVersion",
    message: /must be "multiverse.io\/v1alpha1", got string "multiverse.io\/v1"/,
  },
  {
    name: "two Benchmarks",
    text: "apiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata: {name: a}\nspec: {experimentName: e, jobs: [{name: j, dataset: d, model: pca, seeds: [0]}]}\n---\napiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata: {name: b}\nspec: {experimentName: e, jobs: [{name: j, dataset: d, model: pca, seeds: [0]}]}\n",
    code: "MV_SCHEMA",
    line: 6,
    message: /exactly one Benchmark document, found 2/,
  },
  {
    name: "a Dataset declared twice",
    text: "apiVersion: multiverse.io/v1alpha1\nkind: Dataset\nmetadata: {name: d}\nspec: {path: x}\n---\napiVersion: multiverse.io/v1alpha1\nkind: Dataset\nmetadata: {name: d}\nspec: {path: y}\n",
    code: "MV_SCHEMA",
    line: 8,
    field: "metadata.name",
    message: /Dataset\/d is already declared in the document at line 1/,
  },
  {
    name: "a Benchmark job with an unknown field and a bad memLimit",
    text: "apiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata: {name: b}\nspec:\n  experimentName: e\n  jobs:\n    - name: j\n      dataset: d\n      model: pca\n      seeds: [0]\n      memLimit: lots\n      seed: 1\n",
    code: "MV_SCHEMA",
    line: 11,
    field: "spec.jobs[0].memLimit",
    message: /does not match the expected format.*and 1 more problem/,
  },
  {
    name: "a Model resource with a bad image digest",
    text: "apiVersion: multiverse.io/v1alpha1\nkind: Model\nmetadata: {name: m}\nspec:\n  slug: m\n  version: '1'\n  runtime: {image: i, imageDigest: 'sha256:abc'}\n",
    code: "MV_SCHEMA",
    line: 7,
    field: "spec.runtime.imageDigest",
    message: /does not match the expected format/,
  },
  {
    name: "a simple manifest with a version that YAML reads as a number",
    text: "jobs:\n  - name: a\n    model: {slug: pca, version: 1.0, image: i}\n    dataset: {slug: d, path: /x.h5mu}\n",
    code: "MV_SCHEMA",
    line: 3,
    field: "jobs[0].model.version",
    message: /expected string, got number 1 \(put the value in quotes/,
  },
  {
    name: "a simple manifest with one slug for two files",
    text: "jobs:\n  - name: a\n    model: {slug: pca, version: '1', image: i}\n    dataset: {slug: d, path: /x.h5mu}\n  - name: b\n    model: {slug: pca, version: '1', image: i}\n    dataset: {slug: d, path: /y.h5mu}\n",
    code: "MV_SCHEMA",
    line: 7,
    field: "jobs[1].dataset.slug",
    message: /names two different files/,
  },
  {
    name: "a simple manifest with n_obs of zero",
    text: "jobs:\n  - name: a\n    model: {slug: pca, version: '1', image: i}\n    dataset: {slug: d, path: /x.h5mu, n_obs: 0}\n",
    code: "MV_SCHEMA",
    line: 4,
    field: "jobs[0].dataset.n_obs",
    message: /must be >= 1, got 0/,
  },
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

  test("conversion problems (after the schema) are also reported together", () => {
    const text = "globals: {experiment_name: e}\njobs:\n  - dataset_slug: d\n    mem_limit: lots\n  - dataset_slug: d\n    model_name: pca\n    models: [pca]\n";
    assert.throws(
      () => loadManifestText(text, FILE),
      (error: unknown) => {
        assert.ok(error instanceof MultiverseError);
        assert.equal(error.location.line, 3);
        assert.match(error.message, /missing the model.*and 1 more problem in this manifest/);
        assert.deepEqual(error.details, [`${FILE}:5:5: jobs[1]: give either "model_name" or "models", not both`]);
        return true;
      },
    );
  });

  test("a missing file names the path", () => {
    assert.throws(() => loadManifestFile("/nonexistent/m.yaml"), (e: unknown) => e instanceof MultiverseError && e.code === "MV_FILE_NOT_FOUND" && /nonexistent\/m\.yaml does not exist/.test(e.message));
  });

  test("a directory is not a manifest", () => {
    const dir = mkdtempSync(join(tmpdir(), "mv-manifest-"));
    try {
      assert.throws(() => loadManifestFile(dir), (e: unknown) => e instanceof MultiverseError && e.code === "MV_FILE_NOT_FOUND" && /is not a file/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the column of the offending node is reported too", () => {
    assert.throws(
      () => loadManifestText(`${good}    retries: -1\n`, FILE),
      (e: unknown) => e instanceof MultiverseError && e.location.column === 14 && e.format().startsWith(`${FILE}:6:14: jobs[0].retries: must be >= 0`),
    );
  });
});
