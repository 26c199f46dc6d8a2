/**
 * The state root in test/fixtures/state-root-v1 was written by the real CLI at layout version 1. The current code
 * must read it as it is, or ship a migration from its version; and `migrate` must bring the version-less (layout 0)
 * form of it up to date once, without rewriting its bundle.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { verifyBundle } from "../../../src/artifacts/verify.js";
import { isMultiverseError } from "../../../src/domain/errors.js";
import { rebuildIndex, verifyIndex, RunIndex, indexPath } from "../../../src/index/run-index.js";
import { readJournal } from "../../../src/journal/journal.js";
import { planMigration, STATE_LAYOUT_VERSION } from "../../../src/state/format-version.js";
import { migrateStateRoot } from "../../../src/state/migrate.js";
import { checkStateVersion, readStateVersion } from "../../../src/state/version-file.js";
import { repoRoot } from "../../../src/util/paths.js";

/** Every layout's fixture, oldest first; the last is this version's (a format change adds one and a migration). */
const FIXTURES = ["state-root-v1", "state-root-v2"].map((name) => join(repoRoot(), "test/fixtures", name));
const FIXTURE_V1 = FIXTURES[0]!;
const CURRENT = FIXTURES.at(-1)!;

function copy(fixture: string = CURRENT): string {
  const root = join(mkdtempSync(join(tmpdir(), "mv-fixture-")), "state");
  cpSync(fixture, root, { recursive: true });
  return root;
}

function bundleHashes(root: string): Record<string, string> {
  const dir = join(root, "store/artifacts");
  const out: Record<string, string> = {};
  for (const bundle of readdirSync(dir)) {
    for (const file of readdirSync(join(dir, bundle)).sort()) out[`${bundle}/${file}`] = createHash("sha256").update(readFileSync(join(dir, bundle, file))).digest("hex");
  }
  return out;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isMultiverseError(error), String(error));
    return error.code;
  }
  return "no error";
}

describe("the state root fixtures", () => {
  test("the newest fixture is this version's layout", () => {
    assert.equal(readStateVersion(CURRENT)?.layout, STATE_LAYOUT_VERSION);
  });

  for (const fixture of FIXTURES) test(`this version reads ${fixture.split("/").at(-1)} as it is, or has a migration from its version`, () => {
    const root = copy(fixture);
    const stored = readStateVersion(root);
    assert.ok(stored);
    if (stored.layout !== STATE_LAYOUT_VERSION) {
      assert.ok(planMigration(stored.layout), `layout ${stored.layout} -> ${STATE_LAYOUT_VERSION} needs a migration step`);
      return;
    }
    checkStateVersion(root, { write: false });
    const journal = readJournal(root);
    assert.equal(journal.tornTail, undefined);
    assert.ok(journal.records.some((r) => r.type === "PROMOTED"));
    const rebuilt = rebuildIndex(root);
    assert.equal(rebuilt.runs, 1);
    assert.deepEqual(verifyIndex(root), { inSync: true, drift: [] });
    const index = RunIndex.open(indexPath(root));
    try {
      assert.deepEqual(index.listRuns().map((r) => [r.jobName, r.phase]), [["ok", "ARTIFACT_SUCCESS"]]);
    } finally {
      index.close();
    }
    rmSync(root, { recursive: true, force: true });
  });

  for (const fixture of FIXTURES) test(`the bundle of ${fixture.split("/").at(-1)} verifies with this version's verifier`, async () => {
    const [bundle] = readdirSync(join(fixture, "store/artifacts"));
    assert.ok(bundle);
    const verification = await verifyBundle(join(fixture, "store/artifacts", bundle));
    assert.deepEqual(verification.problems, []);
  });

  test("migrate refuses a root that is already current", () => {
    const root = copy();
    assert.equal(code(() => migrateStateRoot(root, { dryRun: false })), "MV_ALREADY_MIGRATED");
    rmSync(root, { recursive: true, force: true });
  });

  test("the version-less (layout 0) form is refused until migrated, migrates once, and keeps its bundle byte for byte", () => {
    const root = copy(FIXTURE_V1);
    rmSync(join(root, "VERSION"));
    const before = bundleHashes(root);
    assert.equal(code(() => checkStateVersion(root, { write: false })), "MV_STATE_NEEDS_MIGRATION");
    const preview = migrateStateRoot(root, { dryRun: true });
    assert.deepEqual([preview.from, preview.to, preview.applied], [0, STATE_LAYOUT_VERSION, false]);
    assert.equal(readStateVersion(root), undefined);
    const done = migrateStateRoot(root, { dryRun: false });
    assert.equal(done.applied, true);
    assert.equal(readStateVersion(root)?.layout, STATE_LAYOUT_VERSION);
    checkStateVersion(root, { write: false });
    assert.equal(readJournal(root).records.filter((r) => r.type === "STATE_MIGRATED").length, 1);
    assert.deepEqual(verifyIndex(root), { inSync: true, drift: [] });
    assert.deepEqual(bundleHashes(root), before);
    assert.equal(code(() => migrateStateRoot(root, { dryRun: false })), "MV_ALREADY_MIGRATED");
    rmSync(root, { recursive: true, force: true });
  });

  test("a newer layout is refused, by readers and by migrate", () => {
    const root = copy();
    const text = readFileSync(join(root, "VERSION"), "utf8").replace(/"layout":\d+/, `"layout":${STATE_LAYOUT_VERSION + 1}`);
    writeFileSync(join(root, "VERSION"), text);
    assert.equal(code(() => checkStateVersion(root, { write: false })), "MV_STATE_TOO_NEW");
    assert.equal(code(() => migrateStateRoot(root, { dryRun: true })), "MV_STATE_TOO_NEW");
    rmSync(root, { recursive: true, force: true });
  });

  test("the layout-1 fixture, written at another path, is refused until migrated; then its journal and index name its own bundle", () => {
    const root = copy(FIXTURE_V1);
    const before = bundleHashes(root);
    const journalFile = join(root, "journal/segment-000001.jsonl");
    assert.match(readFileSync(journalFile, "utf8"), /\/tmp\/ops-play\/fx\/store\//, "the fixture holds the absolute paths of where it was written");
    assert.equal(code(() => checkStateVersion(root, { write: false })), "MV_STATE_NEEDS_MIGRATION");
    const done = migrateStateRoot(root, { dryRun: false });
    assert.deepEqual([done.from, done.to], [1, STATE_LAYOUT_VERSION]);
    assert.doesNotMatch(readFileSync(journalFile, "utf8"), /ops-play\/fx/, "no path of the place it was written at is left (the dataset, outside it, keeps its path)");
    const bundle = join(root, "store/artifacts/339cc3a82bf8-87ee05-a1");
    const records = readJournal(root).records;
    assert.deepEqual(records.filter((r) => r.type === "PROMOTED").map((r) => r.type === "PROMOTED" && r.artifactDir), [bundle]);
    assert.deepEqual(records.filter((r) => r.type === "LAUNCH_INTENT").map((r) => r.type === "LAUNCH_INTENT" && r.workspaceDir), [join(root, "store/workspaces/339cc3a82bf8-87ee05-a1")]);
    assert.deepEqual(verifyIndex(root), { inSync: true, drift: [] });
    const index = RunIndex.open(indexPath(root));
    try {
      assert.deepEqual(index.listRuns().map((r) => r.artifactDir), [bundle]);
    } finally {
      index.close();
    }
    assert.deepEqual(bundleHashes(root), before);
    assert.equal(code(() => migrateStateRoot(root, { dryRun: false })), "MV_ALREADY_MIGRATED");
    rmSync(root, { recursive: true, force: true });
  });

  test("a migrated root moved elsewhere reads its bundle at the new place, index included", () => {
    const first = copy(FIXTURE_V1);
    migrateStateRoot(first, { dryRun: false });
    const moved = join(mkdtempSync(join(tmpdir(), "mv-fixture-moved-")), "elsewhere");
    cpSync(first, moved, { recursive: true });
    rmSync(first, { recursive: true, force: true });
    assert.deepEqual(verifyIndex(moved), { inSync: true, drift: [] }, "the copied index file is still right");
    const index = RunIndex.open(indexPath(moved));
    try {
      assert.deepEqual(index.listRuns().map((r) => r.artifactDir), [join(moved, "store/artifacts/339cc3a82bf8-87ee05-a1")]);
    } finally {
      index.close();
    }
    rmSync(moved, { recursive: true, force: true });
  });
});
