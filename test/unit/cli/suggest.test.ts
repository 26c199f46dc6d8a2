/** Edit distance and the did-you-mean of mistyped commands. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { editDistance, suggest } from "../../../src/cli/suggest.js";

const COMMANDS = ["run", "get", "describe", "cancel", "controller", "apply", "delete", "doctor", "logs", "recover", "rebuild-index", "models", "completion", "help"];

describe("editDistance", () => {
  test("insertions, deletions and substitutions cost one each", () => {
    assert.equal(editDistance("", ""), 0);
    assert.equal(editDistance("get", "get"), 0);
    assert.equal(editDistance("", "get"), 3);
    assert.equal(editDistance("get", ""), 3);
    assert.equal(editDistance("ge", "get"), 1);
    assert.equal(editDistance("gett", "get"), 1);
    assert.equal(editDistance("got", "get"), 1);
    assert.equal(editDistance("kitten", "sitting"), 3);
  });

  test("a swap of neighbours costs one, not two", () => {
    assert.equal(editDistance("gte", "get"), 1);
    assert.equal(editDistance("rnu", "run"), 1);
    assert.equal(editDistance("ab", "ba"), 1);
  });

  test("symmetric", () => {
    for (const [a, b] of [["describe", "descirbe"], ["controller", "contrller"], ["x", "models"]] as const) assert.equal(editDistance(a, b), editDistance(b, a));
  });
});

describe("suggest", () => {
  test("typos within the allowed distance are suggested, closest first", () => {
    assert.deepEqual(suggest("gte", COMMANDS), ["get"]);
    assert.deepEqual(suggest("descirbe", COMMANDS), ["describe"]);
    assert.deepEqual(suggest("contrller", COMMANDS), ["controller"]);
    assert.deepEqual(suggest("rebuild-idnex", COMMANDS), ["rebuild-index"]);
    assert.deepEqual(suggest("GET", COMMANDS), ["get"], "case does not matter");
  });

  test("a beginning of a command is suggested (desc, comp)", () => {
    assert.deepEqual(suggest("desc", COMMANDS), ["describe"]);
    assert.deepEqual(suggest("comp", COMMANDS), ["completion"]);
    assert.deepEqual(suggest("ge", COMMANDS), ["get"]);
  });

  test("several close candidates come in order of distance, then name, at most the limit", () => {
    assert.deepEqual(suggest("lgs", ["logs", "legs", "lags", "lugs", "lots"]), ["lags", "legs", "logs"]);
    assert.deepEqual(suggest("lgs", ["logs", "legs", "lags", "lugs", "lots"], 5), ["lags", "legs", "logs", "lugs"]);
  });

  test("nothing close: no suggestion rather than a wild guess", () => {
    assert.deepEqual(suggest("nonsense", COMMANDS), []);
    assert.deepEqual(suggest("x", COMMANDS), []);
    assert.deepEqual(suggest("", COMMANDS), []);
    assert.deepEqual(suggest("zzz", COMMANDS), []);
  });
});
