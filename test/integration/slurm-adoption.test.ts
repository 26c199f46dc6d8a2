/**
 * The Slurm executor on the real single-node cluster: a `multiverse run` killed (SIGKILL) while five jobs are
 * queued or running, then run again: every job is adopted (found by its name), none is submitted again, all are
 * promoted. The queue is read with a constant number of squeue calls per poll, not one per job: sbatch and squeue
 * are PATH shims that log each call. The container runtime inside the batch scripts is Docker.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { repoRoot } from "../../src/util/paths.js";
import { CLI, cli, cliSync, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { journalRecords } from "../helpers/journal.js";
import { listRuns, waitFor } from "../helpers/controller.js";
import { cancelJobsUnder, requireSlurmOrSkip, SlurmShims } from "../helpers/slurm.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const skip = requireDockerOrSkip(["multiverse-contract-test:dev"]) ?? requireSlurmOrSkip();
const DATASET = join(repoRoot(), "data", "generated", "demo-rna.h5mu");

interface Summary {
  runs: { job: string; seed: number; phase: string; reason: string | null; artifactDir: string | null; attemptId: string | null }[];
}

describe("Slurm: a restarted controller adopts its jobs", { skip }, () => {
  let work: string;
  let shims: SlurmShims;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "mv-slurm-adopt-"));
    shims = new SlurmShims(work);
  });
  after(() => {
    cancelJobsUnder(work);
    if (process.env.MULTIVERSE_KEEP_TEST_DIRS) return;
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("kill -9 while 5 jobs are in Slurm, run again: all adopted, none resubmitted, all promoted; one squeue per poll", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const env = { PATH: shims.path(), MULTIVERSE_SLURM_RUNTIME: "docker" };
    const out = join(work, "out");
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", out]).code, 0);
    const manifest = join(work, "five.yaml");
    writeFileSync(
      manifest,
      `globals: {experiment_name: five, backend: slurm}\ndatasets:\n  d: {path: ${DATASET}}\n` +
        "jobs:\n  - {name: nap, dataset_slug: d, model_name: contract-test, model_params: {behavior: sleep, sleep_seconds: 6}, seeds: [0, 1, 2, 3, 4]}\n",
    );

    const first = spawn(process.execPath, [CLI, "run", "--manifest", manifest, "--output", out], { env: { ...process.env, ...env }, stdio: "ignore" });
    const closed = new Promise<number | null>((resolve) => first.on("close", resolve));
    // Five runs launched means five jobs in Slurm (two running on this two-CPU node, three pending).
    await waitFor("five runs RUNNING", () => listRuns(out).filter((r) => r.phase === "RUNNING").length === 5);
    first.kill("SIGKILL");
    await closed;
    const ours = () => spawnSync("squeue", ["-h", "-o", "%j|%o"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.includes(out));
    assert.equal(ours().length, 5, "the five jobs outlive the controller");
    assert.equal(shims.calls("sbatch").length, 5);

    const start = Date.now();
    const again = await cli(["run", "--manifest", manifest, "--output", out, "--json"], env);
    const elapsedSeconds = (Date.now() - start) / 1000;
    const runs = parseJson<Summary>(again).runs;
    assert.deepEqual(runs.map((r) => r.phase), Array(5).fill("ARTIFACT_SUCCESS"), JSON.stringify(runs));
    for (const run of runs) assert.ok((await verifyBundle(run.artifactDir!)).ok, run.artifactDir!);
    assert.equal(shims.calls("sbatch").length, 5, "not one job submitted again");
    assert.equal(journalRecords(out).filter((r) => r.type === "LAUNCH_INTENT").length, 5);
    assert.equal(new Set(runs.map((r) => r.attemptId)).size, 5);
    assert.ok(runs.every((r) => r.attemptId!.endsWith("-a1")), "the first attempts, adopted");

    // One squeue answer serves every run's poll: at most about one call per second of the shared cache (plus the
    // listing on start), however many jobs there are. One call per job and poll would be ~5 per 2 s poll.
    const reads = shims.calls("squeue").filter((c) => c.at >= start).length;
    assert.ok(reads <= Math.ceil(elapsedSeconds) + 3, `${reads} squeue calls in ${elapsedSeconds.toFixed(1)} s`);
    const log = readFileSync(join(runs[0]!.artifactDir!, "orchestrator.log"), "utf8");
    assert.match(log, /launching/);
  });
});
