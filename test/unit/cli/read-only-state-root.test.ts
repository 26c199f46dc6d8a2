/**
 * A state root on a read-only file system (a read-only bind mount, as root) is the user's to fix, not a crash:
 * every command says what cannot be written, exits 2, and prints no stack trace.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeStorageFailure } from "../../../src/domain/storage-errors.js";
import { repoRoot } from "../../../src/util/paths.js";
import { cliSync } from "../../helpers/cli.js";
import { tempDir } from "../../helpers/fixtures.js";

function readOnlyMountUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "a read-only bind mount needs root";
  const probe = spawnSync("mount", ["--version"], { encoding: "utf8" });
  return probe.status === 0 ? undefined : "mount(8) is not available";
}

describe("storage failures as user errors", () => {
  test("errno and SQLite codes are described; other errors are not", () => {
    const erofs = Object.assign(new Error("EROFS: read-only file system, open '/x/journal/segment-000001.jsonl'"), { code: "EROFS", path: "/x/journal/segment-000001.jsonl" });
    assert.equal(describeStorageFailure(erofs), "cannot write /x/journal/segment-000001.jsonl: the file system is read-only (EROFS)");
    assert.match(describeStorageFailure(Object.assign(new Error("no space"), { code: "ENOSPC" }))!, /the disk is full \(ENOSPC\)/);
    assert.match(describeStorageFailure(Object.assign(new Error("unable to open database file"), { code: "SQLITE_CANTOPEN" }))!, /index cannot be opened/);
    assert.match(describeStorageFailure(Object.assign(new Error("attempt to write a readonly database"), { code: "SQLITE_READONLY_DBMOVED" }))!, /index is read-only/);
    assert.equal(describeStorageFailure(new Error("plain")), undefined);
    assert.equal(describeStorageFailure(Object.assign(new Error("x"), { code: "ERR_SOMETHING" })), undefined);
  });
});

const skip = readOnlyMountUnavailable();

describe("a read-only state root", { skip }, () => {
  let dir: string;
  let cleanup: () => void;
  let readOnly: string;
  let manifest: string;

  before(() => {
    ({ dir, cleanup } = tempDir("ro-root"));
    const writable = join(dir, "state");
    const registered = cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", writable]);
    assert.equal(registered.code, 0, registered.stderr);
    readOnly = join(dir, "ro");
    mkdirSync(readOnly);
    for (const args of [["--bind", writable, readOnly], ["-o", "remount,ro,bind", readOnly]]) {
      const mounted = spawnSync("mount", args, { encoding: "utf8" });
      assert.equal(mounted.status, 0, mounted.stderr);
    }
    manifest = join(dir, "m.yaml");
    writeFileSync(manifest, `globals:\n  experiment_name: ro\ndatasets:\n  d:\n    path: ${join(repoRoot(), "data/generated/demo-rna.h5mu")}\njobs:\n  - {dataset_slug: d, model_name: contract-test}\n`);
  });
  after(() => {
    spawnSync("umount", [readOnly]);
    cleanup();
  });

  for (const [name, args] of [
    ["get runs", () => ["get", "runs", "--state-root", readOnly]],
    ["describe run", () => ["describe", "run", "nothing", "--state-root", readOnly]],
    ["run", () => ["run", "--manifest", manifest, "--output", readOnly, "--backend", "local"]],
  ] as const) {
    test(`${name}: a clear error, exit 2, no stack trace`, () => {
      const result = cliSync(args());
      assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stderr, /read-only|cannot be opened|cannot write/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    });
  }
});
