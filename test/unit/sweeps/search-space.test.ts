import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MultiverseError } from "../../../src/domain/errors.js";
import type { SearchDimensionSpec } from "../../../src/domain/resources.js";
import { checkSearchSpace, searchSpaceIssues, withinDimension } from "../../../src/sweeps/search-space.js";

const schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    n_components: { type: "integer", minimum: 2, maximum: 200, default: 20, "x-sweepable": true },
    learning_rate: { type: "number", exclusiveMinimum: 0, maximum: 1, default: 0.01, "x-sweepable": true },
    dropout: { type: "number", minimum: 0, maximum: 0.9, "x-sweepable": true },
    solver: { type: "string", enum: ["full", "randomized"], default: "full", "x-sweepable": true },
    normalize: { type: "boolean", default: true, "x-sweepable": true },
    batch_size: { type: "integer", multipleOf: 16, minimum: 16, "x-sweepable": true },
    device: { type: "string", enum: ["cpu", "cuda"], default: "cpu" },
  },
};

const ctx = { job: "jobs[0] (s)", field: "jobs[0].search_space", model: "demo", file: "m.yaml" };

function issues(space: Record<string, SearchDimensionSpec>, fixed: Record<string, unknown> = {}) {
  return searchSpaceIssues(space, schema, fixed, ctx).issues;
}

function only(space: Record<string, SearchDimensionSpec>, fixed: Record<string, unknown> = {}) {
  const found = issues(space, fixed);
  assert.equal(found.length, 1, JSON.stringify(found));
  return found[0]!;
}

describe("checkSearchSpace", () => {
  test("normalises int, float, loguniform and categorical dimensions (keys sorted)", () => {
    const space = checkSearchSpace(
      {
        solver: { type: "categorical", choices: ["full", "randomized"] },
        n_components: { type: "int", low: 2, high: 30 },
        learning_rate: { type: "loguniform", low: 0.0001, high: 0.1 },
        dropout: { type: "float", low: 0, high: 0.5, step: 0.1 },
        batch_size: { type: "int", low: 16, high: 128, step: 16 },
      },
      schema,
      {},
      ctx,
    );
    assert.deepEqual(Object.keys(space), ["batch_size", "dropout", "learning_rate", "n_components", "solver"]);
    assert.deepEqual(space.n_components, { type: "int", low: 2, high: 30, step: 1, log: false });
    assert.deepEqual(space.learning_rate, { type: "float", low: 0.0001, high: 0.1, log: true });
    assert.deepEqual(space.dropout, { type: "float", low: 0, high: 0.5, step: 0.1, log: false });
    assert.deepEqual(space.batch_size, { type: "int", low: 16, high: 128, step: 16, log: false });
    assert.deepEqual(space.solver, { type: "categorical", choices: ["full", "randomized"] });
  });

  test("log: true on int and float is a log scale", () => {
    const space = checkSearchSpace({ n_components: { type: "int", low: 2, high: 64, log: true }, learning_rate: { type: "float", low: 0.001, high: 1, log: true } }, schema, {}, ctx);
    assert.equal(space.n_components!.type === "int" && space.n_components!.log, true);
    assert.equal(space.learning_rate!.type === "float" && space.learning_rate!.log, true);
  });

  test("a field the schema does not mark x-sweepable is refused, naming the sweepable ones", () => {
    const issue = only({ device: { type: "categorical", choices: ["cpu"] } });
    assert.equal(issue.field, "jobs[0].search_space.device");
    assert.match(issue.message, /"device" is not sweepable: model demo's hyperparameter schema does not mark it x-sweepable; sweepable: n_components, learning_rate/);
  });

  test("an unknown field is refused with a suggestion", () => {
    const issue = only({ n_component: { type: "int", low: 2, high: 5 } });
    assert.match(issue.message, /unknown hyperparameter "n_component" of model demo \(did you mean "n_components"\?\)/);
  });

  test("bounds outside the schema's are refused with the allowed range", () => {
    assert.match(only({ n_components: { type: "int", low: 1, high: 10 } }).message, /low 1 is below the schema's minimum 2 \(the schema allows 2\.\.200\)/);
    const high = only({ n_components: { type: "int", low: 2, high: 500 } });
    assert.equal(high.field, "jobs[0].search_space.n_components.high");
    assert.match(high.message, /high 500 is above the schema's maximum 200/);
    assert.match(only({ learning_rate: { type: "float", low: 0, high: 0.5 } }).message, /low 0 must be above the schema's exclusiveMinimum 0/);
  });

  test("types must match the schema's", () => {
    assert.match(only({ n_components: { type: "float", low: 2, high: 5 } }).message, /is integer in the model's schema; a float range cannot sample it \(it is an integer: use type: int\)/);
    assert.match(only({ solver: { type: "int", low: 1, high: 2 } }).message, /"solver" is one of "full", "randomized" in the model's schema; an int range cannot sample it \(use type: categorical\)/);
    assert.match(only({ n_components: { type: "int", low: 2.5, high: 5 } }).message, /low must be an integer for type int, got 2\.5/);
  });

  test("categorical choices must be values the schema accepts", () => {
    const issue = only({ solver: { type: "categorical", choices: ["full", "arpack"] } });
    assert.equal(issue.field, "jobs[0].search_space.solver.choices[1]");
    assert.match(issue.message, /"arpack" is not a value "solver" accepts \(one of "full", "randomized"\)/);
    assert.match(only({ n_components: { type: "categorical", choices: [4, 500] } }).message, /500 is not a value "n_components" accepts/);
    assert.match(only({ normalize: { type: "categorical", choices: [true, true] } }).message, /listed twice/);
    assert.match(only({ normalize: { type: "categorical", choices: [{ a: 1 }] } }).message, /a choice must be a string, number, boolean or null/);
    assert.match(only({ normalize: { type: "categorical" } }).message, /needs a non-empty list of choices/);
    assert.match(only({ normalize: { type: "categorical", choices: [true], low: 1 } }).message, /low belongs to a range/);
  });

  test("ranges need low <= high, a valid step, and a positive low on a log scale", () => {
    assert.match(only({ n_components: { type: "int", low: 10, high: 5 } }).message, /high 5 is below low 10/);
    assert.match(only({ n_components: { type: "int", low: 2 } }).message, /type int needs low and high/);
    assert.match(only({ n_components: { type: "int", low: 2, high: 10, step: 3 } }).message, /high - low \(8\) is not a multiple of step 3/);
    assert.match(only({ n_components: { type: "int", low: 2, high: 64, log: true, step: 2 } }).message, /a log-scaled range cannot have a step/);
    assert.match(only({ dropout: { type: "loguniform", low: 0, high: 0.5 } }).message, /a log-scaled range needs low > 0, got 0/);
    assert.match(only({ learning_rate: { type: "loguniform", low: 0.01, high: 0.1, log: false } }).message, /type loguniform samples on a log scale/);
    assert.match(only({ n_components: { type: "int", low: 2, high: 6, choices: [1] } }).message, /choices belong to type categorical/);
  });

  test("keywords beyond the range are checked too (multipleOf)", () => {
    const found = issues({ batch_size: { type: "int", low: 20, high: 52, step: 16 } });
    assert.deepEqual(found.map((i) => i.field), ["jobs[0].search_space.batch_size.low", "jobs[0].search_space.batch_size.high"]);
    assert.match(found[0]!.message, /low 20 is not a value "batch_size" accepts \(integer, >= 16\)/);
  });

  test("a field both fixed and swept is refused", () => {
    assert.match(only({ n_components: { type: "int", low: 2, high: 5 } }, { n_components: 3 }).message, /both fixed in model_params and swept in search_space/);
  });

  test("an empty search space or a schema with no sweepable fields is refused", () => {
    assert.match(only({}).message, /the search space is empty/);
    const found = searchSpaceIssues({ x: { type: "int", low: 1, high: 2 } }, {}, {}, ctx).issues;
    assert.match(found[0]!.message, /sweepable: \(none\)/);
  });

  test("checkSearchSpace throws one MultiverseError (exit 2) naming the file and the first field, the rest as details", () => {
    assert.throws(
      () => checkSearchSpace({ device: { type: "categorical", choices: ["cpu"] }, n_components: { type: "int", low: 0, high: 5 } }, schema, {}, ctx),
      (error: unknown) => {
        assert.ok(error instanceof MultiverseError);
        assert.equal(error.exitCode, 2);
        assert.equal(error.code, "MV_HYPERPARAMETERS");
        assert.deepEqual(error.location, { file: "m.yaml", field: "jobs[0].search_space.device" });
        assert.match(error.message, /^jobs\[0\] \(s\) model demo: "device" is not sweepable/);
        assert.equal(error.details.length, 1);
        assert.match(error.details[0]!, /n_components\.low: low 0 is below the schema's minimum 2/);
        return true;
      },
    );
  });

  test("withinDimension", () => {
    assert.equal(withinDimension({ type: "int", low: 2, high: 5, step: 1, log: false }, 3), true);
    assert.equal(withinDimension({ type: "int", low: 2, high: 5, step: 1, log: false }, 3.5), false);
    assert.equal(withinDimension({ type: "float", low: 0, high: 1, log: false }, 1.5), false);
    assert.equal(withinDimension({ type: "categorical", choices: ["a", null] }, null), true);
    assert.equal(withinDimension({ type: "categorical", choices: ["a"] }, "b"), false);
  });
});
