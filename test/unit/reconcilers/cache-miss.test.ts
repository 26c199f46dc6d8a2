import { test } from "node:test";
import assert from "node:assert/strict";
import { explainCacheMiss } from "../../../reconcilers/cache-miss.js";
import { runSpec } from "../../helpers/fixtures.js";

test("explainCacheMiss names every identity input that changed, down to the hyperparameter", () => {
  const before = runSpec({ params: { n_components: 5, solver: "full" } });
  assert.deepEqual(explainCacheMiss(before, runSpec({ params: { n_components: 5, solver: "full" } })), []);
  assert.deepEqual(explainCacheMiss(before, runSpec({ params: { n_components: 6, solver: "full" } })), ["params.n_components: 5 -> 6"]);
  const many = explainCacheMiss(before, runSpec({
    params: { n_components: 5 },
    datasetFingerprint: "sha256:" + "f".repeat(64),
    image: { reference: "multiverse-pca:1.0.0", kind: "registry", digest: "sha256:" + "e".repeat(64) },
    preprocessing: { normalize: "log1p" },
    modelVersion: "1.1.0",
  }));
  assert.deepEqual(many.map((c) => c.split(":")[0]), ["dataset content", "model version", "image multiverse-pca", "params.solver", "preprocessing.normalize"]);
  assert.match(many[3]!, /params\.solver: full -> \(unset\)/);
});
