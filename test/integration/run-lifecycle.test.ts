/**
 * Retries and cancellation through `multiverse run` on the real Docker engine: a method failure is retried only
 * as often as the job asks; a container lost from the engine is an infrastructure failure retried under the same
 * logical run; Ctrl-C cancels what runs, keeping workspaces and logs.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { CLI, cli, cliSync, parseJson } from "../helpers/cli.js";
import { ownedContainers, requireDockerOrSkip, showContainers } from "../helpers/docker.js";
import { waitForJournal } from "../helpers/journal.js";
import { exitedReason, waitUntil } from "../helpers/wait.js";

const skip = requireDockerOrSkip();

interface Summary {
  runs: { job: string; phase: string; reason: string | null; attemptId: string | null }[];
}

function journalLines(stateRoot: string): string[] {
  const dir = join(stateRoot, "journal");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort().flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n")).filter(Boolean);
}

function count(stateRoot: string, type: string): number {
  return journalLines(stateRoot).filter((l) => l.includes(`"type":"${type}"`)).length;
}

describe("retries and cancellation", { skip }, () => {
  let work: string;
  let dataset: string;
  const model = join(repoRoot(), "test/fixtures/models/contract-test/model.yaml");

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-lifecycle-"));
    dataset = join(work, "d.h5mu");
    await writeH5mu(dataset, { nObs: 15, modalities: { rna: { nVars: 6 } }, seed: 3 });
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  function setup(name: string, jobs: string): { out: string; manifest: string } {
    const out = join(work, name);
    assert.equal(cliSync(["register-model", model, "--state-root", out]).code, 0);
    const manifest = join(work, `${name}.yaml`);
    writeFileSync(manifest, `globals:\n  experiment_name: ${name}\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n${jobs}`);
    return { out, manifest };
  }

  test("a method failure is retried exactly as often as the job asks, then recorded", async () => {
    const { out, manifest } = setup("method", "  - name: flaky\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: exit1 }\n    retries: 1\n  - name: once\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: exit1, n_latent: 3 }\n");
    const result = await cli(["run", "--manifest", manifest, "--output", out, "--json"]);
    assert.equal(result.code, 1);
    const runs = parseJson<Summary>(result).runs;
    assert.deepEqual(runs.map((r) => [r.job, r.phase, r.reason, r.attemptId?.slice(-2)]), [
      ["flaky", "FAILED", "nonzero_exit", "a2"],
      ["once", "FAILED", "nonzero_exit", "a1"],
    ]);
    assert.equal(count(out, "LAUNCH_INTENT"), 3);
  });

  test("an OOM kill is retried with a doubled memory limit when the job allows it", async () => {
    const { out, manifest } = setup(
      "oom",
      "  - name: grows\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { alloc_mb: 160 }\n    mem_limit: 128m\n    oom_retries: 2\n" +
        "  - name: fixed\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { alloc_mb: 160, n_latent: 3 }\n    mem_limit: 128m\n",
    );
    const result = await cli(["run", "--manifest", manifest, "--output", out, "--json"]);
    const runs = parseJson<Summary>(result).runs;
    assert.deepEqual(runs.map((r) => [r.job, r.phase, r.reason, r.attemptId?.slice(-2)]), [
      ["grows", "ARTIFACT_SUCCESS", null, "a2"],
      ["fixed", "FAILED", "oom_killed", "a1"],
    ]);
    const grows = runs.find((r) => r.job === "grows")!;
    const first = readFileSync(join(out, "store", "workspaces", grows.attemptId!.replace(/a2$/, "a1"), "orchestrator.log"), "utf8");
    assert.match(first, /memory limit 128m/);
    assert.match(first, /will retry in 0 ms: OOM-killed: the job allows 2 retries with a doubled memory limit/);
    const second = readFileSync(join(out, "store", "workspaces", grows.attemptId!, "orchestrator.log"), "utf8");
    assert.match(second, /memory limit 256m/, "the second attempt ran with twice the memory");
  });

  test("a container lost from the engine is retried under the same logical run and then succeeds", async () => {
    const { out, manifest } = setup("lost", "  - dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: sleep, sleep_seconds: 5 }\n");
    const child = cli(["run", "--manifest", manifest, "--output", out, "--json"]);
    const [container] = await waitUntil("the engine to show the run's container running", () => ownedContainers(out).filter((c) => c.state === "running"), (running) => running.length > 0, { show: showContainers });
    spawnSync("docker", ["rm", "-f", container!.id]);
    const result = await child;
    assert.equal(result.code, 0, result.stderr);
    const run = parseJson<Summary>(result).runs[0]!;
    assert.equal(run.phase, "ARTIFACT_SUCCESS");
    assert.match(run.attemptId ?? "", /-a2$/);
    assert.ok(journalLines(out).some((l) => l.includes('"reason":"lost"')), "the lost attempt is on record");
    const first = run.attemptId!.replace(/-a2$/, "-a1");
    assert.match(readFileSync(join(out, "store", "workspaces", first, "orchestrator.log"), "utf8"), /will retry in \d+ ms: lost is an infrastructure failure/);
  });

  test("logs: the model's, the container's and the orchestrator's, and --follow until the run ends", async () => {
    const { out, manifest } = setup("logs", "  - dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: sleep, sleep_seconds: 2, n_latent: 5 }\n");
    const running = cli(["run", "--manifest", manifest, "--output", out, "--json"]);
    await waitForJournal(out, "the run STARTED", (records) => records.some((r) => r.event === "STARTED"));
    const followed = await cli(["logs", "run", "d-contract-test", "--output", out, "--follow"]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /behavior sleep[\s\S]*done/, "followed run.log to the end");
    assert.equal((await running).code, 0);
    const container = await cli(["logs", "run", "d-contract-test", "--output", out, "--container"]);
    // stdout and stderr are separate streams: both are captured, their interleaving is up to the engine
    assert.match(container.stdout, /contract-test starting/);
    assert.match(container.stdout, /a line on stderr/);
    const orchestrator = await cli(["logs", "run", "d-contract-test", "--output", out, "--orchestrator"]);
    assert.match(orchestrator.stdout, /admitted attempt 1[\s\S]*promoted to/);
    const bad = await cli(["logs", "run", "d-contract-test", "--output", out, "--model", "--container"]);
    assert.equal(bad.code, 2);
  });

  test("a job that can never fit the host is refused with the reason instead of waiting forever", async () => {
    const { out, manifest } = setup("huge", "  - dataset_slug: d\n    model_name: contract-test\n    cpus: 512\n  - name: fine\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { n_latent: 2 }\n");
    const result = await cli(["run", "--manifest", manifest, "--output", out, "--json"]);
    assert.equal(result.code, 1, result.stderr);
    const runs = parseJson<Summary & { runs: { message: string | null }[] }>(result).runs;
    assert.deepEqual(runs.map((r) => [r.job, r.phase, r.reason]), [["d-contract-test", "FAILED", "unschedulable"], ["fine", "ARTIFACT_SUCCESS", null]]);
    assert.match(runs[0]!.message ?? "", /can never be scheduled: 512 CPUs requested, \d+ available/);
    assert.equal(count(out, "LAUNCH_INTENT"), 1);
  });

  test("Ctrl-C cancels running and queued runs, stops their containers and keeps their evidence", async () => {
    const { out, manifest } = setup("cancel", "  - dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: sleep, sleep_seconds: 120 }\n    seeds: [1, 2, 3]\n");
    const child = spawn(process.execPath, [CLI, "run", "--manifest", manifest, "--output", out, "--json", "--max-concurrent", "2"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    await waitForJournal(out, "two runs STARTED", (records) => records.filter((r) => r.event === "STARTED").length >= 2, { giveUpIf: () => exitedReason(child, "multiverse run") });
    const started = Date.now();
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 1);
    assert.ok(Date.now() - started < 20_000, "cancellation finished within the grace period");
    const runs = (JSON.parse(stdout) as Summary).runs;
    assert.deepEqual(runs.map((r) => r.phase), ["CANCELLED", "CANCELLED", "CANCELLED"]);
    const owner = readFileSync(join(out, "owner-id"), "utf8").trim();
    const left = spawnSync("docker", ["ps", "-aq", "--filter", `label=io.multiverse.owner=${owner}`], { encoding: "utf8" }).stdout.trim();
    assert.equal(left, "", "no container left behind");
    const launched = runs.filter((r) => r.attemptId && existsSync(join(out, "store", "workspaces", r.attemptId)));
    assert.equal(launched.length, 2, "the two launched runs keep their workspaces");
    for (const r of launched) {
      const ws = join(out, "store", "workspaces", r.attemptId!);
      assert.ok(existsSync(join(ws, "container.log")));
      assert.match(readFileSync(join(ws, "orchestrator.log"), "utf8"), /CANCELLED/);
    }
  });
});
