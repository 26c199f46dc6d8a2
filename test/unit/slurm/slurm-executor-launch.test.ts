/**
 * The Slurm executor's submission and observation against recorded cluster answers (job records captured from the
 * real Slurm 22.05 that set-up starts, in test/fixtures/slurm/): a first launch reads no queue, a poll of many
 * attempts is one squeue call, a crash between the record and sbatch is resolved from the queue, the run's
 * settings reach the script, and a job slurmstepd killed for memory is an OOM kill.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../../src/util/paths.js";
import { LaunchError, type LaunchRequest } from "../../../src/executors/executor.js";
import { contractMounts } from "../../../src/executors/mounts.js";
import { SlurmExecutor } from "../../../src/executors/slurm/slurm-executor.js";
import { EXIT_FILE, JOB_LOG, SCRIPT_FILE } from "../../../src/executors/slurm/batch-script.js";
import type { CommandResult, CommandRunner } from "../../../src/executors/slurm/command-runner.js";
import { endedObservation, memoryKillInLog } from "../../../src/executors/slurm/job-state.js";
import { slurmCapacity } from "../../../src/executors/slurm/capacity.js";

const FIXTURES = join(repoRoot(), "test", "fixtures", "slurm");
type JobRecord = Record<string, unknown>;
const fixture = (name: string): JobRecord => (JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as { jobs: JobRecord[] }).jobs[0]!;

/** Real squeue --json records, renamed per submission; counts every command. */
class Cluster implements CommandRunner {
  calls: string[] = [];
  jobs: JobRecord[] = [];
  private nextId = 500;
  async run(command: string, args: readonly string[]): Promise<CommandResult> {
    this.calls.push([command, ...args].join(" "));
    if (command === "squeue") return { code: 0, stdout: JSON.stringify({ meta: {}, errors: [], jobs: this.jobs }), stderr: "" };
    if (command === "sbatch") {
      const script = readFileSync(args.at(-1)!, "utf8");
      const id = this.nextId++;
      this.jobs.push({ ...fixture("squeue-22.05-pending.json"), job_id: id, name: /--job-name=(\S+)/.exec(script)![1], comment: /--comment="([^"]*)"/.exec(script)![1] });
      return { code: 0, stdout: `${id}\n`, stderr: "" };
    }
    if (command === "sacct") return { code: 1, stdout: "", stderr: "Slurm accounting storage is disabled" };
    return { code: 0, stdout: "", stderr: "" };
  }
  count(command: string): number {
    return this.calls.filter((c) => c.startsWith(`${command} `) || c === command).length;
  }
}

function request(workspaceDir: string, attemptId: string, extra: Partial<LaunchRequest> = {}): LaunchRequest {
  return { attemptId, runId: attemptId.split("-")[0]!, ownerId: "own", image: "multiverse-pca:1.0.0", mounts: contractMounts("/d.h5mu", workspaceDir), env: {}, gpu: false, ...extra };
}

function workspace(): string {
  return mkdtempSync(join(tmpdir(), "mv-slurm-ws-"));
}

describe("SlurmExecutor: submission", () => {
  test("200 first launches read no queue; one poll of all 200 is one squeue call", async () => {
    const cluster = new Cluster();
    let now = 0;
    const executor = new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir: workspace(), queueTtlMs: 1000, clock: () => now });
    const ids = Array.from({ length: 200 }, (_, n) => `r${n}-own-a1`);
    for (const id of ids) await executor.launch(request(workspace(), id));
    assert.equal(cluster.count("sbatch"), 200);
    assert.equal(cluster.count("squeue"), 0, "a first launch needs no queue read");
    const observed = await Promise.all(ids.map((id) => executor.observe(id)));
    assert.ok(observed.every((o) => o.state === "running"));
    assert.equal(cluster.count("squeue"), 1);
    now += 5000;
    for (const id of ids) await executor.observe(id); // sequential observers within one poll share the answer too
    assert.equal(cluster.count("squeue"), 2);
  });

  test("a record without a job id (crash before sbatch answered): adopted when the queue has the job, submitted when not", async () => {
    const cluster = new Cluster();
    const runtimeDir = workspace();
    const ws = workspace();
    const first = new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir });
    await first.launch(request(ws, "r1-own-a1"));
    const record = join(runtimeDir, "r1-own-a1.json");
    const withoutId = JSON.parse(readFileSync(record, "utf8")) as Record<string, unknown>;
    delete withoutId.jobId;
    writeFileSync(record, JSON.stringify(withoutId));
    await new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir }).launch(request(ws, "r1-own-a1"));
    assert.equal(cluster.count("sbatch"), 1, "found by name: not submitted again");
    assert.equal((JSON.parse(readFileSync(record, "utf8")) as { jobId: string }).jobId, "500");

    writeFileSync(record, JSON.stringify(withoutId));
    cluster.jobs = []; // sbatch never ran
    await new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir }).launch(request(ws, "r1-own-a1"));
    assert.equal(cluster.count("sbatch"), 2);
  });

  test("a launch with a job id or an exit code file is a no-op", async () => {
    const cluster = new Cluster();
    const runtimeDir = workspace();
    const ws = workspace();
    await new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir }).launch(request(ws, "r1-own-a1"));
    await new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir }).launch(request(ws, "r1-own-a1"));
    const done = workspace();
    writeFileSync(join(done, EXIT_FILE), "0\n");
    await new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir }).launch(request(done, "r2-own-a1"));
    assert.deepEqual([cluster.count("sbatch"), cluster.count("squeue")], [1, 0]);
  });

  test("apptainer: a missing SIF is image_missing, nothing submitted", async () => {
    const cluster = new Cluster();
    const executor = new SlurmExecutor({ runner: cluster, runtime: "apptainer", runtimeDir: workspace(), sifDir: workspace() });
    await assert.rejects(
      executor.launch(request(workspace(), "r1-own-a1", { model: { slug: "pca", version: "1.0.0" } })),
      (e: unknown) => e instanceof LaunchError && e.kind === "image_missing" && /pca-1\.0\.0\.sif does not exist[\s\S]*build-sif --slug pca/.test(e.message),
    );
    assert.equal(cluster.count("sbatch"), 0);
  });

  test("apptainer: the run's own SIF (an absolute path) runs as given", async () => {
    const cluster = new Cluster();
    const dir = workspace();
    const sif = join(dir, "my pca.img");
    writeFileSync(sif, "sif bytes");
    const executor = new SlurmExecutor({ runner: cluster, runtime: "apptainer", runtimeDir: workspace(), sifDir: workspace() });
    const ws = workspace();
    await executor.launch(request(ws, "r1-own-a1", { image: sif, model: { slug: "pca", version: "1.0.0" } }));
    assert.match(readFileSync(join(ws, SCRIPT_FILE), "utf8"), new RegExp(`\\n {2}'${sif.replace(/[.]/g, "\\.")}'\\n`));
    assert.equal((await executor.resolveImage(sif))?.reference, sif);
  });

  test("the run's settings over the executor's defaults reach the directives; the docker runtime gets memory headroom", async () => {
    const cluster = new Cluster();
    const executor = new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir: workspace(), defaults: { partition: "default", account: "lab" } });
    const ws = workspace();
    await executor.launch(request(ws, "r1-own-a1", {
      memLimitBytes: 1024 ** 3,
      cpus: 2,
      timeoutSeconds: 600,
      settings: { slurm: { partition: "gpu", qos: "long", gpus: 2, extraDirectives: ["--constraint=a100"], useTmpdir: true } },
    }));
    const lines = readFileSync(join(ws, SCRIPT_FILE), "utf8").split("\n");
    for (const line of ["#SBATCH --partition=gpu", "#SBATCH --account=lab", "#SBATCH --qos=long", "#SBATCH --gres=gpu:2", "#SBATCH --constraint=a100", "#SBATCH --cpus-per-task=2", "#SBATCH --mem=1280M", "#SBATCH --time=10"]) {
      assert.ok(lines.includes(line), `${line} in\n${lines.join("\n")}`);
    }
    assert.ok(lines.some((l) => l.startsWith("cp /d.h5mu")), "use_tmpdir stages the input");
    assert.ok(lines.includes("  --gpus all \\"), "Slurm GPUs are passed to the container");
  });
});

describe("SlurmExecutor: memory kills without cgroups", () => {
  const killedLog = readFileSync(join(FIXTURES, "memory-killed.log"), "utf8");

  test("slurmstepd's note is recognised; other logs are not", () => {
    assert.equal(memoryKillInLog(killedLog), true);
    assert.equal(memoryKillInLog("model: MemoryError: exceeded memory limit of my cache\n"), false);
    assert.equal(memoryKillInLog(""), false);
    assert.equal(endedObservation("a", "FAILED", undefined, { memoryExceeded: true }).oomKilled, true);
    assert.equal(endedObservation("a", "COMPLETED", 0, { memoryExceeded: true }).oomKilled, false, "exit 0 is the model's word");
    assert.equal(endedObservation("a", "TIMEOUT", undefined, { memoryExceeded: true }).failure?.reason, "timeout");
  });

  for (const where of ["in the queue (FAILED)", "gone from the queue"]) {
    test(`a job killed for memory, ${where}, is an OOM kill`, async () => {
      const cluster = new Cluster();
      const executor = new SlurmExecutor({ runner: cluster, runtime: "apptainer", runtimeDir: workspace(), queueTtlMs: 0 });
      const ws = workspace();
      const sif = join(ws, "m.sif");
      writeFileSync(sif, "x");
      await executor.launch(request(ws, "r1-own-a1", { image: sif }));
      const killed = fixture("squeue-22.05-memory-killed.json");
      cluster.jobs = where.startsWith("in") ? [{ ...killed, job_id: 500, name: "mv-r1-own-a1", comment: (cluster.jobs[0] as { comment: string }).comment }] : [];
      writeFileSync(join(ws, JOB_LOG), `multiverse: job 500 on vm started\n${killedLog}`);
      const observed = await executor.observe("r1-own-a1");
      assert.equal(observed.state, "exited");
      assert.equal(observed.oomKilled, true, JSON.stringify(observed));
      assert.ok(!existsSync(join(ws, EXIT_FILE)));
    });
  }
});

describe("capacity on Slurm", () => {
  test("the cluster schedules resources; only the jobs in flight are capped", () => {
    const capacity = slurmCapacity(3);
    assert.equal(capacity.maxConcurrent, 3);
    assert.equal(capacity.cpus, Number.POSITIVE_INFINITY);
    assert.equal(slurmCapacity().maxConcurrent, 500);
    assert.throws(() => slurmCapacity(0), /positive integer/);
  });
});


describe("SlurmExecutor: cancel", () => {
  test("a job still pending is cancelled at once, without a signal (scancel would retry a signal until it starts)", async () => {
    const cluster = new Cluster();
    const executor = new SlurmExecutor({ runner: cluster, runtime: "apptainer", runtimeDir: workspace(), queueTtlMs: 0 });
    const ws = workspace();
    writeFileSync(join(ws, "m.sif"), "x");
    await executor.launch(request(ws, "r1-own-a1", { image: join(ws, "m.sif") }));
    await executor.cancel("r1-own-a1", 30);
    assert.deepEqual(cluster.calls.filter((c) => c.startsWith("scancel")), ["scancel --name=mv-r1-own-a1"]);
  });

  test("a running job: SIGTERM to every step, the grace period while it still runs, then scancel", async () => {
    const cluster = new Cluster();
    const executor = new SlurmExecutor({ runner: cluster, runtime: "apptainer", runtimeDir: workspace(), queueTtlMs: 0 });
    const ws = workspace();
    writeFileSync(join(ws, "m.sif"), "x");
    await executor.launch(request(ws, "r1-own-a1", { image: join(ws, "m.sif") }));
    cluster.jobs[0]!.job_state = "RUNNING";
    const started = Date.now();
    await executor.cancel("r1-own-a1", 0.6);
    assert.ok(Date.now() - started >= 500, "waited for the grace period");
    assert.deepEqual(cluster.calls.filter((c) => c.startsWith("scancel")), ["scancel --signal=TERM --full --name=mv-r1-own-a1", "scancel --name=mv-r1-own-a1"]);

    cluster.calls = [];
    setTimeout(() => (cluster.jobs[0]!.job_state = "CANCELLED"), 100);
    const again = Date.now();
    cluster.jobs[0]!.job_state = "RUNNING";
    await executor.cancel("r1-own-a1", 30);
    assert.ok(Date.now() - again < 5000, "no waiting once the job has ended");
  });
});

describe("SlurmExecutor: an unreachable controller", () => {
  class Down extends Cluster {
    down = true;
    override async run(command: string, args: readonly string[]): Promise<CommandResult> {
      if (command === "squeue" && this.down) {
        this.calls.push([command, ...args].join(" "));
        return { code: 1, stdout: "", stderr: "slurm_load_jobs error: Unable to contact slurm controller (connect failure)" };
      }
      return super.run(command, args);
    }
  }

  test("a failed squeue is shared by every observer and kept longer after each failure in a row", async () => {
    const cluster = new Down();
    let now = 0;
    const executor = new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir: workspace(), queueTtlMs: 1000, clock: () => now });
    const ids = Array.from({ length: 20 }, (_, n) => `r${n}-own-a1`);
    for (const id of ids) await executor.launch(request(workspace(), id));
    const results = await Promise.allSettled(ids.map((id) => executor.observe(id)));
    assert.ok(results.every((r) => r.status === "rejected" && r.reason instanceof LaunchError && r.reason.kind === "engine_unavailable"));
    assert.equal(cluster.count("squeue"), 1, "twenty observers, one failed call");
    now = 999;
    await assert.rejects(executor.observe(ids[0]!));
    assert.equal(cluster.count("squeue"), 1, "the failure is kept for the cache period");
    now = 1000;
    await assert.rejects(executor.observe(ids[0]!));
    assert.equal(cluster.count("squeue"), 2);
    now = 2999; // the second failure in a row is kept for twice as long
    await assert.rejects(executor.observe(ids[0]!));
    assert.equal(cluster.count("squeue"), 2);
    cluster.down = false;
    now = 3000;
    assert.equal((await executor.observe(ids[0]!)).state, "running");
    assert.equal(cluster.count("squeue"), 3);
  });

  test("without accounting, sacct is asked once, not at every poll", async () => {
    const cluster = new Cluster();
    const executor = new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir: workspace(), queueTtlMs: 0 });
    await executor.launch(request(workspace(), "r1-own-a1"));
    cluster.jobs = [];
    for (let n = 0; n < 3; n += 1) assert.equal((await executor.observe("r1-own-a1")).state, "missing");
    assert.equal(cluster.count("sacct"), 1);
  });
});
