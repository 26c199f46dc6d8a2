/**
 * The Slurm executor on a real single-node Slurm cluster (scripts/start-slurm.sh), with the Docker engine as the
 * container runtime inside the batch scripts (Apptainer cannot be installed here; its command line is unit-tested).
 * sbatch and squeue are wrapped by PATH shims that count their calls, so resubmission would show.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { repoRoot } from "../../src/util/paths.js";
import { CLI, cli, cliSync, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { journalRecords } from "../helpers/journal.js";
import { listRuns, waitFor } from "../helpers/controller.js";

const skip = requireDockerOrSkip();
const DATASET = join(repoRoot(), "data", "generated", "demo-rna.h5mu");

interface Summary {
  runs: { job: string; phase: string; reason: string | null; message?: string | null; artifactDir: string | null; attemptId: string | null }[];
}

describe("Slurm executor on a real cluster", { skip }, () => {
  let work: string;
  let shims: string;
  let env: Record<string, string>;
  const calls = (tool: string) => (existsSync(join(shims, `${tool}.calls`)) ? readFileSync(join(shims, `${tool}.calls`), "utf8").trim().split("\n").filter(Boolean).length : 0);

  before(() => {
    const sinfo = spawnSync("sinfo", ["-h", "-o", "%T"], { encoding: "utf8" });
    assert.equal(sinfo.status, 0, `Slurm is not up (run scripts/start-slurm.sh): ${sinfo.stderr}`);
    work = mkdtempSync(join(tmpdir(), "mv-slurm-it-"));
    shims = join(work, "shims");
    mkdirSync(shims);
    for (const tool of ["sbatch", "squeue"]) {
      const real = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
      writeFileSync(join(shims, tool), `#!/bin/sh\necho "$*" >> ${join(shims, `${tool}.calls`)}\nexec ${real} "$@"\n`);
      chmodSync(join(shims, tool), 0o755);
    }
    env = { PATH: `${shims}:${process.env.PATH}`, MULTIVERSE_SLURM_RUNTIME: "docker" };
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", join(work, "out")]).code, 0);
  });
  after(() => {
    spawnSync("sh", ["-c", "squeue -h -o %j | grep '^mv-' | xargs -r -n1 -I{} scancel --name={}; true"]);
    if (process.env.MULTIVERSE_KEEP_TEST_DIRS) return;
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  function manifest(name: string, jobs: string): string {
    const file = join(work, `${name}.yaml`);
    writeFileSync(file, `globals: {experiment_name: ${name}}\ndatasets:\n  d: {path: ${DATASET}, batch_key: batch, label_key: label}\njobs:\n${jobs}`);
    return file;
  }

  test("a good run is promoted with its batch script kept; a model that exits 1 fails with its reason; a time limit is a timeout", { timeout: 180_000 }, async () => {
    const file = manifest(
      "outcomes",
      "  - {name: good, dataset_slug: d, model_name: contract-test, model_params: {n_latent: 3}, seeds: [0]}\n" +
        "  - {name: bad, dataset_slug: d, model_name: contract-test, model_params: {behavior: exit1}, seeds: [0]}\n" +
        "  - {name: slow, dataset_slug: d, model_name: contract-test, model_params: {behavior: sleep, sleep_seconds: 120}, seeds: [0], timeout_seconds: 5}\n",
    );
    const result = await cli(["run", "--manifest", file, "--output", join(work, "out"), "--backend", "slurm", "--json"], env);
    const runs = parseJson<Summary>(result).runs;
    const byJob = Object.fromEntries(runs.map((r) => [r.job, r]));
    assert.equal(byJob.good!.phase, "ARTIFACT_SUCCESS", JSON.stringify(byJob.good));
    assert.ok((await verifyBundle(byJob.good!.artifactDir!)).ok);
    const script = readFileSync(join(byJob.good!.artifactDir!, "job.sbatch"), "utf8");
    assert.match(script, new RegExp(`#SBATCH --job-name=mv-${byJob.good!.attemptId}`));
    assert.match(readFileSync(join(byJob.good!.artifactDir!, "container.log"), "utf8"), /multiverse: job \d+ on .* started/);
    assert.deepEqual([byJob.bad!.phase, byJob.bad!.reason], ["FAILED", "nonzero_exit"]);
    assert.deepEqual([byJob.slow!.phase, byJob.slow!.reason], ["FAILED", "timeout"]);
    assert.equal(calls("sbatch"), 3, "one submission per attempt");
  });

  test("cancel: the job leaves the queue, its container is stopped, the run is CANCELLED with its evidence", { timeout: 120_000 }, async () => {
    const file = manifest("cancel", "  - {name: nap, dataset_slug: d, model_name: contract-test, model_params: {behavior: sleep, sleep_seconds: 120}, seeds: [0]}\n");
    const out = join(work, "cancel-out");
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", out]).code, 0);
    const child = spawn(process.execPath, [CLI, "run", "--manifest", file, "--output", out, "--backend", "slurm", "--json"], { env: { ...process.env, ...env }, stdio: "ignore" });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    const [run] = await waitFor("nap running", () => {
      const now = listRuns(out);
      return now.length === 1 && now[0]!.phase === "RUNNING" && now;
    });
    child.kill("SIGKILL"); // leave it to `cancel`, which runs the saga itself when no controller holds the state root
    await closed;
    await waitFor("the job to start in Slurm", () => spawnSync("squeue", ["-h", "-n", `mv-${run!.workspaceDir!.split("/").pop()}`, "-o", "%T"], { encoding: "utf8" }).stdout.includes("RUNNING"));
    const cancelled = await cli(["cancel", "run", run!.runId, "--state-root", out, "--grace-seconds", "2", "--json"], env);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(parseJson<{ runs: { phase: string }[] }>(cancelled).runs[0]!.phase, "CANCELLED");
    const attempt = run!.workspaceDir!.split("/").pop()!;
    await waitFor("the job gone from the queue", () => spawnSync("squeue", ["-h", "-n", `mv-${attempt}`], { encoding: "utf8" }).stdout.trim() === "", 30_000);
    assert.equal(spawnSync("docker", ["ps", "-q", "--filter", `name=mv-${attempt}-slurm`], { encoding: "utf8" }).stdout.trim(), "", "the container is stopped");
    assert.ok(existsSync(join(run!.workspaceDir!, "orchestrator.log")));
  });

  test("kill -9 of the runner mid-run, then run again: the job is adopted, not submitted again", { timeout: 120_000 }, async () => {
    const file = manifest("adopt", "  - {name: nap, dataset_slug: d, model_name: contract-test, model_params: {behavior: sleep, sleep_seconds: 4}, seeds: [0]}\n");
    const out = join(work, "adopt-out");
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", out]).code, 0);
    const before = calls("sbatch");
    const child = spawn(process.execPath, [CLI, "run", "--manifest", file, "--output", out, "--backend", "slurm"], { env: { ...process.env, ...env }, stdio: "ignore" });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    await waitFor("nap running", () => listRuns(out).some((r) => r.phase === "RUNNING"));
    child.kill("SIGKILL");
    await closed;
    const again = await cli(["run", "--manifest", file, "--output", out, "--backend", "slurm", "--skip-completed", "--json"], env);
    const runs = parseJson<Summary>(again).runs;
    assert.equal(runs[0]!.phase, "ARTIFACT_SUCCESS", JSON.stringify(runs));
    assert.equal(calls("sbatch") - before, 1, "submitted once, adopted after the restart");
    assert.equal(journalRecords(out).filter((r) => r.type === "LAUNCH_INTENT").length, 1);
  });

  test("the apptainer path: a SIF without an OCI source digest needs --accept-degraded; with one, the bundle carries both digests", { timeout: 180_000 }, async () => {
    // The batch scripts call `apptainer run`, answered here by a shim that runs the same container with Docker.
    const sifDir = join(work, "sif");
    mkdirSync(sifDir);
    const sif = join(sifDir, "contract-test-0.1.0.sif");
    writeFileSync(sif, "docker-image: multiverse-contract-test:dev\n");
    const sifDigest = `sha256:${createHash("sha256").update(readFileSync(sif)).digest("hex")}`;
    const apptainerEnv = { PATH: `${join(repoRoot(), "test/fixtures/apptainer-shim")}:${shims}:${process.env.PATH}`, MULTIVERSE_SLURM_RUNTIME: "apptainer", MULTIVERSE_SIF_DIR: sifDir };
    const out = join(work, "sif-out");
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", out]).code, 0);
    const file = manifest("sif", "  - {name: good, dataset_slug: d, model_name: contract-test, model_params: {n_latent: 4}, seeds: [0]}\n");

    const refused = await cli(["run", "--manifest", file, "--output", out, "--backend", "slurm"], apptainerEnv);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /has no OCI source digest \(identity unverified_local\)[\s\S]*--accept-degraded/);

    const degraded = await cli(["run", "--manifest", file, "--output", out, "--backend", "slurm", "--accept-degraded", "--json"], apptainerEnv);
    const [run] = parseJson<Summary>(degraded).runs;
    assert.equal(run!.phase, "ARTIFACT_SUCCESS", JSON.stringify(run));
    const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, "artifact_manifest.json"), "utf8")) as { image: Record<string, string> };
    assert.deepEqual(manifestOf(run!.artifactDir!).image, { reference: sif, kind: "unverified_local", digest: sifDigest, sif_digest: sifDigest });
    assert.match(readFileSync(join(run!.artifactDir!, "job.sbatch"), "utf8"), /apptainer run \\\n {2}--containall/);

    // The model's OCI source digest (as a registry would give it) makes the identity verified: both digests recorded.
    const source = `sha256:${"ab".repeat(32)}`;
    const modelDir = join(work, "contract-test-digest");
    mkdirSync(modelDir);
    const fixture = join(repoRoot(), "test/fixtures/models/contract-test");
    writeFileSync(
      join(modelDir, "model.yaml"),
      readFileSync(join(fixture, "model.yaml"), "utf8")
        .replace("  image: multiverse-contract-test:dev", `  image: multiverse-contract-test:dev\n  image_digest: "${source}"`)
        .replace("hyperparameters_schema: hyperparameters.schema.json", `hyperparameters_schema: ${join(fixture, "hyperparameters.schema.json")}`),
    );
    assert.equal(cliSync(["register-model", join(modelDir, "model.yaml"), "--state-root", out]).code, 0);
    const verified = await cli(["run", "--manifest", file, "--output", out, "--backend", "slurm", "--json"], apptainerEnv);
    const [dual] = parseJson<Summary>(verified).runs;
    assert.equal(dual!.phase, "ARTIFACT_SUCCESS", JSON.stringify(dual));
    assert.deepEqual(manifestOf(dual!.artifactDir!).image, { reference: sif, kind: "registry", digest: source, registry_digest: source, sif_digest: sifDigest });
  });
});

