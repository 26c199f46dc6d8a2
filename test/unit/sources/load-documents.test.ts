import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isMultiverseError } from "../../../src/domain/errors.js";
import { hashCanonical } from "../../../src/identity/hash.js";
import { loadManifestText } from "../../../src/manifest/load-manifest.js";
import { loadResourceDocuments } from "../../../src/sources/load-documents.js";

const doc = (kind: string, name: string, spec: string) => `apiVersion: multiverse.io/v1alpha1\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
const bench = (name: string, seeds = "[0]") => doc("Benchmark", name, `{experimentName: ${name}, jobs: [{name: j, dataset: d, model: pca, seeds: ${seeds}}]}`);
const model = doc("Model", "pca", "{slug: pca, version: 1.0.0, runtime: {image: multiverse-pca:1.0.0}}");
const kinds = (loaded: ReturnType<typeof loadResourceDocuments>) => loaded.resources.map((r) => `${r.kind}/${r.name}`);
/** The repository's example manifests (this file runs compiled, from dist/test/unit/sources/). */
const repository = fileURLToPath(new URL("../../../../", import.meta.url));
const example = (path: string) => ({ path: resolve(repository, path), text: readFileSync(resolve(repository, path), "utf8") });

describe("loadResourceDocuments: Kubernetes-style documents", () => {
  test("any number of each kind per file, each with its file, line and the hash of its spec", () => {
    const text = [doc("Dataset", "d", "{path: data/d.h5mu}"), model, bench("one"), bench("two", "[0, 1]")].join("---\n");
    const loaded = loadResourceDocuments(text, "/w/all.yaml");
    assert.deepEqual(loaded.problems, []);
    assert.deepEqual(loaded.resources.map((r) => [r.kind, r.name, r.line, r.file, r.stale]), [
      ["Dataset", "d", 1, "/w/all.yaml", false],
      ["Model", "pca", 6, "/w/all.yaml", false],
      ["Benchmark", "one", 11, "/w/all.yaml", false],
      ["Benchmark", "two", 16, "/w/all.yaml", false],
    ]);
    const [dataset, pca, one, two] = loaded.resources;
    assert.equal((dataset!.resource as { spec: { path: string } }).spec.path, "/w/data/d.h5mu", "paths are relative to the file, which need not exist");
    assert.equal(one!.specHash, hashCanonical(one!.resource.spec));
    assert.notEqual(one!.specHash, two!.specHash);
    assert.equal((pca!.resource as { spec: { contractVersion: string } }).spec.contractVersion, "1", "defaults are filled in as for multiverse run");
  });

  test("the spec hash ignores key order and formatting, and sees every change of the spec", () => {
    const block = "apiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata:\n  name: b\nspec:\n  jobs:\n    - seeds: [0]\n      model: pca\n      dataset: d\n      name: j\n  experimentName: b\n";
    const [flow] = loadResourceDocuments(bench("b"), "/w/a.yaml").resources;
    const [reordered] = loadResourceDocuments(block, "/w/b.yaml").resources;
    assert.equal(reordered!.specHash, flow!.specHash);
    const [edited] = loadResourceDocuments(bench("b", "[0, 1]"), "/w/a.yaml").resources;
    assert.notEqual(edited!.specHash, flow!.specHash);
  });

  test("zero Benchmarks is a valid file (datasets and models only)", () => {
    const loaded = loadResourceDocuments([doc("Dataset", "d", "{path: d.h5mu}"), model].join("---\n"), "/w/catalog.yaml");
    assert.deepEqual(kinds(loaded), ["Dataset/d", "Model/pca"]);
    assert.deepEqual(loaded.problems, []);
  });

  test("an unknown field is a problem with file, line, column, field and a did-you-mean; the other documents count", () => {
    const text = `${bench("good")}---\n${bench("typo").replace("spec: {", "spec: {jbos: [], ")}`;
    const loaded = loadResourceDocuments(text, "/w/mixed.yaml");
    assert.deepEqual(kinds(loaded), ["Benchmark/good"]);
    assert.equal(loaded.problems.length, 1);
    const [problem] = loaded.problems;
    assert.deepEqual({ ...problem, message: undefined }, { file: "/w/mixed.yaml", line: 9, column: 8, field: "spec.jbos", code: "MV_SCHEMA", message: undefined });
    assert.match(problem!.message, /unknown field "jbos" \(did you mean "jobs"\?\)/);
  });

  test("a value of the wrong type names the field and where it is", () => {
    const loaded = loadResourceDocuments(bench("b", "zero"), "/w/b.yaml");
    assert.deepEqual(loaded.resources, []);
    const [problem] = loaded.problems;
    assert.equal(problem!.field, "spec.jobs[0].seeds");
    assert.equal(problem!.line, 4);
    assert.match(problem!.message, /expected array, got string "zero"/);
  });

  test("an unknown kind and a document that is not a mapping are problems of their own documents", () => {
    const loaded = loadResourceDocuments([bench("good"), doc("Gadget", "x", "{}"), "- just\n- a list\n"].join("---\n"), "/w/odd.yaml");
    assert.deepEqual(kinds(loaded), ["Benchmark/good"]);
    assert.deepEqual(loaded.problems.map((p) => [p.line, p.field, p.code]), [
      [7, "kind", "MV_SCHEMA"],
      [11, "(document)", "MV_SCHEMA"],
    ]);
    assert.match(loaded.problems[0]!.message, /unknown kind "Gadget": expected Dataset, Model, Benchmark/);
  });

  test("two Benchmarks of one name in a file: the second is a duplicate problem", () => {
    const loaded = loadResourceDocuments([bench("x"), bench("x", "[7]")].join("---\n"), "/w/twice.yaml");
    assert.deepEqual(kinds(loaded), ["Benchmark/x"]);
    assert.equal(loaded.resources[0]!.line, 1, "the first one wins");
    assert.deepEqual([loaded.problems[0]!.code, loaded.problems[0]!.line, loaded.problems[0]!.field], ["MV_DUPLICATE", 6, "metadata.name"]);
    assert.match(loaded.problems[0]!.message, /Benchmark\/x is already declared in the document at line 1/);
  });

  test("malformed YAML makes the whole file one problem at the line of the mistake", () => {
    const cases: [string, number, number, RegExp][] = [
      [`${bench("a")}---\napiVersion: multiverse.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: "unclosed\nspec: {path: a.h5mu}\n`, 9, 9, /never closed/],
      [`${bench("a")}---\nkind: Dataset\nmetadata:\n  name: d\n spec: {}\n`, 9, 1, /same column/],
      ["kind: Dataset\nkind: Model\n", 2, 1, /unique/],
    ];
    for (const [text, line, column, message] of cases) {
      const loaded = loadResourceDocuments(text, "/w/broken.yaml");
      assert.deepEqual(loaded.resources, [], "a good document next to a syntax error does not count: the file's structure is unknown");
      assert.equal(loaded.problems.length, 1);
      const [problem] = loaded.problems;
      assert.deepEqual([problem!.code, problem!.file, problem!.line, problem!.column], ["MV_YAML_SYNTAX", "/w/broken.yaml", line, column]);
      assert.match(problem!.message, message);
    }
  });

  test("a binary file is a syntax problem", () => {
    const [problem] = loadResourceDocuments("kind: Dataset\u0000\u0001", "/w/bin.yaml").problems;
    assert.equal(problem!.code, "MV_YAML_SYNTAX");
    assert.match(problem!.message, /NUL byte/);
  });

  test("an empty file or one of comments declares nothing and is no problem", () => {
    assert.deepEqual(loadResourceDocuments("", "/w/empty.yaml"), { resources: [], problems: [] });
    assert.deepEqual(loadResourceDocuments("# nothing yet\n---\n", "/w/comments.yaml"), { resources: [], problems: [] });
  });

  test("multiverse run still insists on exactly one Benchmark per file", () => {
    const text = [bench("one"), bench("two")].join("---\n");
    assert.equal(loadResourceDocuments(text, "/w/two.yaml").resources.length, 2);
    assert.throws(() => loadManifestText(text, "/w/two.yaml"), (error: unknown) => isMultiverseError(error) && /expected exactly one Benchmark document, found 2/.test(error.message));
    assert.throws(() => loadManifestText(model, "/w/none.yaml"), (error: unknown) => isMultiverseError(error) && /found 0/.test(error.message));
  });
});

describe("loadResourceDocuments: the seed manifest formats", () => {
  test("the demo run_manifest.yaml is one Benchmark with its inline datasets, paths relative to the file", () => {
    const { path, text } = example("manifests/demo/run_manifest.yaml");
    const loaded = loadResourceDocuments(text, path);
    assert.deepEqual(loaded.problems, []);
    assert.deepEqual(kinds(loaded), ["Benchmark/demo", "Dataset/pbmc68k-reduced"]);
    const benchmark = loaded.resources[0]!.resource as { spec: { jobs: { name: string; model: string; seeds: number[] }[] } };
    assert.deepEqual(benchmark.spec.jobs.map((j) => [j.name, j.model, j.seeds]), [["pca", "pca", [0, 1]], ["mofa", "mofa", [0, 1]]]);
    const dataset = loaded.resources[1]!.resource as { spec: { path: string } };
    assert.equal(dataset.spec.path, resolve(repository, "data/generated/pbmc68k-reduced.h5mu"));
    assert.ok(loaded.resources.every((r) => r.file === path && r.line === 4), "the line is where the document starts, after the comments");
  });

  test("the simple manifest is one Benchmark with its inline dataset and model", () => {
    const { path, text } = example("manifests/examples/simple_manifest.yaml");
    const loaded = loadResourceDocuments(text, path);
    assert.deepEqual(loaded.problems, []);
    assert.deepEqual(kinds(loaded), ["Benchmark/simple", "Dataset/demo-rna", "Model/pca"]);
    const model = loaded.resources[2]!.resource as { spec: { runtime: { image: string } } };
    assert.equal(model.spec.runtime.image, "multiverse-pca:1.0.0");
  });

  test("a mistake in a seed manifest is a problem with line and field, and nothing of the file counts", () => {
    const loaded = loadResourceDocuments("globals:\n  experiment_name: x\njobs:\n  - dataset_slug: d\n    model_nme: pca\n", "/w/typo.yaml");
    assert.deepEqual(loaded.resources, []);
    const [problem] = loaded.problems;
    assert.deepEqual([problem!.file, problem!.line, problem!.code], ["/w/typo.yaml", 5, "MV_SCHEMA"]);
    assert.match(problem!.message, /model_nme/);
  });

  test("a seed manifest is a single document", () => {
    const text = "globals: {experiment_name: x}\njobs: [{dataset_slug: d, model_name: pca}]\n---\nglobals: {experiment_name: y}\njobs: []\n";
    const [problem] = loadResourceDocuments(text, "/w/two.yaml").problems;
    assert.equal(problem!.line, 4);
    assert.match(problem!.message, /single YAML document/);
  });
});
