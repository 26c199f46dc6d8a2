import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerArgv } from "../../../src/executors/slurm/container-command.js";
import { EXIT_FILE, renderBatchScript, shellQuote, slurmTime } from "../../../src/executors/slurm/batch-script.js";
import { parseSqueueJson, parseSqueuePlain, SqueueParseError } from "../../../src/executors/slurm/squeue.js";
import { endedObservation, queuedState } from "../../../src/executors/slurm/job-state.js";
import { SlurmExecutor } from "../../../src/executors/slurm/slurm-executor.js";
import type { CommandResult, CommandRunner } from "../../../src/executors/slurm/command-runner.js";
import { LaunchError, type LaunchRequest } from "../../../src/executors/executor.js";
import { contractMounts } from "../../../src/executors/mounts.js";
import { sifBuildPlan } from "../../../src/cli/commands/build-sif.js";
import { runDoctor } from "../../../src/services/doctor.js";
import type { ModelResource } from "../../../src/domain/resources.js";

const base = { image: "/sif/pca-1.0.0.sif", mounts: contractMounts("/data/d.h5mu", "/ws/a1"), env: { B: "2", A: "1" }, gpu: false, network: false, containerName: "mv-a1-slurm" };

describe("apptainer command line", () => {
  test("the contract binds, no network, a clean environment, sorted --env", () => {
    assert.deepEqual(containerArgv({ runtime: "apptainer", ...base }), [
      "apptainer", "run", "--containall", "--cleanenv", "--no-home", "--writable-tmpfs", "--net", "--network", "none",
      "--bind", "/data/d.h5mu:/input/data.h5mu:ro", "--bind", "/ws/a1:/output", "--pwd", "/output", "--env", "A=1", "--env", "B=2", "/sif/pca-1.0.0.sif",
    ]);
  });
  test("--nv for GPU jobs, network when asked, singularity as the same command", () => {
    const argv = containerArgv({ runtime: "singularity", ...base, gpu: true, network: true });
    assert.equal(argv[0], "singularity");
    assert.ok(argv.includes("--nv"));
    assert.ok(!argv.includes("--net"));
  });
  test("the docker runtime honours the same contract", () => {
    const argv = containerArgv({ runtime: "docker", ...base, image: "multiverse-pca:1.0.0", memLimitBytes: 1024, cpus: 2 });
    assert.deepEqual(argv.slice(0, 5), ["docker", "run", "--rm", "--name", "mv-a1-slurm"]);
    for (const expected of [["--network", "none"], ["--memory", "1024"], ["--cpus", "2"], ["-v", "/data/d.h5mu:/input/data.h5mu:ro"], ["-v", "/ws/a1:/output"]]) {
      const at = argv.indexOf(expected[0]!, argv.indexOf(expected[1]!) - 1);
      assert.equal(argv[at + 1], expected[1], expected.join(" "));
    }
    assert.equal(argv.at(-1), "multiverse-pca:1.0.0");
  });
});

describe("batch script", () => {
  const input = { jobName: "mv-a1", comment: "multiverse owner=o run=r attempt=a1", workspaceDir: "/ws/a1", resources: {}, container: { runtime: "apptainer" as const, ...base } };

  test("directives from the resources, the job's identity, and the exit code file", () => {
    const script = renderBatchScript({ ...input, resources: { partition: "p", account: "acc", qos: "q", timeMinutes: 1.5, memGb: 2, cpusPerTask: 3, gpus: 2, extraDirectives: ["--constraint=avx2"] } });
    for (const line of ["#SBATCH --job-name=mv-a1", '#SBATCH --comment="multiverse owner=o run=r attempt=a1"', "#SBATCH --partition=p", "#SBATCH --account=acc", "#SBATCH --qos=q", "#SBATCH --time=1:30", "#SBATCH --mem=2048M", "#SBATCH --cpus-per-task=3", "#SBATCH --gres=gpu:2", "#SBATCH --constraint=avx2", "#SBATCH --output=/ws/a1/container.log"]) {
      assert.ok(script.split("\n").includes(line), line);
    }
    assert.match(script, new RegExp(`mv /ws/a1/${EXIT_FILE.replace(".", "\\.")}\\.tmp /ws/a1/${EXIT_FILE.replace(".", "\\.")}`));
    assert.match(script, /^exit \$code$/m);
  });

  test("no resources, no directives for them; use_tmpdir stages the input and binds the copy", () => {
    const plain = renderBatchScript(input);
    assert.doesNotMatch(plain, /--partition|--time|--mem|--gres|STAGE/);
    const staged = renderBatchScript({ ...input, resources: { useTmpdir: true } });
    assert.match(staged, /cp \/data\/d\.h5mu "\$STAGE\/data\.h5mu"/);
    assert.match(staged, /--bind "\$STAGE\/data\.h5mu":\/input\/data\.h5mu:ro/);
  });

  test("paths with spaces and quotes are quoted; a directive cannot smuggle lines", () => {
    const script = renderBatchScript({ ...input, workspaceDir: "/w s/it's", container: { ...input.container, mounts: contractMounts("/data/d.h5mu", "/w s/it's") } });
    assert.match(script, /cd '\/w s\/it'\\''s'/);
    assert.throws(() => renderBatchScript({ ...input, comment: "x\n#SBATCH --wrap=evil" }), /cannot span lines/);
    assert.throws(() => renderBatchScript({ ...input, resources: { extraDirectives: ["--qos=a\nrm -rf /"] } }), /not a single sbatch option/);
    assert.throws(() => renderBatchScript({ ...input, resources: { extraDirectives: ["rm -rf /"] } }), /not a single sbatch option/);
  });

  test("time limits: whole minutes, or M:SS", () => {
    assert.deepEqual([30, 1.5, 5 / 60, 0, 61 / 60].map(slurmTime), ["30", "1:30", "0:05", "0:01", "1:01"]);
  });

  test("shellQuote", () => {
    assert.equal(shellQuote("plain/path-1.txt"), "plain/path-1.txt");
    assert.equal(shellQuote("a b"), "'a b'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote(""), "''");
    assert.throws(() => shellQuote("a\u0000b"), /NUL/);
  });
});

describe("squeue parsing and job states", () => {
  test("squeue --json of Slurm 22.05 and of newer data parsers", () => {
    const old = JSON.stringify({ jobs: [{ job_id: 7, name: "mv-a1", comment: "c", job_state: "RUNNING", state_reason: "None", start_time: 100, end_time: 200, exit_code: 0 }] });
    assert.deepEqual(parseSqueueJson(old), [{ jobId: "7", name: "mv-a1", comment: "c", state: "RUNNING", reason: "None", startTime: 100, endTime: 200, exitCode: 0 }]);
    const fresh = JSON.stringify({ jobs: [{ job_id: 8, name: "mv-a2", comment: "", job_state: ["PENDING"], state_reason: "Resources", start_time: { set: true, number: 5 }, end_time: { set: false, number: 0 }, exit_code: { return_code: { number: 3 } } }] });
    assert.deepEqual(parseSqueueJson(fresh)[0], { jobId: "8", name: "mv-a2", comment: "", state: "PENDING", reason: "Resources", startTime: 5, endTime: 0, exitCode: 3 });
    assert.throws(() => parseSqueueJson("not json"), SqueueParseError);
    assert.throws(() => parseSqueueJson("{}"), /no jobs array/);
  });

  test("the plain format, comments with the separator kept whole", () => {
    const jobs = parseSqueuePlain("12|mv-a1|RUNNING|None|2026-11-24T10:00:00|N/A|multiverse owner=o|x\n\n");
    assert.deepEqual(jobs, [{ jobId: "12", name: "mv-a1", state: "RUNNING", reason: "None", startTime: Date.parse("2026-11-24T10:00:00Z") / 1000, endTime: 0, comment: "multiverse owner=o|x" }]);
  });

  test("queued and running are running; the scheduler's verdicts become typed reasons", () => {
    for (const state of ["PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "REQUEUED"]) assert.equal(queuedState(state), "running", state);
    for (const state of ["COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED"]) assert.equal(queuedState(state), "ended", state);
    assert.equal(endedObservation("a", "TIMEOUT", undefined, {}).failure?.reason, "timeout");
    assert.equal(endedObservation("a", "NODE_FAIL", undefined, {}).failure?.reason, "node_fail");
    assert.equal(endedObservation("a", "PREEMPTED", undefined, {}).failure?.reason, "preempted");
    assert.equal(endedObservation("a", "BOOT_FAIL", undefined, {}).failure?.reason, "launch_error");
    assert.equal(endedObservation("a", "OUT_OF_MEMORY", undefined, {}).oomKilled, true);
    assert.equal(endedObservation("a", "CANCELLED", undefined, {}).failure?.reason, "cancelled");
    assert.deepEqual(endedObservation("a", "COMPLETED", 0, {}), { attemptId: "a", state: "exited", exitCode: 0, oomKilled: false });
    assert.deepEqual(endedObservation("a", "FAILED", 1, {}), { attemptId: "a", state: "exited", exitCode: 1, oomKilled: false });
    assert.equal(endedObservation("a", undefined, undefined, {}).exitCode, null, "no exit file and no state: lost");
  });
});

/** Answers like a cluster would, and counts what was asked. */
class RecordedCluster implements CommandRunner {
  calls: string[] = [];
  jobs: Record<string, unknown>[] = [];
  nextId = 100;
  sbatchFails?: CommandResult;
  async run(command: string, args: readonly string[]): Promise<CommandResult> {
    this.calls.push([command, ...args].join(" "));
    if (command === "squeue") return { code: 0, stdout: JSON.stringify({ jobs: this.jobs }), stderr: "" };
    if (command === "sbatch") {
      if (this.sbatchFails) return this.sbatchFails;
      const script = readFileSync(args.at(-1)!, "utf8");
      const name = /--job-name=(\S+)/.exec(script)![1];
      this.jobs.push({ job_id: this.nextId, name, comment: /--comment="([^"]*)"/.exec(script)![1], job_state: "PENDING", state_reason: "None", start_time: 0, end_time: 0 });
      return { code: 0, stdout: `${this.nextId++}\n`, stderr: "" };
    }
    if (command === "sacct") return { code: 1, stdout: "", stderr: "Slurm accounting storage is disabled" };
    return { code: 0, stdout: "", stderr: "" };
  }
}

function request(workspaceDir: string, attemptId = "r1-own-a1"): LaunchRequest {
  return { attemptId, runId: "r1", ownerId: "own", image: "multiverse-pca:1.0.0", mounts: contractMounts("/d.h5mu", workspaceDir), env: {}, gpu: false, cpus: 1 };
}

describe("SlurmExecutor against a recorded cluster", () => {
  test("one squeue call serves every observer of a poll", async () => {
    const cluster = new RecordedCluster();
    let now = 0;
    const executor = new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir: mkdtempSync(join(tmpdir(), "mv-slurm-")), queueTtlMs: 1000, clock: () => now });
    const dir = mkdtempSync(join(tmpdir(), "mv-ws-"));
    for (const n of [1, 2, 3]) await executor.launch(request(dir, `r${n}-own-a1`));
    const reads = executor.queueReads;
    const observed = await Promise.all([1, 2, 3].map((n) => executor.observe(`r${n}-own-a1`)));
    assert.ok(observed.every((o) => o.state === "running"));
    assert.equal(executor.queueReads - reads, 1, "three observers, one squeue");
    now += 1500;
    await Promise.all([1, 2, 3].map((n) => executor.observe(`r${n}-own-a1`)));
    assert.equal(executor.queueReads - reads, 2, "the next poll reads the queue once more");
  });

  test("launch is idempotent: a job found by name is adopted, not submitted again", async () => {
    const cluster = new RecordedCluster();
    const runtimeDir = mkdtempSync(join(tmpdir(), "mv-slurm-"));
    const dir = mkdtempSync(join(tmpdir(), "mv-ws-"));
    await new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir }).launch(request(dir));
    // A new controller process (fresh executor, same state root) launches the same attempt again.
    await new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir }).launch(request(dir));
    assert.equal(cluster.calls.filter((c) => c.startsWith("sbatch")).length, 1);
    const owned = await new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir }).listOwned("own");
    assert.deepEqual(owned.map((o) => [o.attemptId, o.state]), [["r1-own-a1", "running"]]);
  });

  test("a job that left the queue is resolved from its exit code file; without one it is lost", async () => {
    const cluster = new RecordedCluster();
    const executor = new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir: mkdtempSync(join(tmpdir(), "mv-slurm-")), queueTtlMs: 0 });
    const dir = mkdtempSync(join(tmpdir(), "mv-ws-"));
    await executor.launch(request(dir));
    cluster.jobs = [];
    assert.deepEqual(await executor.observe("r1-own-a1"), { attemptId: "r1-own-a1", state: "missing", error: "job 100 left the queue without an exit code file" });
    writeFileSync(join(dir, EXIT_FILE), "3\n");
    assert.deepEqual(await executor.observe("r1-own-a1"), { attemptId: "r1-own-a1", state: "exited", exitCode: 3, oomKilled: false });
    assert.ok(cluster.calls.includes("sacct -n -X -P -o State -j 100"), "accounting is asked before giving up");
  });

  test("sbatch failures are typed: a refused job, a controller that does not answer", async () => {
    const cluster = new RecordedCluster();
    const executor = new SlurmExecutor({ runner: cluster, runtime: "docker", runtimeDir: mkdtempSync(join(tmpdir(), "mv-slurm-")) });
    cluster.sbatchFails = { code: 1, stdout: "", stderr: "sbatch: error: invalid partition specified: nope" };
    await assert.rejects(executor.launch(request(mkdtempSync(join(tmpdir(), "mv-ws-")), "r2-own-a1")), (e: unknown) => e instanceof LaunchError && e.kind === "launch_error" && /invalid partition/.test(e.message));
    cluster.sbatchFails = { code: 1, stdout: "", stderr: "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)" };
    await assert.rejects(executor.launch(request(mkdtempSync(join(tmpdir(), "mv-ws-")), "r3-own-a1")), (e: unknown) => e instanceof LaunchError && e.kind === "engine_unavailable");
  });

  test("a SIF is identified by the sha256 of its bytes; a missing one is no image", async () => {
    const sifDir = mkdtempSync(join(tmpdir(), "mv-sif-"));
    const executor = new SlurmExecutor({ runner: new RecordedCluster(), runtime: "apptainer", runtimeDir: mkdtempSync(join(tmpdir(), "mv-slurm-")), sifDir });
    assert.equal(await executor.resolveImage("multiverse-pca:1.0.0", { slug: "pca", version: "1.0.0" }), null);
    writeFileSync(join(sifDir, "pca-1.0.0.sif"), "abc");
    assert.deepEqual(await executor.resolveImage("multiverse-pca:1.0.0", { slug: "pca", version: "1.0.0" }), {
      reference: join(sifDir, "pca-1.0.0.sif"),
      kind: "unverified_local",
      digest: "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      sifDigest: "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    });
  });
});

describe("build-sif and doctor", () => {
  const model = (over: Partial<ModelResource["spec"]> = {}): ModelResource => ({
    apiVersion: "multiverse.io/v1alpha1",
    kind: "Model",
    metadata: { name: "pca" },
    spec: { slug: "pca", version: "1.0.0", contractVersion: "1", supportedOmics: [], runtime: { image: "multiverse-pca:1.0.0" }, hyperparametersSchema: {}, directory: "/models/pca", ...over },
  });

  test("the exact apptainer build command, from the Docker daemon or a definition file", () => {
    const out = mkdtempSync(join(tmpdir(), "mv-sif-"));
    assert.deepEqual(sifBuildPlan(model(), { binary: "apptainer", outputDir: out, method: "docker-daemon", force: false }).argv, ["apptainer", "build", join(out, "pca-1.0.0.sif"), "docker-daemon://multiverse-pca:1.0.0"]);
    const def = join(out, "Singularity.def");
    writeFileSync(def, "Bootstrap: docker\n");
    assert.deepEqual(sifBuildPlan(model({ build: { defFile: def } }), { binary: "singularity", outputDir: out, method: "def-file", force: true }).argv, ["singularity", "build", "--force", join(out, "pca-1.0.0.sif"), def]);
  });

  test("clear refusals: no definition file, an existing SIF without --force, an unavailable model", () => {
    const out = mkdtempSync(join(tmpdir(), "mv-sif-"));
    assert.throws(() => sifBuildPlan(model(), { binary: "apptainer", outputDir: out, method: "def-file", force: false }), /no build.def_file/);
    writeFileSync(join(out, "pca-1.0.0.sif"), "x");
    assert.throws(() => sifBuildPlan(model(), { binary: "apptainer", outputDir: out, method: "docker-daemon", force: false }), /exists; pass --force/);
    assert.throws(() => sifBuildPlan(model({ build: { unavailable: "no source" } }), { binary: "apptainer", outputDir: out, method: "docker-daemon", force: true }), /cannot be built here: no source/);
  });

  test("doctor: ok, warnings and blocked decide the exit code; the smoke job is one sbatch --wait", async () => {
    const answers: Record<string, CommandResult> = {
      docker: { code: 0, stdout: "24.0\n", stderr: "" },
      bwrap: { code: 0, stdout: "bubblewrap 0.8.0\n", stderr: "" },
      sinfo: { code: 0, stdout: "debug*|up|1|idle\n", stderr: "" },
      apptainer: { code: 0, stdout: "apptainer version 1.3\n", stderr: "" },
      sbatch: { code: 0, stdout: "42\n", stderr: "" },
    };
    const calls: string[] = [];
    const runner: CommandRunner = { run: async (command, args) => (calls.push([command, ...args].join(" ")), answers[command] ?? { code: 127, stdout: "", stderr: "not found" }) };
    const root = mkdtempSync(join(tmpdir(), "mv-doctor-"));
    const healthy = await runDoctor({ stateRoot: root, runner, deepSlurm: true, smokePartition: "gpu" });
    assert.equal(healthy.exitCode, 0, JSON.stringify(healthy.checks));
    assert.ok(calls.includes("sbatch --parsable --wait --time=1 --job-name=mv-doctor-smoke --output=/dev/null --partition=gpu --wrap=true"));
    delete answers.apptainer;
    assert.equal((await runDoctor({ stateRoot: root, runner })).exitCode, 1, "no apptainer is a warning");
    answers.sbatch = { code: 1, stdout: "", stderr: "sbatch: error: invalid partition" };
    const blocked = await runDoctor({ stateRoot: root, runner, deepSlurm: true });
    assert.equal(blocked.exitCode, 2);
    assert.match(blocked.checks.find((c) => c.name === "slurm smoke job")!.detail, /invalid partition/);
  });
});
