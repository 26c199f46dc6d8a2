import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertInside, storeLayout, type StoreLayout } from "../../../src/artifacts/layout.js";
import { copyFailedEvidence, makeWritable, promote, type PromotionRequest } from "../../../src/artifacts/promote.js";
import { verifyBundle } from "../../../src/artifacts/verify.js";
import { validateWorkspace } from "../../../src/validation/index.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { runSpec, tempDir } from "../../helpers/fixtures.js";
import { goodWorkspace } from "../../helpers/workspace.js";

const ATTEMPT = "aaaabbbbcccc-own123-a1";
let root: string;
let cleanup: () => void;
let layout: StoreLayout;

beforeEach(async () => {
  ({ dir: root, cleanup } = tempDir("promote"));
  layout = storeLayout(root, "store");
  mkdirSync(layout.workspaceDir(ATTEMPT), { recursive: true });
  await goodWorkspace(layout.workspaceDir(ATTEMPT), 10);
});
afterEach(() => {
  makeWritable(root);
  cleanup();
});

async function request(overrides: Partial<PromotionRequest> = {}): Promise<PromotionRequest> {
  const validation = await validateWorkspace(layout.workspaceDir(overrides.attemptId ?? ATTEMPT), { nObs: 10, level: "basic" });
  assert.equal(validation.ok, true);
  return {
    layout,
    runId: "aaaabbbbcccc000011112222",
    attemptId: ATTEMPT,
    jobName: "job",
    spec: runSpec(),
    artifacts: validation.artifacts,
    validation: { level: "basic", warnings: [], latentShape: validation.latentShape },
    transitions: [{ from: "PENDING", to: "ADMITTED", event: "ADMIT", ts: "t" }],
    ownerToken: "own123",
    clock: () => new Date("2026-02-03T04:05:06Z"),
    ...overrides,
  };
}

describe("promotion saga", () => {
  test("writes a verified, read-only bundle and keeps the workspace", async () => {
    const result = await promote(await request());
    assert.equal(result.reused, false);
    assert.equal(result.artifactDir, join(root, "store", "artifacts", ATTEMPT));
    const manifest = JSON.parse(readFileSync(join(result.artifactDir, "artifact_manifest.json"), "utf8"));
    assert.equal(manifest.logical_run_id, "aaaabbbbcccc000011112222");
    assert.equal(manifest.physical_run_id, ATTEMPT);
    assert.equal(manifest.produced_at, "2026-02-03T04:05:06.000Z");
    assert.deepEqual(manifest.validation.latent_shape, [10, 4]);
    assert.deepEqual(manifest.artifacts.map((a: { path: string }) => a.path), ["container.log", "embeddings.h5", "job_spec.json", "metrics.json", "run.log", "umap.png"]);
    const check = spawnSync("sha256sum", ["-c", "artifact_manifest.sha256"], { cwd: result.artifactDir, encoding: "utf8" });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.equal(statSync(join(result.artifactDir, "embeddings.h5")).mode & 0o777, 0o444);
    assert.equal(statSync(result.artifactDir).mode & 0o777, 0o555);
    assert.ok(existsSync(join(layout.workspaceDir(ATTEMPT), "embeddings.h5")), "workspace kept");
    assert.equal((await verifyBundle(result.artifactDir)).ok, true);
    assert.equal(existsSync(layout.stagingDir(ATTEMPT)), false);
  });

  test("promoting twice reuses the bundle", async () => {
    const first = await promote(await request());
    const second = await promote(await request());
    assert.equal(second.reused, true);
    assert.equal(second.manifestSha256, first.manifestSha256);
  });

  test("crash with staging half written: promote again completes", async () => {
    const req = await request();
    await promote(req);
    // simulate: the bundle never got renamed and the manifest was not yet written
    makeWritable(root);
    renameSync(join(root, "store", "artifacts", ATTEMPT), layout.stagingDir(ATTEMPT));
    rmSync(join(layout.stagingDir(ATTEMPT), "artifact_manifest.json"));
    const result = await promote(req);
    assert.equal(result.reused, false);
    assert.equal((await verifyBundle(result.artifactDir)).ok, true);
  });

  test("crash with staging complete but not renamed: promote completes without rewriting", async () => {
    const req = await request();
    await promote(req);
    makeWritable(root);
    renameSync(join(root, "store", "artifacts", ATTEMPT), layout.stagingDir(ATTEMPT));
    const before = readFileSync(join(layout.stagingDir(ATTEMPT), "artifact_manifest.json"), "utf8");
    const result = await promote({ ...req, clock: () => new Date("2030-01-01T00:00:00Z") });
    assert.equal(readFileSync(join(result.artifactDir, "artifact_manifest.json"), "utf8"), before, "the staged manifest was kept");
  });

  test("a tampered bundle fails verification naming the file, and is moved to quarantine and re-promoted", async () => {
    const req = await request();
    const { artifactDir } = await promote(req);
    chmodSync(artifactDir, 0o755);
    chmodSync(join(artifactDir, "metrics.json"), 0o644);
    writeFileSync(join(artifactDir, "metrics.json"), '{"model_metrics": {"loss": 0.0}}');
    const verification = await verifyBundle(artifactDir);
    assert.equal(verification.ok, false);
    assert.ok(verification.problems.some((p) => p.startsWith("metrics.json")), verification.problems.join("; "));
    const again = await promote(req);
    assert.equal(again.reused, false);
    assert.equal((await verifyBundle(again.artifactDir)).ok, true);
    const quarantine = readdirSync(join(root, "store", "quarantine"));
    assert.equal(quarantine.length, 1, "the tampered bundle was kept as evidence");
  });

  test("an unlisted file or a changed manifest fails verification", async () => {
    const { artifactDir } = await promote(await request());
    chmodSync(artifactDir, 0o755);
    writeFileSync(join(artifactDir, "sneaky.txt"), "x");
    assert.match((await verifyBundle(artifactDir)).problems.join(";"), /sneaky\.txt is not listed/);
    rmSync(join(artifactDir, "sneaky.txt"));
    chmodSync(join(artifactDir, "artifact_manifest.json"), 0o644);
    writeFileSync(join(artifactDir, "artifact_manifest.json"), readFileSync(join(artifactDir, "artifact_manifest.json"), "utf8").replace('"seed": 0', '"seed": 1'));
    assert.match((await verifyBundle(artifactDir)).problems.join(";"), /does not match artifact_manifest\.sha256/);
  });

  test("a workspace file changed after validation is not promoted", async () => {
    const req = await request();
    writeFileSync(join(layout.workspaceDir(ATTEMPT), "run.log"), "rewritten after validation\n");
    await assert.rejects(promote(req), /run\.log changed after validation/);
    assert.equal(existsSync(join(root, "store", "artifacts", ATTEMPT)), false);
  });

  test("a symlink among the artifacts is refused", async () => {
    const req = await request();
    rmSync(join(layout.workspaceDir(ATTEMPT), "run.log"));
    symlinkSync("/etc/hostname", join(layout.workspaceDir(ATTEMPT), "run.log"));
    await assert.rejects(promote(req), /escapes|outside|not a regular file/);
    assert.equal(existsSync(join(root, "store", "artifacts", ATTEMPT)), false);
  });

  test("simple layout: bundle at <out>/<job>/, failed evidence at <out>/_failed/<job>/", async () => {
    const simple = storeLayout(root, "simple");
    mkdirSync(simple.workspaceDir(ATTEMPT), { recursive: true });
    await goodWorkspace(simple.workspaceDir(ATTEMPT), 10);
    const validation = await validateWorkspace(simple.workspaceDir(ATTEMPT), { nObs: 10, level: "basic" });
    const result = await promote({ ...(await request()), layout: simple, artifacts: validation.artifacts, jobName: "demo_pca" });
    assert.equal(result.artifactDir, join(root, "demo_pca"));
    const failed = await copyFailedEvidence(simple, "r", "demo_bad", ATTEMPT);
    assert.equal(failed, join(root, "_failed", "demo_bad"));
    assert.ok(existsSync(join(root, "_failed", "demo_bad", "run.log")));
    assert.equal(await copyFailedEvidence(layout, "r", "x", ATTEMPT), null, "the store layout keeps failed workspaces in place");
  });
});

describe("paths cannot escape their roots", () => {
  test("assertInside accepts inside paths and refuses .., absolute paths and symlinks out", () => {
    const base = join(root, "base");
    mkdirSync(join(base, "sub"), { recursive: true });
    assert.equal(assertInside(base, "sub/file"), join(base, "sub", "file"));
    for (const bad of ["../x", "sub/../../x", "/etc/passwd"]) {
      assert.throws(() => assertInside(base, bad), (e: unknown) => e instanceof MultiverseError && e.code === "MV_PATH_ESCAPE", bad);
    }
    symlinkSync("/etc", join(base, "link"));
    assert.throws(() => assertInside(base, "link/passwd"), /outside/);
  });

  test("layout names refuse separators and dot segments", () => {
    assert.throws(() => layout.workspaceDir("../evil"), (e: unknown) => e instanceof MultiverseError && e.code === "MV_PATH_ESCAPE");
    assert.throws(() => storeLayout(root, "simple").artifactDir(ATTEMPT, ".."), /cannot be used as a directory name/);
  });
});
