import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadResourceDocuments } from "../../../src/sources/load-documents.js";

const doc = (kind: string, name: string, spec: string) => `apiVersion: multiverse.io/v1alpha1\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
const bench = (name: string) => doc("Benchmark", name, `{experimentName: ${name}, jobs: [{name: j, dataset: d, model: pca, seeds: [0]}]}`);

describe("loadResourceDocuments", () => {
  test("any number of each kind per file, each with its line and a spec hash", () => {
    const text = [doc("Dataset", "d", "{path: data/d.h5mu}"), bench("one"), bench("two")].join("---\n");
    const loaded = loadResourceDocuments(text, "/w/all.yaml");
    assert.deepEqual(loaded.problems, []);
    assert.deepEqual(loaded.resources.map((r) => [r.kind, r.name, r.line, r.file]), [
      ["Dataset", "d", 1, "/w/all.yaml"],
      ["Benchmark", "one", 6, "/w/all.yaml"],
      ["Benchmark", "two", 11, "/w/all.yaml"],
    ]);
    assert.equal((loaded.resources[0]!.resource as { spec: { path: string } }).spec.path, "/w/data/d.h5mu", "paths are relative to the file");
    assert.match(loaded.resources[1]!.specHash, /^[0-9a-f]{64}$/);
    assert.notEqual(loaded.resources[1]!.specHash, loaded.resources[2]!.specHash);
  });

  test("zero Benchmarks is fine (a file of datasets)", () => {
    assert.deepEqual(loadResourceDocuments(doc("Dataset", "d", "{path: d.h5mu}"), "/w/d.yaml").resources.map((r) => r.kind), ["Dataset"]);
  });

  test("a bad document is a problem with its line and field; its neighbours still count", () => {
    const text = [bench("good"), doc("Benchmark", "bad", "{experimentName: bad, jobs: [{name: j, dataset: d, model: pca, seeds: zero}]}"), doc("Gadget", "x", "{}")].join("---\n");
    const loaded = loadResourceDocuments(text, "/w/mixed.yaml");
    assert.deepEqual(loaded.resources.map((r) => r.name), ["good"]);
    assert.equal(loaded.problems.length, 2);
    assert.equal(loaded.problems[0]!.line, 9);
    assert.match(loaded.problems[0]!.field ?? "", /seeds/);
    assert.match(loaded.problems[1]!.message, /unknown kind "Gadget"/);
  });

  test("the same kind and name twice in one file: the second is a problem", () => {
    const loaded = loadResourceDocuments([bench("x"), bench("x")].join("---\n"), "/w/twice.yaml");
    assert.equal(loaded.resources.length, 1);
    assert.match(loaded.problems[0]!.message, /Benchmark\/x is already declared in the document at line 1/);
  });

  test("malformed YAML makes the whole file one problem with its line", () => {
    const loaded = loadResourceDocuments(`${bench("a")}---\nkind: [unclosed\n`, "/w/broken.yaml");
    assert.deepEqual(loaded.resources, []);
    assert.equal(loaded.problems[0]!.code, "MV_YAML_SYNTAX");
    assert.ok((loaded.problems[0]!.line ?? 0) >= 6);
  });

  test("the seeds' run_manifest.yaml is one Benchmark with its inline datasets", () => {
    const text = "globals:\n  experiment_name: Seed Demo\ndatasets:\n  d:\n    path: d.h5mu\njobs:\n  - dataset_slug: d\n    model_name: pca\n    seeds: [0, 1]\n";
    const loaded = loadResourceDocuments(text, "/w/run_manifest.yaml");
    assert.deepEqual(loaded.problems, []);
    assert.deepEqual(loaded.resources.map((r) => `${r.kind}/${r.name}`), ["Benchmark/seed-demo", "Dataset/d"]);
  });

  test("a seed manifest with a mistake is a problem naming line and field", () => {
    const loaded = loadResourceDocuments("globals:\n  experiment_name: x\njobs:\n  - dataset_slug: d\n    model_nme: pca\n", "/w/typo.yaml");
    assert.deepEqual(loaded.resources, []);
    assert.equal(loaded.problems[0]!.line, 5);
    assert.match(loaded.problems[0]!.message, /model_nme/);
  });

  test("an empty file declares nothing and is no problem", () => {
    assert.deepEqual(loadResourceDocuments("# nothing yet\n", "/w/empty.yaml"), { resources: [], problems: [] });
  });
});
