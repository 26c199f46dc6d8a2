import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMultiverseError } from "../../../src/domain/errors.js";
import { readUserConfig } from "../../../src/state/config-file.js";

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "mv-config-")), "config.yaml");
  writeFileSync(path, text);
  return path;
}

function failure(path: string): { code: string; line: number | undefined; message: string } {
  try {
    readUserConfig(path);
  } catch (error) {
    assert.ok(isMultiverseError(error));
    return { code: error.code, line: error.location.line, message: error.message };
  }
  assert.fail("expected an error");
}

describe("config file", () => {
  test("a missing file is no config, an empty one sets nothing", () => {
    assert.equal(readUserConfig("/nonexistent/multiverse/config.yaml"), undefined);
    const empty = file("# nothing\n");
    assert.deepEqual(readUserConfig(empty), { file: empty });
  });

  test("state_dir is read", () => {
    const path = file("other: 1\nstate_dir: ~/state\n");
    assert.deepEqual(readUserConfig(path), { file: path, stateDir: "~/state" });
  });

  test("bad files name the file and line", () => {
    assert.deepEqual(failure(file("state_dir: [a\n")).code, "MV_YAML_SYNTAX");
    const list = failure(file("- a\n"));
    assert.equal(list.code, "MV_SCHEMA");
    const number = failure(file("x: 1\nstate_dir: 42\n"));
    assert.deepEqual([number.code, number.line], ["MV_SCHEMA", 2]);
    assert.match(number.message, /state_dir: expected a directory path/);
  });
});
