import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeWritable, promote, PromotionError } from "../../../src/artifacts/promote.js";
import { verifyBundle } from "../../../src/artifacts/verify.js";
import { validateWorkspace } from "../../../src/validation/index.js";
import { N_OBS, request, stateRoot, workspace, type StateRoot } from "./fixtures.js";

let state: StateRoot;
let workspaceDir: string;
beforeEach(async () => {
  state = stateRoot("store");
  workspaceDir = await workspace(state.layout);
});
afterEach(() => state.cleanup());

const MiB = 1024 * 1024;

/** chattr +i works as root on ext4 and the like (not on tmpfs); probed once. */
const hasChattr = (() => {
  const probe = join(tmpdir(), `mv-chattr-probe-${process.pid}`);
  mkdirSync(probe, { recursive: true });
  const ok = spawnSync("chattr", ["+i", probe]).status === 0;
  spawnSync("chattr", ["-i", probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();

/** A file of `size` bytes that is a hole except for a few bytes at `at`. */
function sparseFile(path: string, size: number, at = size / 2): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, Buffer.from("data in the middle"), 0, 18, at);
    writeSync(fd, Buffer.from([1]), 0, 1, size - 1);
  } finally {
    closeSync(fd);
  }
}

const allocated = (path: string) => statSync(path).blocks * 512;

function codes(result: { problems: { code: string }[] }): string[] {
  return result.problems.map((p) => p.code);
}

describe("model outputs have limits", () => {
  test("a 5 GB sparse file is refused by its apparent size, before anything is hashed", async () => {
    sparseFile(join(workspaceDir, "huge.bin"), 5 * 1024 ** 3);
    const result = await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic" });
    assert.equal(result.ok, false);
    assert.ok(codes(result).includes("file_too_large"), codes(result).join(","));
    const problem = result.problems.find((p) => p.code === "file_too_large")!;
    assert.equal(problem.artifact, "huge.bin");
    assert.match(problem.message, /huge\.bin is 5 GiB \(apparent size\), over the 2 GiB allowed per file; raise output_limits\.max_file_bytes/);
    assert.ok(codes(result).includes("output_too_large"));
    assert.deepEqual(result.artifacts, [], "nothing was hashed");
  });

  test("limits are raised per job; a sparse file then stays sparse in the bundle, copied or linked", async () => {
    sparseFile(join(workspaceDir, "sparse.bin"), 64 * MiB);
    const refused = await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic", limits: { maxFileBytes: 32 * MiB } });
    assert.deepEqual(codes(refused), ["file_too_large"]);
    const limits = { maxFileBytes: 128 * MiB };
    const validation = await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic", limits });
    assert.equal(validation.ok, true, JSON.stringify(validation.problems));
    const copied = await promote({ ...(await request(state.layout)), artifacts: validation.artifacts });
    const inBundle = join(copied.artifactDir, "sparse.bin");
    assert.equal(statSync(inBundle).size, 64 * MiB);
    assert.ok(allocated(inBundle) < MiB, `the copy allocates ${allocated(inBundle)} bytes`);
    assert.equal((await verifyBundle(copied.artifactDir)).ok, true);
  });

  test("more files than allowed are refused without walking them all", async () => {
    mkdirSync(join(workspaceDir, "many"));
    for (let i = 0; i < 1_200; i += 1) writeFileSync(join(workspaceDir, "many", `f${i}`), "");
    const result = await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic" });
    assert.deepEqual(codes(result), ["too_many_files"]);
    assert.match(result.problems[0]!.message, /more than 1000 files and directories .*raise output_limits\.max_files/);
    assert.equal((await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic", limits: { maxFiles: 2_000 } })).ok, true);
  });

  test("directories nested deeper than allowed are refused (no stack overflow on a deep tree)", async () => {
    let dir = workspaceDir;
    for (let i = 0; i < 40; i += 1) mkdirSync((dir = join(dir, "d")));
    const result = await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic" });
    assert.deepEqual(codes(result), ["too_deep"]);
  });

  test("the total size is limited too", async () => {
    writeFileSync(join(workspaceDir, "a.bin"), Buffer.alloc(3 * MiB, 1));
    writeFileSync(join(workspaceDir, "b.bin"), Buffer.alloc(3 * MiB, 2));
    const result = await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic", limits: { maxTotalBytes: 4 * MiB } });
    assert.deepEqual(codes(result), ["output_too_large"]);
  });

  test("file names that are not UTF-8 or hold control characters are refused", async () => {
    writeFileSync(join(workspaceDir, "line\nbreak.txt"), "x");
    const result = await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic" });
    assert.deepEqual(codes(result), ["bad_file_name"]);
    rmSync(join(workspaceDir, "line\nbreak.txt"));
    const latin1 = Buffer.concat([Buffer.from(`${workspaceDir}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from(".txt")]);
    writeFileSync(latin1, "x");
    assert.deepEqual(codes(await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic" })), ["bad_file_name"]);
    rmSync(latin1);
  });

  test("a metrics.json over the size limit is not parsed; one with too many keys is refused before parsing", async () => {
    const keys = (n: number) => `{"model_metrics": {${Array.from({ length: n }, (_, i) => `"k${i}": ${i}`).join(", ")}}}`;
    writeFileSync(join(workspaceDir, "metrics.json"), keys(2_000_000));
    const big = await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic" });
    assert.deepEqual(codes(big), ["metrics_too_large"]);
    assert.match(big.problems[0]!.message, /metrics\.json is \d+\.\d MiB, over the 16 MiB that are parsed/);
    writeFileSync(join(workspaceDir, "metrics.json"), keys(150_000));
    const many = await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic" });
    assert.deepEqual(codes(many), ["metrics_too_large"]);
    assert.match(many.problems[0]!.message, /more than 100000 keys and array elements/);
    assert.equal((await validateWorkspace(workspaceDir, { nObs: N_OBS, level: "basic", limits: { maxMetricsKeys: 200_000 } })).ok, true);
  });
});

describe("a promoted workspace leaves no second copy behind", () => {
  test("releaseWorkspace links the outputs into the bundle and removes them from the workspace, except orchestrator.log", async () => {
    writeFileSync(join(workspaceDir, "orchestrator.log"), "host lines\n");
    const before = statSync(join(workspaceDir, "embeddings.h5")).ino;
    const req = await request(state.layout, { releaseWorkspace: true });
    const result = await promote(req);
    assert.equal(statSync(join(result.artifactDir, "embeddings.h5")).ino, before, "hard-linked, not copied");
    assert.deepEqual(readdirSync(workspaceDir), ["orchestrator.log"]);
    assert.notEqual(statSync(join(result.artifactDir, "orchestrator.log")).ino, statSync(join(workspaceDir, "orchestrator.log")).ino, "the host's log is copied");
    assert.equal(statSync(join(result.artifactDir, "embeddings.h5")).nlink, 1);
    assert.equal((await verifyBundle(result.artifactDir)).ok, true);
    assert.equal((await promote(req)).reused, true, "promote() again after the release reuses the bundle");
  });

  test("a promotion whose rename fails with EPERM (an immutable artifacts directory) leaves no staging behind", { skip: hasChattr ? false : "chattr +i is not available here" }, async () => {
    const req = await request(state.layout);
    const artifacts = join(state.root, "store", "artifacts");
    mkdirSync(artifacts, { recursive: true });
    assert.equal(spawnSync("chattr", ["+i", artifacts]).status, 0);
    try {
      await assert.rejects(promote(req), (e: unknown) => e instanceof PromotionError && /Operation not permitted|EPERM/.test(e.message));
    } finally {
      spawnSync("chattr", ["-i", artifacts]);
    }
    const staging = join(state.root, "store", "staging");
    assert.deepEqual(existsSync(staging) ? readdirSync(staging) : [], [], "staging was discarded");
    assert.ok(existsSync(join(workspaceDir, "embeddings.h5")), "the workspace is intact");
    assert.equal((await promote(req)).reused, false, "a later promotion succeeds");
  });

  test("a promotion refused for permissions (EPERM/EACCES) as an ordinary user leaves no staging behind", { skip: process.getuid?.() === 0 ? "root ignores directory permissions" : false }, async () => {
    const req = await request(state.layout);
    mkdirSync(join(state.root, "store", "artifacts"), { recursive: true });
    chmodSync(join(state.root, "store", "artifacts"), 0o555);
    try {
      await assert.rejects(promote(req), (e: unknown) => e instanceof PromotionError);
      assert.deepEqual(readdirSync(join(state.root, "store", "staging")), []);
    } finally {
      makeWritable(join(state.root, "store", "artifacts"));
    }
  });

  test("artifact_files.sha256 lets sha256sum -c check every file of the bundle", async () => {
    const result = await promote(await request(state.layout));
    const check = spawnSync("sha256sum", ["-c", "artifact_files.sha256"], { cwd: result.artifactDir, encoding: "utf8" });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    for (const name of ["embeddings.h5", "extra/notes.txt", "artifact_manifest.json", "artifact_manifest.sha256", "run.log"]) assert.match(check.stdout, new RegExp(`^${name}: OK$`, "m"));
    makeWritable(result.artifactDir);
    chmodSync(join(result.artifactDir, "run.log"), 0o644);
    writeFileSync(join(result.artifactDir, "run.log"), "tampered\n");
    const tampered = spawnSync("sha256sum", ["-c", "artifact_files.sha256"], { cwd: result.artifactDir, encoding: "utf8" });
    assert.notEqual(tampered.status, 0);
    assert.match(tampered.stdout, /^run\.log: FAILED$/m);
  });
});
