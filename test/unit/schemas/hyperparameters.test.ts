import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveHyperparameters, sweepableFields } from "../../../src/schemas/hyperparameters.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { repoRoot } from "../../../src/util/paths.js";

const pcaSchema = JSON.parse(readFileSync(join(repoRoot(), "store/models/pca/hyperparameters.schema.json"), "utf8")) as Record<string, unknown>;
const where = { model: "pca", job: "jobs[0] (pbmc-pca)", file: "run.yaml", line: 4 };

function refuses(schema: Record<string, unknown>, params: Record<string, unknown>, message: RegExp, field?: string): void {
  assert.throws(
    () => resolveHyperparameters(schema, params, where),
    (e: unknown) => {
      assert.ok(e instanceof MultiverseError, String(e));
      assert.equal(e.code, "MV_HYPERPARAMETERS");
      assert.match(e.message, message);
      assert.ok(e.message.startsWith("jobs[0] (pbmc-pca) model pca: "), e.message);
      assert.equal(e.location.file, "run.yaml");
      assert.equal(e.location.line, 4);
      if (field) assert.equal(e.location.field, field);
      return true;
    },
  );
}

describe("hyperparameters", () => {
  test("defaults are applied and key order does not matter", () => {
    const a = resolveHyperparameters(pcaSchema, { svd_solver: "randomized", n_components: 10 }, where);
    const b = resolveHyperparameters(pcaSchema, { n_components: 10, svd_solver: "randomized" }, where);
    assert.deepEqual(a, { n_components: 10, svd_solver: "randomized", normalize: true, umap_random_state: 0, device: "cpu" });
    assert.deepEqual(a, b);
    assert.deepEqual(resolveHyperparameters(pcaSchema, {}, where), { n_components: 20, svd_solver: "full", normalize: true, umap_random_state: 0, device: "cpu" });
  });

  test("the input object is not mutated", () => {
    const params = { n_components: 10, nested: undefined };
    delete params.nested;
    resolveHyperparameters(pcaSchema, params, where);
    assert.deepEqual(params, { n_components: 10 });
  });

  test("the message names job, model, field, limit and value", () => {
    refuses(pcaSchema, { n_components: 500 }, /^jobs\[0\] \(pbmc-pca\) model pca: n_components: must be <= 200, got 500$/, "model_params.n_components");
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["an unknown key, with a suggestion", { n_component: 5 }, /unknown hyperparameter "n_component" \(did you mean "n_components"\?\); the model accepts: n_components, svd_solver/],
    ["a value below the minimum", { n_components: 1 }, /n_components: must be >= 2, got 1/],
    ["a wrong type", { n_components: "ten" }, /n_components: expected integer, got string "ten"/],
    ["a fractional integer", { n_components: 2.5 }, /n_components: expected integer, got number 2.5/],
    ["a value outside the enum", { svd_solver: "arpack" }, /svd_solver: expected one of "full", "randomized", got string "arpack"/],
  ];
  for (const [what, params, message] of bad) test(`refuses ${what}`, () => refuses(pcaSchema, params, message));

  test("every problem is listed, the first in the message", () => {
    assert.throws(
      () => resolveHyperparameters(pcaSchema, { colour: "red", n_components: 0, device: "tpu" }, where),
      (e: unknown) => e instanceof MultiverseError && /unknown hyperparameter "colour"/.test(e.message) && e.details.length === 2,
    );
  });

  test("undeclared keys are refused even when the schema does not say additionalProperties: false", () => {
    const open = { type: "object", properties: { alpha: { type: "number", default: 1 } } };
    refuses(open, { beta: 2 }, /unknown hyperparameter "beta"; the model accepts: alpha/);
    assert.deepEqual(resolveHyperparameters(open, {}, where), { alpha: 1 });
  });

  test("a schema without properties or type still validates what it declares", () => {
    const schema = { required: ["k"] };
    refuses(schema, {}, /missing required field "k"/);
    assert.deepEqual(resolveHyperparameters(schema, { k: 1, other: true }, where), { k: 1, other: true });
  });

  test("an empty schema accepts anything, copied", () => {
    const params = { anything: [1, 2], nested: { a: 1 } };
    const resolved = resolveHyperparameters({}, params, where);
    assert.deepEqual(resolved, params);
    assert.notEqual(resolved.nested, params.nested);
  });

  test("parameters that are not a mapping are refused", () => {
    refuses(pcaSchema, [1, 2] as unknown as Record<string, unknown>, /must be a mapping/);
  });

  test("schemas with an $id can be loaded again as new objects (the catalog re-reads files)", () => {
    const schema = () => ({ $id: "https://example.org/m.json", type: "object", properties: { k: { type: "integer", default: 3 } }, additionalProperties: false });
    assert.deepEqual(resolveHyperparameters(schema(), {}, where), { k: 3 });
    assert.deepEqual(resolveHyperparameters(schema(), { k: 4 }, where), { k: 4 });
    const changed = { ...schema(), properties: { k: { type: "integer", default: 9 } } };
    assert.deepEqual(resolveHyperparameters(changed, {}, where), { k: 9 }, "a changed schema under the same $id is used");
  });

  test("a vendor keyword like x-sweepable is accepted in any schema", () => {
    const schema = { type: "object", properties: { lr: { type: "number", "x-sweepable": true, "x-unit": "1/step" } } };
    assert.deepEqual(resolveHyperparameters(schema, { lr: 0.1 }, where), { lr: 0.1 });
  });

  test("sweepable fields are those marked x-sweepable", () => {
    assert.deepEqual(sweepableFields(pcaSchema), ["n_components"]);
    assert.deepEqual(sweepableFields({}), []);
  });
});
