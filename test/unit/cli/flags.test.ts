/** Flag values are parsed and range-checked by the parser, before a command starts. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError } from "commander";
import { integerAtLeast, nonEmpty, positiveNumber } from "../../../src/cli/flags.js";
import { cliSync } from "../../helpers/cli.js";

describe("flag parsers", () => {
  test("integerAtLeast", () => {
    const seed = integerAtLeast("--seed", 0);
    assert.equal(seed("0"), 0);
    assert.equal(seed(" 42 "), 42);
    for (const bad of ["", "x", "1.5", "1e3", "0x10", "-1", "99999999999999999999"]) assert.throws(() => seed(bad), InvalidArgumentError, bad);
    assert.throws(() => integerAtLeast("--max-concurrent", 1)("0"), /--max-concurrent must be at least 1, got 0/);
    assert.throws(() => seed("abc"), /--seed must be an integer, got "abc"/);
  });

  test("positiveNumber", () => {
    const minutes = positiveNumber("--time-minutes");
    assert.equal(minutes("1.5"), 1.5);
    for (const bad of ["", " ", "0", "-1", "Infinity", "NaN", "x"]) assert.throws(() => minutes(bad), /--time-minutes must be a number above 0/, bad);
  });

  test("nonEmpty", () => {
    assert.equal(nonEmpty("--watch")("dir"), "dir");
    assert.throws(() => nonEmpty("--watch")("  "), /--watch must not be empty/);
  });
});

describe("bad flag values exit 2 with the flag named, no stack trace", () => {
  for (const argv of [
    ["run", "--manifest", "m.yaml", "--output", "o", "--max-concurrent", "0"],
    ["run", "--manifest", "m.yaml", "--output", "o", "--seed", "-1"],
    ["run", "--manifest", "m.yaml", "--output", "o", "--backend", "kubernetes"],
    ["run", "--manifest", "", "--output", "o"],
    ["controller", "--watch", "w", "--poll-interval-ms", "0"],
    ["controller", "--watch", "w", "--debounce-ms", "-5"],
    ["controller", "--watch", ""],
    ["cancel", "run", "x", "--timeout-seconds", "soon"],
    ["apply", "-f", "x.yaml", "--timeout-seconds", "-1"],
    ["slurm-submit", "--model-slug", "m", "--dataset-slug", "d", "--mem-gb", "0"],
    ["get", "runs", "-o", "xml"],
  ]) {
    test(argv.join(" "), () => {
      const result = cliSync(argv);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /error: /);
      assert.doesNotMatch(result.stderr, /\n\s+at |internal error/);
    });
  }
});
