/**
 * The Slurm path through its user-facing entry points, on the real single-node cluster: `multiverse slurm-submit`
 * (the dual-digest rules, the flags in the batch script; `apptainer run` answered by the shim in
 * test/fixtures/apptainer-shim that starts the same container with Docker), cancellation of a job still pending in
 * Slurm, a model killed for memory, and the cluster's own memory enforcement as the executor reads it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { repoRoot } from "../../src/util/paths.js";
import { parseSqueueJson } from "../../src/executors/slurm/squeue.js";
import { endedObservation, memoryKillInLog, queuedState } from "../../src/executors/slurm/job-state.js";
import { CLI, cli, cliSync, parseJson, type CliResult } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { listRuns, waitFor } from "../helpers/controller.js";
import { cancelJobsUnder, jobState, requireSlurmOrSkip, SlurmShims } from "../helpers/slurm.js";
import { DEFAULT_WAIT_MS, TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const skip = requireDockerOrSkip(["multiverse-contract-test:dev"]) ?? requireSlurmOrSkip();
const DATASET = join(repoRoot(), "data", "generated", "demo-rna.h5mu");
const CONTRACT_MODEL = join(repoRoot(), "test/fixtures/models/contract-test/model.yaml");

interface Summary {
  runs: { job: string; phase: string; reason: string | null; message: string | null; artifactDir: string | null; attemptId: string | null }[];
}

describe("Slurm entry points on a real cluster", { skip }, () => {
  let work: string;
  let shims: SlurmShims;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "mv-slurm-submit-"));
    shims = new SlurmShims(work);
  });
  after(() => {
    cancelJobsUnder(work);
    if (process.env.MULTIVERSE_KEEP_TEST_DIRS) return;
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  function stateRoot(name: string): string {
    const out = join(work, name);
    assert.equal(cliSync(["register-model", CONTRACT_MODEL, "--state-root", out]).code, 0);
    return out;
  }

  test("slurm-submit: refused without a source digest; with one, promoted with both digests and the flags as directives", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const out = stateRoot("submit");
    // The "SIF" names the Docker image the shim runs; its sha256 is a real file digest, as a SIF's would be.
    const sif = join(work, "contract test.sif");
    writeFileSync(sif, "docker-image: multiverse-contract-test:dev\n");
    const sifDigest = `sha256:${createHash("sha256").update(readFileSync(sif)).digest("hex")}`;
    const env = { PATH: shims.path([join(repoRoot(), "test/fixtures/apptainer-shim")]), MULTIVERSE_SLURM_RUNTIME: "apptainer" };
    const common = ["slurm-submit", "--output", out, "--model-slug", "contract-test", "--dataset-slug", "demo", "--dataset-path", DATASET, "--image-sif", sif, "--params-json", '{"n_latent": 3}'];

    const refused = await cli(common, env);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /no OCI source digest \(identity unverified_local\)[\s\S]*--accept-degraded/);
    assert.equal(shims.calls("sbatch").length, 0, "nothing submitted");

    const bad = await cli([...common, "--params-json", "[1]"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--params-json must be a JSON object/);

    const source = `sha256:${"cd".repeat(32)}`;
    const submitted = await cli([...common, "--image-digest", source, "--partition", "debug", "--time-minutes", "5", "--mem-gb", "1", "--cpus-per-task", "1", "--max-inflight", "2", "--json"], env);
    const [run] = parseJson<Summary>(submitted).runs;
    assert.equal(run!.phase, "ARTIFACT_SUCCESS", `${JSON.stringify(run)}\n${submitted.stderr}`);
    assert.ok((await verifyBundle(run!.artifactDir!)).ok);
    const image = (JSON.parse(readFileSync(join(run!.artifactDir!, "artifact_manifest.json"), "utf8")) as { image: Record<string, string> }).image;
    assert.deepEqual(image, { reference: sif, kind: "registry", digest: source, registry_digest: source, sif_digest: sifDigest });
    const script = readFileSync(join(run!.artifactDir!, "job.sbatch"), "utf8").split("\n");
    for (const line of ["#SBATCH --partition=debug", "#SBATCH --time=5", "#SBATCH --mem=1024M", "#SBATCH --cpus-per-task=1", `  '${sif}'`]) {
      assert.ok(script.includes(line), `${line} in\n${script.join("\n")}`);
    }
    assert.equal(shims.calls("sbatch").length, 1);

    const degraded = await cli([...common, "--params-json", '{"n_latent": 4}', "--accept-degraded", "--json"], env);
    const [unverified] = parseJson<Summary>(degraded).runs;
    assert.equal(unverified!.phase, "ARTIFACT_SUCCESS", JSON.stringify(unverified));
    const degradedImage = (JSON.parse(readFileSync(join(unverified!.artifactDir!, "artifact_manifest.json"), "utf8")) as { image: Record<string, string> }).image;
    assert.deepEqual(degradedImage, { reference: sif, kind: "unverified_local", digest: sifDigest, sif_digest: sifDigest });
  });

  test("Ctrl-C while the job is still pending in Slurm: scancel'd before it ever started, run CANCELLED, evidence kept", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const out = stateRoot("pending");
    // Both CPUs of the node taken by another job, so ours waits in the queue.
    const blocker = spawnSync("sbatch", ["--parsable", "-c", "2", "-J", "mv-test-blocker", "-o", join(work, "blocker.log"), "--wrap", "sleep 120"], { encoding: "utf8" });
    assert.equal(blocker.status, 0, blocker.stderr);
    const blockerId = blocker.stdout.trim().split(";")[0]!;
    try {
      await waitFor("the blocker running", () => spawnSync("squeue", ["-h", "-j", blockerId, "-o", "%T"], { encoding: "utf8" }).stdout.trim() === "RUNNING");
      const manifest = join(work, "pending.yaml");
      writeFileSync(manifest, `globals: {experiment_name: pending, backend: slurm}\ndatasets:\n  d: {path: ${DATASET}}\njobs:\n  - {name: wait, dataset_slug: d, model_name: contract-test, seeds: [0]}\n`);
      const child = spawn(process.execPath, [CLI, "run", "--manifest", manifest, "--output", out, "--json"], { env: { ...process.env, PATH: shims.path(), MULTIVERSE_SLURM_RUNTIME: "docker" }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
      const [run] = await waitFor("the run launched", () => {
        const runs = listRuns(out);
        return runs.length === 1 && runs[0]!.phase === "RUNNING" && runs;
      });
      const attempt = run!.workspaceDir!.split("/").pop()!;
      await waitFor("the job pending in Slurm", () => jobState(`mv-${attempt}`) === "PENDING");
      child.kill("SIGINT");
      const code = await closed;
      const result: CliResult = { code: code ?? -1, stdout, stderr };
      const [cancelled] = parseJson<Summary>(result).runs;
      assert.deepEqual([cancelled!.phase, cancelled!.reason], ["CANCELLED", "cancelled"], `${JSON.stringify(cancelled)}\n${stderr}`);
      assert.equal(result.code, 1);
      assert.equal(jobState(`mv-${attempt}`).replace("CANCELLED", ""), "", "the job left the queue (or is listed as cancelled)");
      assert.ok(shims.calls("scancel").some((c) => c.args.includes(`--name=mv-${attempt}`)));
      const log = join(run!.workspaceDir!, "container.log");
      assert.ok(!existsSync(log) || !/started/.test(readFileSync(log, "utf8")), "the job never started");
      assert.match(readFileSync(join(run!.workspaceDir!, "orchestrator.log"), "utf8"), /cancellation requested/);
      assert.ok(existsSync(join(run!.workspaceDir!, "job.sbatch")), "the batch script is kept");
    } finally {
      spawnSync("scancel", [blockerId]);
    }
  });

  test("a model above its memory limit is oom_killed (the container runtime enforces it inside the Slurm job)", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const out = stateRoot("memory");
    const manifest = join(work, "memory.yaml");
    writeFileSync(manifest, `globals: {experiment_name: memory, backend: slurm}\ndatasets:\n  d: {path: ${DATASET}}\njobs:\n  - {name: hog, dataset_slug: d, model_name: contract-test, model_params: {behavior: oom}, seeds: [0], mem_limit: 96m}\n`);
    const result = await cli(["run", "--manifest", manifest, "--output", out, "--json"], { PATH: shims.path(), MULTIVERSE_SLURM_RUNTIME: "docker" });
    const [run] = parseJson<Summary>(result).runs;
    assert.deepEqual([run!.phase, run!.reason], ["FAILED", "oom_killed"], JSON.stringify(run));
    const attempt = run!.attemptId!;
    const script = readFileSync(join(out, "store", "workspaces", attempt, "job.sbatch"), "utf8");
    assert.match(script, /#SBATCH --mem=352M/, "the allocation holds the container's 96 MiB and the docker client's headroom");
    assert.match(script, /--memory 100663296/);
  });

  test("doctor --deep-slurm runs a smoke job on the cluster (ok), a bad smoke partition blocks (exit 2); build-sif without apptainer says so", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const state = join(work, "doctor");
    const deep = await cli(["doctor", "--deep-slurm", "--json", "--state-root", state]);
    const report = parseJson<{ checks: { name: string; status: string; detail: string }[]; exitCode: number }>(deep);
    assert.equal(deep.code, report.exitCode);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    assert.equal(byName.slurm!.status, "ok", JSON.stringify(byName.slurm));
    assert.match(byName.slurm!.detail, /debug/);
    assert.equal(byName["slurm smoke job"]!.status, "ok", JSON.stringify(byName["slurm smoke job"]));
    const blocked = await cli(["doctor", "--deep-slurm", "--slurm-smoke-partition", "no-such-partition", "--json", "--state-root", state]);
    assert.equal(blocked.code, 2, blocked.stdout);
    assert.match(blocked.stdout, /invalid partition/i);

    const noApptainer = await cli(["build-sif", "--slug", "pca", "--state-root", state], { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` });
    assert.equal(noApptainer.code, 2, noApptainer.stderr);
    assert.match(noApptainer.stderr, /neither apptainer nor singularity is on PATH/);
  });

  test("Slurm's own memory enforcement: a job above its --mem is killed by slurmstepd, and read as an OOM kill", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const log = join(work, "slurm-oom.log");
    const submitted = spawnSync("sbatch", ["--parsable", "--mem=100M", "-J", "mv-test-memory", "-o", log, "--wrap", `python3 -c "import time; hog = bytearray(400 * 1024 * 1024); time.sleep(30)"`], { encoding: "utf8" });
    assert.equal(submitted.status, 0, submitted.stderr);
    const id = submitted.stdout.trim().split(";")[0]!;
    try {
      const job = await waitFor("the job to end", () => {
        const queue = spawnSync("squeue", ["--json"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        const found = parseSqueueJson(queue.stdout).find((j) => j.jobId === id);
        return found && queuedState(found.state) === "ended" && found;
      }, DEFAULT_WAIT_MS, 500);
      const text = readFileSync(log, "utf8");
      assert.ok(memoryKillInLog(text), text);
      const observed = endedObservation("a", job.state, undefined, { memoryExceeded: memoryKillInLog(text) });
      assert.equal(observed.oomKilled, true, `${job.state}: ${JSON.stringify(observed)}`);
      assert.ok(job.endTime - job.startTime < 25, "killed, not finished");
    } finally {
      spawnSync("scancel", [id]);
    }
  });
});
