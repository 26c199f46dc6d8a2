/**
 * migrate and migrate-state-dir through the real CLI on copies of the layout-1 fixture (test/fixtures/state-root-v1,
 * written by `multiverse run`): a version-less root is refused with the command to run, migrates once, keeps its
 * bundle; a relocated root is read, exported and verified at its new place.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { STATE_LAYOUT_VERSION } from "../../src/state/format-version.js";
import { repoRoot } from "../../src/util/paths.js";
import { cliSync } from "../helpers/cli.js";

const FIXTURE = join(repoRoot(), "test/fixtures/state-root-v1");
/** This version's layout (migrate-state-dir moves a current root; an older one is migrated first). */
const CURRENT_FIXTURE = join(repoRoot(), `test/fixtures/state-root-v${STATE_LAYOUT_VERSION}`);

describe("migrate and migrate-state-dir on the fixture", () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "mv-migrate-"));
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("a root without VERSION is refused until migrated, migrates once, and its bundle is untouched", () => {
    const root = join(work, "old");
    cpSync(FIXTURE, root, { recursive: true });
    rmSync(join(root, "VERSION"));
    const manifestBefore = readFileSync(join(root, "store/artifacts/339cc3a82bf8-87ee05-a1/artifact_manifest.json"));
    const refused = cliSync(["get", "runs", "--state-root", root]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /MV_STATE_NEEDS_MIGRATION/);
    assert.match(refused.stderr, new RegExp(`multiverse migrate --state-root ${root}`));
    const preview = cliSync(["migrate", "--state-root", root, "--dry-run"]);
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(preview.stdout, new RegExp(`would migrate .* from layout version 0 to ${STATE_LAYOUT_VERSION}`));
    assert.equal(existsSync(join(root, "VERSION")), false);
    assert.equal(cliSync(["migrate", "--state-root", root]).code, 0);
    const again = cliSync(["migrate", "--state-root", root]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, new RegExp(`already migrated \\(layout version ${STATE_LAYOUT_VERSION}\\)[^\\n]*\\[MV_ALREADY_MIGRATED\\]`));
    const runs = cliSync(["get", "runs", "--state-root", root]);
    assert.equal(runs.code, 0, runs.stderr);
    assert.match(runs.stdout, /ok-s0-339cc3a8 .*ARTIFACT_SUCCESS/);
    assert.equal(cliSync(["rebuild-index", "--verify", "--state-root", root]).code, 0);
    assert.deepEqual(readFileSync(join(root, "store/artifacts/339cc3a82bf8-87ee05-a1/artifact_manifest.json")), manifestBefore);
  });

  test("migrate-state-dir previews, then moves; the moved root is read and exported at its new place", () => {
    const from = join(work, "a");
    const to = join(work, "b");
    cpSync(CURRENT_FIXTURE, from, { recursive: true });
    const preview = cliSync(["migrate-state-dir", "--from", from, "--to", to]);
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(preview.stdout, /would move .* preview: pass --apply/);
    assert.equal(existsSync(to), false);
    assert.equal(cliSync(["migrate-state-dir", "--from", from, "--to", join(from, "inner"), "--apply"]).code, 2);
    const moved = cliSync(["migrate-state-dir", "--from", from, "--to", to, "--apply", "--json"]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(existsSync(from), false);
    assert.equal(cliSync(["get", "runs", "--state-root", to]).code, 0);
    const exported = cliSync(["export", "run", "ok", "--state-root", to, "--to", join(work, "crate")]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.ok(existsSync(join(work, "crate", "ro-crate-metadata.json")));
    assert.equal(cliSync(["migrate-state-dir", "--from", from, "--to", join(work, "c")]).code, 2, "a missing --from is refused");
  });
});
