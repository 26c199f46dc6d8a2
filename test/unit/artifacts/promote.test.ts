import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { makeWritable, promote, PromotionError } from "../../../src/artifacts/promote.js";
import { verifyBundle } from "../../../src/artifacts/verify.js";
import { isMultiverseError } from "../../../src/domain/errors.js";
import { repoRoot } from "../../../src/util/paths.js";
import { ATTEMPT, request, RUN_ID, stateRoot, workspace, type StateRoot } from "./fixtures.js";

let state: StateRoot;
let bundleDir: string;
let stagingDir: string;
let workspaceDir: string;

beforeEach(async () => {
  state = stateRoot("store");
  workspaceDir = await workspace(state.layout);
  bundleDir = join(state.root, "store", "artifacts", ATTEMPT);
  stagingDir = join(state.root, "store", "staging", ATTEMPT);
});
afterEach(() => state.cleanup());

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function quarantined(): string[] {
  const dir = join(state.root, "store", "quarantine");
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Undo a successful promotion's rename, as if the process died just before it. */
function backToStaging(): void {
  makeWritable(bundleDir);
  mkdirSync(join(state.root, "store", "staging"), { recursive: true });
  renameSync(bundleDir, stagingDir);
}

function isPromotionFailure(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof PromotionError, `expected a PromotionError, got ${String(error)}`);
    assert.equal(error.code, "promotion_failed");
    assert.match(error.message, pattern);
    return true;
  };
}

describe("promotion saga: happy path", () => {
  test("writes a complete manifest, a sha256sum-checkable sidecar, read-only files, and keeps the workspace", async () => {
    const result = await promote(await request(state.layout));
    assert.deepEqual(result, { artifactDir: bundleDir, manifestSha256: sha256(join(bundleDir, "artifact_manifest.json")), reused: false });

    const manifest = JSON.parse(readFileSync(join(bundleDir, "artifact_manifest.json"), "utf8"));
    const version = (JSON.parse(readFileSync(join(repoRoot(), "package.json"), "utf8")) as { version: string }).version;
    assert.equal(manifest.schema_version, "1");
    assert.equal(manifest.logical_run_id, RUN_ID);
    assert.equal(manifest.physical_run_id, ATTEMPT);
    assert.equal(manifest.attempt, 1);
    assert.deepEqual(manifest.dataset, { slug: "tiny", fingerprint: "sha256:" + "a".repeat(64), path: "/data/tiny.h5mu", n_obs: 10 });
    assert.deepEqual(manifest.model, { slug: "pca", version: "1.0.0" });
    assert.deepEqual(manifest.image, { reference: "multiverse-pca:1.0.0", kind: "unverified_local", digest: "sha256:" + "b".repeat(64) });
    assert.deepEqual(manifest.params, { n_components: 5 });
    assert.equal(manifest.params_hash, "c".repeat(16));
    assert.equal(manifest.seed, 0);
    assert.deepEqual(manifest.preprocessing, {});
    assert.equal(manifest.contract_version, "1");
    assert.equal(manifest.experiment_name, "bench");
    assert.equal(manifest.job_name, "job");
    assert.equal(manifest.produced_at, "2026-02-03T04:05:06.000Z");
    assert.deepEqual(manifest.produced_by, { tool: "multiverse", version, host: hostname() });
    assert.equal(manifest.owner_token, "own123");
    assert.deepEqual(manifest.validation, { level: "basic", problems: [] });
    assert.deepEqual(manifest.latent_shape, [10, 4]);
    assert.deepEqual(manifest.transitions.map((t: { to: string }) => t.to), ["ADMITTED", "PROMOTING"]);

    const paths = manifest.artifacts.map((a: { path: string }) => a.path);
    assert.deepEqual(paths, ["container.log", "embeddings.h5", "extra/notes.txt", "job_spec.json", "metrics.json", "run.log", "umap.png"]);
    for (const artifact of manifest.artifacts as { path: string; role: string; size_bytes: number; sha256: string }[]) {
      const file = join(bundleDir, artifact.path);
      assert.equal(artifact.sha256, sha256(file), artifact.path);
      assert.equal(artifact.size_bytes, statSync(file).size, artifact.path);
      assert.equal(statSync(file).mode & 0o777, 0o444, `${artifact.path} is read-only`);
    }
    assert.equal(manifest.artifacts.find((a: { path: string }) => a.path === "embeddings.h5").role, "embeddings");

    assert.equal(readFileSync(join(bundleDir, "artifact_manifest.sha256"), "utf8"), `${result.manifestSha256}  artifact_manifest.json\n`);
    const check = spawnSync("sha256sum", ["-c", "artifact_manifest.sha256"], { cwd: bundleDir, encoding: "utf8" });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /artifact_manifest\.json: OK/);

    assert.equal(statSync(bundleDir).mode & 0o777, 0o555);
    assert.equal(statSync(join(bundleDir, "extra")).mode & 0o777, 0o555);
    assert.equal(statSync(join(bundleDir, "artifact_manifest.json")).mode & 0o777, 0o444);
    assert.ok(existsSync(join(workspaceDir, "embeddings.h5")), "the workspace is kept");
    assert.equal(existsSync(stagingDir), false, "staging was renamed away");
    assert.equal((await verifyBundle(bundleDir)).ok, true);
  });

  test("promoting twice reuses the bundle without writing", async () => {
    const first = await promote(await request(state.layout));
    const before = statSync(join(bundleDir, "artifact_manifest.json")).mtimeMs;
    const second = await promote(await request(state.layout, { clock: () => new Date("2030-01-01T00:00:00Z") }));
    assert.deepEqual(second, { ...first, reused: true });
    assert.equal(statSync(join(bundleDir, "artifact_manifest.json")).mtimeMs, before);
  });

  test("a later attempt of the same logical run (a rerun) gets its own bundle; the earlier one stays as it was", async () => {
    const first = await promote(await request(state.layout));
    const firstManifest = readFileSync(join(bundleDir, "artifact_manifest.json"), "utf8");
    const second = "aaaabbbbcccc-own123-a2";
    await workspace(state.layout, second);
    const result = await promote(await request(state.layout, { attemptId: second }));
    assert.equal(result.reused, false);
    assert.equal(result.artifactDir, join(state.root, "store", "artifacts", second));
    assert.notEqual(result.artifactDir, first.artifactDir);
    assert.equal(JSON.parse(readFileSync(join(result.artifactDir, "artifact_manifest.json"), "utf8")).physical_run_id, second);
    assert.equal(readFileSync(join(bundleDir, "artifact_manifest.json"), "utf8"), firstManifest, "the earlier bundle is immutable");
  });

  test("removeWorkspace removes the workspace once the bundle is in place", async () => {
    const result = await promote(await request(state.layout, { removeWorkspace: true }));
    assert.equal(existsSync(workspaceDir), false);
    assert.equal((await verifyBundle(result.artifactDir)).ok, true);
  });

  test("the attempt number is taken from the attempt id unless given", async () => {
    const attemptId = "aaaabbbbcccc-own123-a3";
    await workspace(state.layout, attemptId);
    const result = await promote(await request(state.layout, { attemptId }));
    assert.equal(JSON.parse(readFileSync(join(result.artifactDir, "artifact_manifest.json"), "utf8")).attempt, 3);
  });
});

describe("promotion saga: crash recovery converges", () => {
  test("(a) staging partially written: the manifest missing", async () => {
    const req = await request(state.layout);
    await promote(req);
    backToStaging();
    rmSync(join(stagingDir, "artifact_manifest.json"));
    const result = await promote(req);
    assert.equal(result.reused, false);
    const verification = await verifyBundle(result.artifactDir);
    assert.equal(verification.ok, true, verification.problems.join("; "));
    assert.equal(existsSync(stagingDir), false);
  });

  test("(a) staging partially written: a file cut short, no sidecar", async () => {
    const req = await request(state.layout);
    await promote(req);
    backToStaging();
    chmodSync(join(stagingDir, "embeddings.h5"), 0o644);
    truncateSync(join(stagingDir, "embeddings.h5"), 100);
    rmSync(join(stagingDir, "artifact_manifest.sha256"));
    const result = await promote(req);
    assert.equal((await verifyBundle(result.artifactDir)).ok, true);
    assert.equal(sha256(join(result.artifactDir, "embeddings.h5")), sha256(join(workspaceDir, "embeddings.h5")));
  });

  test("(b) staging complete but not renamed: the staged bundle is renamed as it is", async () => {
    const req = await request(state.layout);
    await promote(req);
    backToStaging();
    const before = readFileSync(join(stagingDir, "artifact_manifest.json"), "utf8");
    // Had the bundle been re-staged, produced_at would change: it must not.
    const result = await promote({ ...req, clock: () => new Date("2030-01-01T00:00:00Z") });
    assert.equal(result.reused, false);
    assert.equal(readFileSync(join(result.artifactDir, "artifact_manifest.json"), "utf8"), before);
    assert.equal(statSync(result.artifactDir).mode & 0o777, 0o555);
  });

  test("(b) staging complete and the workspace gone: the staged bundle still completes", async () => {
    const req = await request(state.layout);
    await promote(req);
    backToStaging();
    makeWritable(workspaceDir);
    rmSync(workspaceDir, { recursive: true });
    assert.equal((await verifyBundle((await promote(req)).artifactDir)).ok, true);
  });

  test("renamed but not yet locked: the bundle is reused and locked", async () => {
    const req = await request(state.layout);
    await promote(req);
    chmodSync(bundleDir, 0o755);
    const result = await promote(req);
    assert.equal(result.reused, true);
    assert.equal(statSync(bundleDir).mode & 0o777, 0o555);
  });

  test("(c) a tampered bundle fails verification naming the file, is quarantined, and is promoted again", async () => {
    const req = await request(state.layout);
    await promote(req);
    const file = join(bundleDir, "metrics.json");
    chmodSync(bundleDir, 0o755);
    chmodSync(file, 0o644);
    const bytes = readFileSync(file);
    bytes[0] = bytes[0]! ^ 0x01;
    writeFileSync(file, bytes);

    const verification = await verifyBundle(bundleDir);
    assert.equal(verification.ok, false);
    assert.deepEqual(verification.problems, ["metrics.json: sha256 differs from the manifest (the file was changed)"]);

    const again = await promote(req);
    assert.equal(again.reused, false);
    assert.equal((await verifyBundle(again.artifactDir)).ok, true);
    const entries = quarantined();
    assert.equal(entries.length, 2, entries.join(", "));
    const [evidence, reason] = entries as [string, string];
    assert.ok(evidence.startsWith(`${ATTEMPT}-`));
    assert.equal(reason, `${evidence}.reason.json`);
    assert.deepEqual(readFileSync(join(state.root, "store", "quarantine", evidence, "metrics.json")), bytes, "the tampered bytes are kept as evidence");
    assert.match(JSON.parse(readFileSync(join(state.root, "store", "quarantine", reason), "utf8")).reason, /metrics\.json: sha256 differs/);
  });

  test("an empty directory in the bundle's place is moved aside, not deleted", async () => {
    mkdirSync(bundleDir, { recursive: true });
    const result = await promote(await request(state.layout));
    assert.equal((await verifyBundle(result.artifactDir)).ok, true);
    assert.equal(quarantined().length, 2);
  });
});

describe("promotion saga: refusals", () => {
  test("a workspace file changed after validation fails promotion clearly, leaving nothing behind", async () => {
    const req = await request(state.layout);
    writeFileSync(join(workspaceDir, "run.log"), "rewritten after validation\n");
    await assert.rejects(promote(req), isPromotionFailure(/^run\.log changed after validation .*not promoted$/));
    assert.equal(existsSync(bundleDir), false);
    assert.equal(existsSync(stagingDir), false);
    assert.ok(isMultiverseError(await promote(req).catch((e: unknown) => e)), "a MultiverseError, printed without a stack");
  });

  test("a file that disappeared after validation fails promotion", async () => {
    const req = await request(state.layout);
    rmSync(join(workspaceDir, "umap.png"));
    await assert.rejects(promote(req), isPromotionFailure(/umap\.png disappeared/));
    assert.equal(existsSync(bundleDir), false);
  });

  test("a symlink pointing outside the workspace is refused", async () => {
    const req = await request(state.layout);
    rmSync(join(workspaceDir, "run.log"));
    symlinkSync("/etc/hostname", join(workspaceDir, "run.log"));
    await assert.rejects(promote(req), isPromotionFailure(/run\.log.*outside/));
    assert.equal(existsSync(bundleDir), false);
  });

  test("a symlink inside the workspace is refused even when its target has the validated bytes", async () => {
    const req = await request(state.layout);
    copyFileSync(join(workspaceDir, "run.log"), join(workspaceDir, "run.copy"));
    rmSync(join(workspaceDir, "run.log"));
    symlinkSync("run.copy", join(workspaceDir, "run.log"));
    await assert.rejects(promote(req), isPromotionFailure(/run\.log is a symlink/));
    assert.equal(existsSync(bundleDir), false);
  });

  test("a symlinked directory on the way to an artifact is refused", async () => {
    const req = await request(state.layout);
    renameSync(join(workspaceDir, "extra"), join(workspaceDir, "real-extra"));
    symlinkSync("real-extra", join(workspaceDir, "extra"));
    await assert.rejects(promote(req), isPromotionFailure(/extra\/notes\.txt: .*extra is a symlink/));
    assert.equal(existsSync(bundleDir), false);
  });

  test("artifact paths that are not plain relative paths, or clash with the manifest, are refused", async () => {
    const req = await request(state.layout);
    const first = req.artifacts[0]!;
    for (const path of ["../escape", "/etc/passwd", "a/./b", "artifact_manifest.json"]) {
      await assert.rejects(promote({ ...req, artifacts: [{ ...first, path }] }), isPromotionFailure(/./), path);
    }
    await assert.rejects(promote({ ...req, artifacts: [first, first] }), isPromotionFailure(/listed twice/));
    assert.equal(existsSync(bundleDir), false);
  });

  test("an artifact dir outside the state root is refused", async () => {
    const req = await request(state.layout);
    await assert.rejects(promote({ ...req, artifactDir: join(state.root, "..", "elsewhere") }), (e: unknown) => isMultiverseError(e) && e.code === "MV_PATH_ESCAPE");
  });
});

describe("promotion saga: simple layout", () => {
  let simple: StateRoot;
  beforeEach(() => {
    simple = stateRoot("simple");
  });
  afterEach(() => simple.cleanup());

  test("the bundle lands at <out>/<job-name>/ and the machinery stays under .multiverse/", async () => {
    await workspace(simple.layout);
    const result = await promote(await request(simple.layout, { jobName: "demo_pca" }));
    assert.equal(result.artifactDir, join(simple.root, "demo_pca"));
    assert.equal((await verifyBundle(result.artifactDir)).ok, true);
    assert.deepEqual(readdirSync(simple.root).sort(), [".multiverse", "demo_pca"]);
  });

  test("a bundle of another logical run under the same job name is quarantined and replaced", async () => {
    await workspace(simple.layout);
    await promote(await request(simple.layout, { jobName: "demo_pca" }));
    const otherRun = "ddddeeeeffff000011112222";
    const otherAttempt = "ddddeeeeffff-own123-a1";
    await workspace(simple.layout, otherAttempt);
    const result = await promote(await request(simple.layout, { runId: otherRun, attemptId: otherAttempt, jobName: "demo_pca" }));
    assert.equal(result.reused, false);
    const manifest = (await verifyBundle(result.artifactDir)).manifest;
    assert.equal(manifest?.logical_run_id, otherRun);
    const quarantine = join(simple.root, ".multiverse", "store", "quarantine");
    const kept = readdirSync(quarantine).filter((n) => !n.endsWith(".reason.json"));
    assert.equal(kept.length, 1);
    const old = await verifyBundle(join(quarantine, kept[0]!));
    assert.equal(old.manifest?.logical_run_id, RUN_ID, "the replaced bundle is kept whole");
  });
});
