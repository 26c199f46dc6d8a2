import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SKIPPED_NOTE } from "../../../src/artifacts/failed-evidence.js";
import { copyFailedEvidence } from "../../../src/artifacts/promote.js";
import { ATTEMPT, RUN_ID, stateRoot, workspace, type StateRoot } from "./fixtures.js";

let simple: StateRoot;
beforeEach(() => {
  simple = stateRoot("simple");
});
afterEach(() => simple.cleanup());

test("simple layout: the workspace is copied to <out>/_failed/<job>/ and stays where it was", async () => {
  const ws = await workspace(simple.layout);
  writeFileSync(join(ws, "orchestrator.log"), "run FAILED: nonzero_exit\n");
  const copied = await copyFailedEvidence(simple.layout, RUN_ID, "demo_bad", ATTEMPT);
  assert.equal(copied, join(simple.root, "_failed", "demo_bad"));
  assert.deepEqual(readFileSync(join(copied, "embeddings.h5")), readFileSync(join(ws, "embeddings.h5")));
  assert.equal(readFileSync(join(copied, "extra", "notes.txt"), "utf8"), `notes of ${ATTEMPT}\n`);
  assert.equal(readFileSync(join(copied, "orchestrator.log"), "utf8"), "run FAILED: nonzero_exit\n");
  assert.ok(existsSync(join(ws, "orchestrator.log")), "the original workspace stays");
  assert.deepEqual(readdirSync(join(simple.root, "_failed")), ["demo_bad"], "no temporary directories are left");
});

test("a later failure of the same job replaces the older copy", async () => {
  await workspace(simple.layout);
  await copyFailedEvidence(simple.layout, RUN_ID, "demo_bad", ATTEMPT);
  const second = "aaaabbbbcccc-own123-a2";
  await workspace(simple.layout, second);
  const copied = await copyFailedEvidence(simple.layout, RUN_ID, "demo_bad", second);
  assert.equal(readFileSync(join(copied!, "extra", "notes.txt"), "utf8"), `notes of ${second}\n`);
  assert.deepEqual(readdirSync(join(simple.root, "_failed")), ["demo_bad"]);
});

test("symlinks are copied as links, never followed; special files are listed, not copied", async () => {
  const ws = await workspace(simple.layout);
  symlinkSync("/etc/hostname", join(ws, "leak"));
  const fifo = spawnSync("mkfifo", [join(ws, "pipe")]);
  const copied = (await copyFailedEvidence(simple.layout, RUN_ID, "demo_bad", ATTEMPT))!;
  assert.ok(lstatSync(join(copied, "leak")).isSymbolicLink());
  assert.equal(readlinkSync(join(copied, "leak")), "/etc/hostname");
  if (fifo.status === 0) {
    assert.equal(existsSync(join(copied, "pipe")), false);
    assert.match(readFileSync(join(copied, SKIPPED_NOTE), "utf8"), /pipe: not a regular file/);
  }
});

test("no workspace, or the store layout: nothing is copied", async () => {
  assert.equal(await copyFailedEvidence(simple.layout, RUN_ID, "demo_bad", ATTEMPT), null);
  const store = stateRoot("store");
  try {
    await workspace(store.layout);
    assert.equal(await copyFailedEvidence(store.layout, RUN_ID, "demo_bad", ATTEMPT), null, "the store layout keeps failed workspaces in place");
    assert.equal(existsSync(join(store.root, "_failed")), false);
  } finally {
    store.cleanup();
  }
});
