import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { manifestShaLine } from "../../../src/artifacts/manifest.js";
import { makeWritable, promote } from "../../../src/artifacts/promote.js";
import { findVerifiedBundle, listBundles, verifyBundle } from "../../../src/artifacts/verify.js";
import { ATTEMPT, request, RUN_ID, stateRoot, workspace, type StateRoot } from "./fixtures.js";

let state: StateRoot;
let bundle: string;

beforeEach(async () => {
  state = stateRoot("store");
  await workspace(state.layout);
  bundle = (await promote(await request(state.layout))).artifactDir;
  makeWritable(bundle); // the tests below tamper with it
});
afterEach(() => state.cleanup());

/** Rewrite the manifest and its sidecar consistently, as a careful forger would. */
function forgeManifest(edit: (manifest: Record<string, unknown>) => void): void {
  const path = join(bundle, "artifact_manifest.json");
  const manifest = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  edit(manifest);
  const text = JSON.stringify(manifest, null, 2);
  for (const file of ["artifact_manifest.json", "artifact_manifest.sha256"]) chmodSync(join(bundle, file), 0o644);
  writeFileSync(path, text);
  writeFileSync(join(bundle, "artifact_manifest.sha256"), manifestShaLine(text));
}

async function problems(): Promise<string[]> {
  const verification = await verifyBundle(bundle);
  assert.equal(verification.ok, verification.problems.length === 0);
  return verification.problems;
}

describe("verifyBundle", () => {
  test("a freshly promoted bundle verifies and returns its manifest", async () => {
    const verification = await verifyBundle(bundle);
    assert.deepEqual(verification.problems, []);
    assert.equal(verification.ok, true);
    assert.equal(verification.manifest?.physical_run_id, ATTEMPT);
  });

  test("a missing bundle, a file instead of a directory, and a symlinked bundle fail", async () => {
    assert.deepEqual((await verifyBundle(join(state.root, "nope"))).problems, [`bundle ${join(state.root, "nope")} does not exist`]);
    writeFileSync(join(state.root, "file"), "x");
    assert.match((await verifyBundle(join(state.root, "file"))).problems[0]!, /is not a directory/);
    symlinkSync(bundle, join(state.root, "link"));
    assert.match((await verifyBundle(join(state.root, "link"))).problems[0]!, /is a symlink/);
  });

  test("a changed manifest no longer matches its sidecar", async () => {
    const path = join(bundle, "artifact_manifest.json");
    chmodSync(path, 0o644);
    writeFileSync(path, readFileSync(path, "utf8").replace('"seed": 0', '"seed": 1'));
    assert.deepEqual(await problems(), ["artifact_manifest.json does not match artifact_manifest.sha256 (the manifest was changed)"]);
  });

  test("a sidecar that is not one sha256sum line, or missing manifest files, fail", async () => {
    chmodSync(join(bundle, "artifact_manifest.sha256"), 0o644);
    writeFileSync(join(bundle, "artifact_manifest.sha256"), "deadbeef\n");
    assert.match((await problems()).join(";"), /not one sha256sum line/);
    rmSync(join(bundle, "artifact_manifest.sha256"));
    assert.deepEqual(await problems(), ["artifact_manifest.sha256 is missing"]);
    rmSync(join(bundle, "artifact_manifest.json"));
    assert.deepEqual(await problems(), ["artifact_manifest.json is missing"]);
  });

  test("the manifest files themselves cannot be symlinks", async () => {
    renameSync(join(bundle, "artifact_manifest.json"), join(state.root, "outside.json"));
    symlinkSync(join(state.root, "outside.json"), join(bundle, "artifact_manifest.json"));
    assert.deepEqual(await problems(), ["artifact_manifest.json is a symlink"]);
  });

  test("an unlisted file, a missing file and a resized file are each named", async () => {
    writeFileSync(join(bundle, "sneaky.txt"), "x");
    rmSync(join(bundle, "umap.png"));
    chmodSync(join(bundle, "run.log"), 0o644);
    writeFileSync(join(bundle, "run.log"), "longer than it was before\n");
    assert.deepEqual((await problems()).sort(), [
      "run.log: size 26 differs from the manifest's 13 (the file was changed)",
      "sneaky.txt is not listed in the manifest",
      "umap.png is missing",
    ]);
  });

  test("a listed file replaced by a symlink to identical bytes fails; so does an unlisted symlink", async () => {
    writeFileSync(join(state.root, "copy.log"), readFileSync(join(bundle, "run.log")));
    rmSync(join(bundle, "run.log"));
    symlinkSync(join(state.root, "copy.log"), join(bundle, "run.log"));
    symlinkSync("/etc", join(bundle, "etc"));
    assert.deepEqual((await problems()).sort(), ["etc is not listed in the manifest (and is a symlink)", "run.log is a symlink"]);
  });

  test("a forged manifest listing a path outside the bundle is refused without reading it", async () => {
    forgeManifest((manifest) => {
      (manifest.artifacts as { path: string }[])[0]!.path = "../../../../etc/hostname";
    });
    assert.match((await problems()).join(";"), /artifacts\[0\]: path "\.\.\/\.\.\/\.\.\/\.\.\/etc\/hostname" is not a safe relative path/);
  });

  test("a forged manifest that is not the expected shape is reported, not crashed on", async () => {
    forgeManifest((manifest) => {
      manifest.artifacts = "everything";
    });
    assert.deepEqual(await problems(), ["artifact_manifest.json: artifacts is not a list"]);
    forgeManifest((manifest) => {
      manifest.artifacts = [{ path: "run.log", role: "run_log", size_bytes: -1, sha256: "xyz" }];
      delete manifest.logical_run_id;
    });
    assert.deepEqual(await problems(), [
      "artifact_manifest.json: logical_run_id is missing",
      "artifact_manifest.json: artifacts[0]: size_bytes is not a non-negative integer",
      "artifact_manifest.json: artifacts[0]: sha256 is not 64 hex digits",
    ]);
  });

  test("a nested file is checked like a top-level one", async () => {
    chmodSync(join(bundle, "extra"), 0o755);
    chmodSync(join(bundle, "extra", "notes.txt"), 0o644);
    writeFileSync(join(bundle, "extra", "notes.txt"), `notes of ${ATTEMPT}!`);
    assert.deepEqual(await problems(), ["extra/notes.txt: sha256 differs from the manifest (the file was changed)"]);
  });
});

describe("findVerifiedBundle", () => {
  test("returns the bundle of this logical run", async () => {
    const found = await findVerifiedBundle(state.layout, RUN_ID, "job");
    assert.equal(found?.dir, bundle);
    assert.equal(found?.manifest.physical_run_id, ATTEMPT);
  });

  test("returns null for a run with no bundle", async () => {
    assert.equal(await findVerifiedBundle(state.layout, "ffffffffffff000000000000", "job"), null);
  });

  test("returns null when the bundle is tampered", async () => {
    chmodSync(join(bundle, "embeddings.h5"), 0o644);
    const bytes = readFileSync(join(bundle, "embeddings.h5"));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(join(bundle, "embeddings.h5"), bytes);
    assert.equal(await findVerifiedBundle(state.layout, RUN_ID, "job"), null);
  });

  test("returns null when the bundle in the run's place belongs to another logical run", async () => {
    const other = "ffffffffffff000000000000";
    renameSync(bundle, state.layout.artifactDir(other, "job"));
    assert.equal(await findVerifiedBundle(state.layout, other, "job"), null);
  });

  test("finds a bundle promoted under another directory name (e.g. the attempt id) by its manifest", async () => {
    const attemptNamed = join(state.layout.artifactsRoot(), ATTEMPT);
    renameSync(bundle, attemptNamed);
    const found = await findVerifiedBundle(state.layout, RUN_ID, "job");
    assert.equal(found?.dir, attemptNamed);
  });

  test("simple layout: null for the bundle of another logical run under the same job name", async () => {
    const simple = stateRoot("simple");
    try {
      await workspace(simple.layout);
      await promote(await request(simple.layout, { jobName: "demo" }));
      assert.equal((await findVerifiedBundle(simple.layout, RUN_ID, "demo"))?.dir, join(simple.root, "demo"));
      assert.equal(await findVerifiedBundle(simple.layout, "ffffffffffff000000000000", "demo"), null);
      assert.equal(await findVerifiedBundle(simple.layout, RUN_ID, "other_job"), null);
    } finally {
      simple.cleanup();
    }
  });
});

describe("listBundles", () => {
  test("store layout: every directory under artifacts/, damaged ones included", async () => {
    mkdirSync(join(state.layout.artifactsRoot(), "broken"));
    writeFileSync(join(state.layout.artifactsRoot(), "stray-file"), "x");
    assert.deepEqual(listBundles(state.layout), [bundle, join(state.layout.artifactsRoot(), "broken")].sort());
  });

  test("store layout with no artifacts yet: empty", () => {
    const empty = stateRoot("store");
    try {
      assert.deepEqual(listBundles(empty.layout), []);
    } finally {
      empty.cleanup();
    }
  });

  test("simple layout: only directories with a manifest, never _failed, .multiverse or the user's own folders", async () => {
    const simple = stateRoot("simple");
    try {
      await workspace(simple.layout);
      const { artifactDir } = await promote(await request(simple.layout, { jobName: "demo" }));
      mkdirSync(join(simple.root, "_failed", "x"), { recursive: true });
      mkdirSync(join(simple.root, "notes"));
      mkdirSync(join(simple.root, "half"));
      writeFileSync(join(simple.root, "half", "artifact_manifest.sha256"), "x");
      assert.deepEqual(listBundles(simple.layout), [artifactDir, join(simple.root, "half")].sort());
    } finally {
      simple.cleanup();
    }
  });
});
