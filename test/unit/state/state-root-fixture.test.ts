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

const FIXTURE = join(repoRoot(), "test/fixtures/state-root-v1");

function copy(): string {
  const root = join(mkdtempSync(join(tmpdir(), "mv-fixture-")), "state");
  cpSync(FIXTURE, root, { recursive: true });
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

describe("the layout-1 state root fixture", () => {
  test("this version reads it as it is, or has a migration from its version", () => {
    const root = copy();
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

  test("its bundle verifies with this version's verifier", async () => {
    const [bundle] = readdirSync(join(FIXTURE, "store/artifacts"));
    assert.ok(bundle);
    const verification = await verifyBundle(join(FIXTURE, "store/artifacts", bundle));
    assert.deepEqual(verification.problems, []);
  });

  test("migrate refuses a root that is already current", () => {
    const root = copy();
    assert.equal(code(() => migrateStateRoot(root, { dryRun: false })), "MV_ALREADY_MIGRATED");
    rmSync(root, { recursive: true, force: true });
  });

  test("the version-less (layout 0) form is refused until migrated, migrates once, and keeps its bundle byte for byte", () => {
    const root = copy();
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
});
