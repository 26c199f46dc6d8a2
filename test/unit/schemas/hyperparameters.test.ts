import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveHyperparameters, sweepableFields } from "../../../src/schemas/hyperparameters.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { repoRoot } from "../../../src/util/paths.js";
import { loadModelYaml, ModelCatalog } from "../../../src/catalog/models.js";

const pcaSchema = JSON.parse(readFileSync(join(repoRoot(), "store/models/pca/hyperparameters.schema.json"), "utf8")) as Record<string, unknown>;
const where = { model: "pca", job: "jobs[0] (j)" };

describe("hyperparameters", () => {
  test("defaults are applied and key order does not matter", () => {
    const a = resolveHyperparameters(pcaSchema, { svd_solver: "randomized", n_components: 10 }, where);
    const b = resolveHyperparameters(pcaSchema, { n_components: 10, svd_solver: "randomized" }, where);
    assert.deepEqual(a, { n_components: 10, svd_solver: "randomized", normalize: true, umap_random_state: 0, device: "cpu" });
    assert.deepEqual(a, b);
  });

  test("the input object is not mutated", () => {
    const params = { n_components: 10 };
    resolveHyperparameters(pcaSchema, params, where);
    assert.deepEqual(params, { n_components: 10 });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["an unknown key, with a suggestion", { n_component: 5 }, /unknown hyperparameter "n_component" \(did you mean "n_components"\?\)/],
    ["a value above the maximum", { n_components: 500 }, /n_components: must be <= 200, got number 500/],
    ["a value below the minimum", { n_components: 1 }, /n_components: must be >= 2/],
    ["a wrong type", { n_components: "ten" }, /n_components: expected integer, got string "ten"/],
    ["a value outside the enum", { svd_solver: "arpack" }, /svd_solver: expected one of "full", "randomized"/],
  ];
  for (const [what, params, message] of bad) {
    test(`refuses ${what}, naming the job, model and field`, () => {
      assert.throws(() => resolveHyperparameters(pcaSchema, params, where), (e: unknown) => e instanceof MultiverseError && e.code === "MV_HYPERPARAMETERS" && message.test(e.message) && e.message.startsWith("jobs[0] (j) model pca"));
    });
  }

  test("an empty schema accepts anything", () => {
    assert.deepEqual(resolveHyperparameters({}, { anything: [1, 2] }, where), { anything: [1, 2] });
  });

  test("sweepable fields are those marked x-sweepable", () => {
    assert.deepEqual(sweepableFields(pcaSchema), ["n_components"]);
  });
});

describe("model definitions", () => {
  test("the built-in pca model.yaml loads with its schema resolved", () => {
    const model = loadModelYaml(join(repoRoot(), "store/models/pca/model.yaml"));
    assert.equal(model.spec.slug, "pca");
    assert.equal(model.spec.runtime.image, "multiverse-pca:1.0.0");
    assert.equal((model.spec.hyperparametersSchema.properties as Record<string, unknown>).n_components !== undefined, true);
    assert.equal(new ModelCatalog([join(repoRoot(), "store/models")]).get("pca")?.spec.version, "1.0.0");
  });
});
