import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, realpathSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { assertInside, isSafeRelativePath, storeLayout } from "../../../src/artifacts/layout.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { tempDir } from "../../helpers/fixtures.js";

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir("layout"));
  root = realpathSync(root);
});
afterEach(() => cleanup());

const pathEscape = (e: unknown) => e instanceof MultiverseError && e.code === "MV_PATH_ESCAPE";

describe("store layout paths", () => {
  test("store layout: everything under <root>/store, bundles by logical run id, no failed copy", () => {
    const layout = storeLayout(root, "store");
    assert.equal(layout.workspaceDir("r1-own-a1"), join(root, "store", "workspaces", "r1-own-a1"));
    assert.equal(layout.stagingDir("r1-own-a1"), join(root, "store", "staging", "r1-own-a1"));
    assert.equal(layout.artifactDir("run1", "job"), join(root, "store", "artifacts", "run1"));
    assert.equal(layout.failedDir("run1", "job"), null);
    assert.equal(layout.artifactsRoot(), join(root, "store", "artifacts"));
    assert.ok(layout.quarantineDir("r1-own-a1").startsWith(join(root, "store", "quarantine", "r1-own-a1-")));
  });

  test("simple layout: bundles at <out>/<job>, failures at <out>/_failed/<job>, machinery under .multiverse", () => {
    const layout = storeLayout(root, "simple");
    assert.equal(layout.artifactDir("run1", "demo_pca"), join(root, "demo_pca"));
    assert.equal(layout.failedDir("run1", "demo_pca"), join(root, "_failed", "demo_pca"));
    assert.equal(layout.workspaceDir("a1"), join(root, ".multiverse", "store", "workspaces", "a1"));
    assert.equal(layout.stagingDir("a1"), join(root, ".multiverse", "store", "staging", "a1"));
    assert.ok(layout.quarantineDir("a1").startsWith(join(root, ".multiverse", "store", "quarantine", "a1-")));
  });

  test("a relative root is made absolute", () => {
    assert.equal(storeLayout("relative/out", "store").root, join(process.cwd(), "relative", "out"));
  });

  test("quarantine directories are never reused", () => {
    const layout = storeLayout(root, "store");
    const names = new Set(Array.from({ length: 50 }, () => layout.quarantineDir("a1")));
    assert.equal(names.size, 50);
  });

  test("names with separators or dot segments are refused", () => {
    const layout = storeLayout(root, "store");
    for (const bad of ["../evil", "a/b", "..", ".", "", "a b"]) {
      assert.throws(() => layout.workspaceDir(bad), pathEscape, bad);
      assert.throws(() => layout.artifactDir(bad, "job"), pathEscape, bad);
    }
    assert.throws(() => storeLayout(root, "simple").artifactDir("run", ".."), /cannot be used as a directory name/);
  });

  test("simple layout: job names that would clobber _failed or .multiverse are refused", () => {
    const layout = storeLayout(root, "simple");
    for (const reserved of ["_failed", ".multiverse", ".hidden"]) {
      assert.throws(() => layout.artifactDir("run", reserved), /reserved in the simple layout/, reserved);
      assert.throws(() => layout.failedDir("run", reserved), /reserved/, reserved);
    }
    // The store layout names bundles by run id, so a job name does not matter there.
    assert.equal(storeLayout(root, "store").artifactDir("run", "_failed"), join(root, "store", "artifacts", "run"));
  });
});

describe("assertInside", () => {
  test("accepts paths inside, existing or not, and returns them resolved", () => {
    mkdirSync(join(root, "sub"));
    assert.equal(assertInside(root, "sub/file"), join(root, "sub", "file"));
    assert.equal(assertInside(root, "new/deeper/file"), join(root, "new", "deeper", "file"));
    assert.equal(assertInside(root, join(root, "sub")), join(root, "sub"));
    assert.equal(assertInside(root, "sub/../other"), join(root, "other"));
    assert.equal(assertInside(root, "."), root);
  });

  test("refuses .. and absolute paths elsewhere", () => {
    for (const bad of ["..", "../x", "sub/../../x", "/etc/passwd", "/nonexistent-top-level-dir/x", join(root, "..", "sibling")]) {
      assert.throws(() => assertInside(root, bad), pathEscape, bad);
    }
  });

  test("refuses symlinks that resolve outside, as the last component or on the way", () => {
    const base = join(root, "base");
    mkdirSync(base);
    symlinkSync("/etc", join(base, "link"));
    symlinkSync("/etc/hostname", join(base, "file-link"));
    symlinkSync("../..", join(base, "up"));
    assert.throws(() => assertInside(base, "link/passwd"), pathEscape);
    assert.throws(() => assertInside(base, "link"), pathEscape);
    assert.throws(() => assertInside(base, "file-link"), pathEscape);
    assert.throws(() => assertInside(base, "up/missing/file"), pathEscape);
    assert.throws(() => assertInside(base, "link/passwd"), /resolves to \/etc\/passwd, outside/);
  });

  test("accepts a symlink that stays inside, and a root that is itself reached through a symlink", () => {
    mkdirSync(join(root, "real"));
    symlinkSync("real", join(root, "alias"));
    assert.equal(assertInside(root, "alias/x"), join(root, "real", "x"));
    symlinkSync(root, join(root, "real", "root-link"));
    assert.equal(assertInside(join(root, "real", "root-link"), "real/x"), join(root, "real", "x"));
  });

  test("refuses a symlink loop instead of treating it as a missing path", () => {
    symlinkSync("loop-b", join(root, "loop-a"));
    symlinkSync("loop-a", join(root, "loop-b"));
    assert.throws(() => assertInside(root, "loop-a/x"), (e: unknown) => pathEscape(e) && /cannot be resolved/.test((e as Error).message));
  });
});

test("isSafeRelativePath", () => {
  for (const ok of ["a", "a/b.txt", "dir/sub/file name.png", "..hidden", "a..b"]) assert.equal(isSafeRelativePath(ok), true, ok);
  for (const bad of ["", "/a", "a//b", "a/", "./a", "a/./b", "..", "a/../b", "a\0b"]) assert.equal(isSafeRelativePath(bad), false, bad);
});
