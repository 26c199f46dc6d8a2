/**
 * End to end through the CLI against the real Docker engine: `multiverse run` reconciles a manifest into
 * verified bundles, and every way a model can misbehave ends in the right state, with its reason and evidence.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { cli, cliSync, explain, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";

interface SummaryRun {
  runId: string;
  name: string;
  job: string;
  seed: number;
  phase: string;
  reason: string | null;
  message: string | null;
  attemptId: string | null;
  artifactDir: string | null;
  disposition: string | null;
}
interface Summary {
  stateRoot: string;
  allSucceeded: boolean;
  runs: SummaryRun[];
}

const skipReason = requireDockerOrSkip();
const N_OBS = 40;
const MODEL_YAML = join(repoRoot(), "test", "fixtures", "models", "contract-test", "model.yaml");

let work: string;
let dataset: string;

function manifest(jobs: string, extraGlobals = ""): string {
  return `globals:
  experiment_name: e2e
${extraGlobals}datasets:
  tiny:
    path: ${dataset}
    batch_key: batch
    label_key: label
jobs:
${jobs}`;
}

function writeManifest(name: string, text: string): string {
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

function registerTestModel(out: string): void {
  const result = cliSync(["register-model", MODEL_YAML, "--state-root", out]);
  assert.equal(result.code, 0, explain(result));
}

function byJob(summary: Summary): Map<string, SummaryRun> {
  return new Map(summary.runs.map((r) => [r.job, r]));
}

function launchIntents(stateRoot: string): number {
  const dir = join(stateRoot, "journal");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .map((f) => readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l.includes('"LAUNCH_INTENT"')).length)
    .reduce((a, b) => a + b, 0);
}

describe("multiverse run on the real Docker engine", { skip: skipReason }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-e2e-"));
    dataset = join(work, "tiny.h5mu");
    await writeH5mu(dataset, { nObs: N_OBS, modalities: { rna: { nVars: 25 } }, seed: 7, batches: 2, labels: 3, obsColumns: ["batch", "label"] });
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("good and misbehaving models each end in the right state with the right reason and evidence", async () => {
    const out = join(work, "mixed");
    registerTestModel(out);
    const behaviors = ["ok", "exit1", "no_outputs", "wrong_rows", "no_latent", "extra_dataset", "symlink", "nan"];
    const jobs = behaviors
      .map((b) => `  - name: ${b}\n    dataset_slug: tiny\n    model_name: contract-test\n    model_params: { behavior: ${b} }\n    seeds: [1]\n`)
      .join("") + "  - name: oom\n    dataset_slug: tiny\n    model_name: contract-test\n    model_params: { behavior: oom }\n    mem_limit: 64m\n    seeds: [1]\n";
    const file = writeManifest("mixed.yaml", manifest(jobs));
    const result = await cli(["run", "--manifest", file, "--output", out, "--json", "--max-concurrent", "3"]);
    assert.equal(result.code, 1, `some runs fail, so exit 1\n${result.stderr}`);
    const runs = byJob(parseJson<Summary>(result));
    const expect: Record<string, [string, string | null, RegExp?]> = {
      ok: ["ARTIFACT_SUCCESS", null],
      nan: ["ARTIFACT_SUCCESS", null], // basic validation does not demand finite latents
      exit1: ["FAILED", "nonzero_exit", /code 1/],
      no_outputs: ["FAILED", "validation_failed", /embeddings/],
      wrong_rows: ["FAILED", "validation_failed", new RegExp(`row_count_mismatch.*${N_OBS - 1}.*${N_OBS}|row_count_mismatch.*${N_OBS}.*${N_OBS - 1}`)],
      no_latent: ["FAILED", "validation_failed", /missing_latent/],
      extra_dataset: ["FAILED", "validation_failed", /extra_datasets/],
      symlink: ["FAILED", "validation_failed", /symlink_in_output/],
      oom: ["FAILED", "oom_killed"],
    };
    for (const [job, [phase, reason, message]] of Object.entries(expect)) {
      const run = runs.get(job);
      assert.ok(run, `run for job ${job}`);
      assert.equal(run.phase, phase, `${job}: ${run.message}`);
      assert.equal(run.reason, reason, `${job}: ${run.message}`);
      if (message) assert.match(run.message ?? "", message, job);
    }
    // Evidence of failures stays in the workspace: container.log, orchestrator.log and the model's run.log.
    for (const job of ["exit1", "no_outputs", "wrong_rows", "symlink", "oom"]) {
      const run = runs.get(job)!;
      const workspace = join(out, "store", "workspaces", run.attemptId!);
      for (const file of ["container.log", "orchestrator.log", "job_spec.json"]) {
        assert.ok(existsSync(join(workspace, file)), `${job}: ${file} kept in ${workspace}`);
      }
      assert.match(readFileSync(join(workspace, "orchestrator.log"), "utf8"), /FAILED/);
    }
    assert.match(readFileSync(join(out, "store", "workspaces", runs.get("exit1")!.attemptId!, "container.log"), "utf8"), /\S/, "container output captured");
    // The good bundle verifies with standard tools.
    const bundle = runs.get("ok")!.artifactDir!;
    assert.ok(bundle.startsWith(join(out, "store", "artifacts")));
    const manifestJson = JSON.parse(readFileSync(join(bundle, "artifact_manifest.json"), "utf8")) as Record<string, unknown>;
    assert.equal(manifestJson.logical_run_id, runs.get("ok")!.runId);
    assert.equal(manifestJson.physical_run_id, runs.get("ok")!.attemptId);
    const check = spawnSync("sha256sum", ["-c", "artifact_manifest.sha256"], { cwd: bundle, encoding: "utf8" });
    assert.equal(check.status, 0, check.stderr);
    for (const file of ["embeddings.h5", "metrics.json", "umap.png", "run.log", "job_spec.json", "container.log", "orchestrator.log"]) {
      assert.ok(existsSync(join(bundle, file)), `bundle has ${file}`);
    }
    const jobSpec = JSON.parse(readFileSync(join(bundle, "job_spec.json"), "utf8")) as Record<string, unknown>;
    assert.equal(jobSpec.seed, 1);
    assert.equal(jobSpec.model_name, "contract-test");
    assert.equal(jobSpec.batch_key, "batch");
    // describe explains a failure
    const described = cliSync(["describe", "run", runs.get("wrong_rows")!.runId.slice(0, 10), "--output", out]);
    assert.equal(described.code, 0, explain(described));
    assert.match(described.stdout, /validation_failed/);
    assert.match(described.stdout, /row_count_mismatch/);
  });

  test("strict validation refuses NaN latents that basic validation accepts", async () => {
    const out = join(work, "strict");
    registerTestModel(out);
    const file = writeManifest("nan.yaml", manifest("  - name: nan\n    dataset_slug: tiny\n    model_name: contract-test\n    model_params: { behavior: nan }\n    seeds: [2]\n"));
    const result = await cli(["run", "--manifest", file, "--output", out, "--json", "--validators", "strict"]);
    assert.equal(result.code, 1, result.stderr);
    const run = parseJson<Summary>(result).runs[0]!;
    assert.equal(run.phase, "FAILED");
    assert.equal(run.reason, "validation_failed");
    assert.match(run.message ?? "", /non_finite_latent/);
  });

  test("a missing image fails the run with image_missing", async () => {
    const out = join(work, "missing-image");
    const modelDir = join(work, "missing-model");
    spawnSync("mkdir", ["-p", modelDir]);
    writeFileSync(join(modelDir, "model.yaml"), "name: ghost\nversion: 0.0.1\ncontract_version: '1'\nsupported_omics: [rna]\nruntime:\n  image: multiverse-ghost-image:does-not-exist\nhyperparameters_schema: {}\n");
    assert.equal(cliSync(["register-model", join(modelDir, "model.yaml"), "--state-root", out]).code, 0);
    const file = writeManifest("ghost.yaml", manifest("  - dataset_slug: tiny\n    model_name: ghost\n"));
    const result = await cli(["run", "--manifest", file, "--output", out, "--json"]);
    assert.equal(result.code, 1, result.stderr);
    const run = parseJson<Summary>(result).runs[0]!;
    assert.equal(run.phase, "FAILED");
    assert.equal(run.reason, "image_missing");
  });

  test("skip_completed: a rerun launches nothing, one changed param relaunches exactly one job, a deleted bundle is relaunched", async () => {
    const out = join(work, "resume");
    registerTestModel(out);
    const jobs = (latentA: number) =>
      `  - name: a\n    dataset_slug: tiny\n    model_name: contract-test\n    model_params: { n_latent: ${latentA} }\n    seeds: [0, 1]\n` +
      "  - name: b\n    dataset_slug: tiny\n    model_name: contract-test\n    seeds: [0]\n";
    const file = writeManifest("resume.yaml", manifest(jobs(4)));
    const first = await cli(["run", "--manifest", file, "--output", out, "--json"]);
    assert.equal(first.code, 0, explain(first));
    const firstRuns = parseJson<Summary>(first).runs;
    assert.equal(firstRuns.length, 3);
    const launchesAfterFirst = launchIntents(out);
    assert.equal(launchesAfterFirst, 3);

    const second = await cli(["run", "--manifest", file, "--output", out, "--json", "--skip-completed"]);
    assert.equal(second.code, 0, explain(second));
    const secondRuns = parseJson<Summary>(second).runs;
    assert.ok(secondRuns.every((r) => r.disposition === "skipped" && r.phase === "ARTIFACT_SUCCESS"));
    assert.deepEqual(secondRuns.map((r) => r.attemptId).sort(), firstRuns.map((r) => r.attemptId).sort(), "the completing attempts are reported");
    assert.equal(launchIntents(out), launchesAfterFirst, "nothing launched");

    // globals.skip_completed is honoured too, and the plan names the completing attempt
    const viaGlobal = writeManifest("resume-global.yaml", manifest(jobs(4), "  skip_completed: true\n"));
    const third = await cli(["run", "--manifest", viaGlobal, "--output", out]);
    assert.equal(third.code, 0, explain(third));
    assert.match(third.stderr, /skip .*completed by attempt/);
    assert.equal(launchIntents(out), launchesAfterFirst);

    const changed = writeManifest("resume-changed.yaml", manifest(jobs(5)));
    const fourth = await cli(["run", "--manifest", changed, "--output", out, "--json", "--skip-completed"]);
    assert.equal(fourth.code, 0, explain(fourth));
    const fourthRuns = parseJson<Summary & { runs: { cacheMiss: { changes: string[] } | null }[] }>(fourth).runs;
    assert.equal(fourthRuns.filter((r) => r.disposition === "new").length, 2, "job a has two seeds, both with the new param");
    for (const run of fourthRuns.filter((r) => r.disposition === "new")) {
      assert.deepEqual((run as unknown as { cacheMiss: { changes: string[] } }).cacheMiss.changes, ["params.n_latent: 4 -> 5"], "the cache miss is explained");
    }
    assert.equal(fourthRuns.filter((r) => r.disposition === "skipped").length, 1);
    assert.equal(launchIntents(out), launchesAfterFirst + 2);

    const victim = fourthRuns.find((r) => r.job === "b")!;
    spawnSync("chmod", ["-R", "u+w", victim.artifactDir!]);
    rmSync(victim.artifactDir!, { recursive: true, force: true });
    const fifth = await cli(["run", "--manifest", changed, "--output", out, "--json", "--skip-completed"]);
    assert.equal(fifth.code, 0, explain(fifth));
    const relaunched = parseJson<Summary>(fifth).runs.filter((r) => r.disposition !== "skipped");
    assert.deepEqual(relaunched.map((r) => r.job), ["b"]);
    assert.equal(relaunched[0]!.runId, victim.runId, "same logical run, new attempt");
    assert.notEqual(relaunched[0]!.attemptId, victim.attemptId);
    assert.equal(launchIntents(out), launchesAfterFirst + 3);

    // Without skip_completed the manifest runs what it says.
    const sixth = await cli(["run", "--manifest", changed, "--output", out, "--json", "--seed", "1"]);
    assert.equal(sixth.code, 0, explain(sixth));
    assert.ok(parseJson<Summary>(sixth).runs.every((r) => r.seed === 1), "--seed overrides every job's seeds");
  });

  test("a container left behind by a crash after its exit was recorded is released by the next run; unknown ones are not touched", async () => {
    const out = join(work, "leftovers");
    registerTestModel(out);
    const file = writeManifest("leftovers.yaml", manifest("  - name: a\n    dataset_slug: tiny\n    model_name: contract-test\n    seeds: [0]\n"));
    const first = await cli(["run", "--manifest", file, "--output", out, "--json"]);
    assert.equal(first.code, 0, explain(first));
    const [run] = parseJson<Summary>(first).runs;
    const owner = readFileSync(join(out, "owner-id"), "utf8").trim();
    const create = (attemptId: string) =>
      spawnSync("docker", ["create", "--name", `mv-${attemptId}`, "--label", `io.multiverse.owner=${owner}`, "--label", `io.multiverse.attempt-id=${attemptId}`, "--label", "io.multiverse.managed=true", "multiverse-contract-test:dev", "true"], { encoding: "utf8" });
    // The window: the promoted attempt's container is still there (a kill between PROMOTED and the release).
    assert.equal(create(run!.attemptId!).status, 0);
    const stranger = `${"f".repeat(12)}-${owner.slice(0, 6)}-a1`;
    assert.equal(create(stranger).status, 0);
    try {
      const again = await cli(["run", "--manifest", file, "--output", out, "--json", "--skip-completed"]);
      assert.equal(again.code, 0, explain(again));
      const left = spawnSync("docker", ["ps", "-a", "--format", "{{.Names}}", "--filter", `label=io.multiverse.owner=${owner}`], { encoding: "utf8" }).stdout.trim().split("\n");
      assert.deepEqual(left, [`mv-${stranger}`], "the recorded attempt's container is gone; one the journal does not know stays");
    } finally {
      spawnSync("docker", ["rm", "-f", `mv-${stranger}`, `mv-${run!.attemptId!}`]);
    }
  });

  test("rebuild-index after deleting the index gives the same listing; --verify detects a tampered row", async () => {
    const out = join(work, "resume");
    const before = cliSync(["get", "runs", "--output", out, "-o", "json"]);
    assert.equal(before.code, 0, explain(before));
    const db = join(out, "multiverse_state.db");
    for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });
    const rebuilt = cliSync(["rebuild-index", "--state-root", out]);
    assert.equal(rebuilt.code, 0, explain(rebuilt));
    const afterRebuild = cliSync(["get", "runs", "--output", out, "-o", "json"]);
    assert.deepEqual(JSON.parse(afterRebuild.stdout), JSON.parse(before.stdout));
    assert.equal(cliSync(["rebuild-index", "--state-root", out, "--verify"]).code, 0);

    const handle = new Database(db);
    const victim = handle.prepare("SELECT run_id FROM runs LIMIT 1").get() as { run_id: string };
    handle.prepare("UPDATE runs SET phase = 'FAILED' WHERE run_id = ?").run(victim.run_id);
    handle.close();
    const drift = cliSync(["rebuild-index", "--state-root", out, "--verify"]);
    assert.equal(drift.code, 1);
    assert.match(drift.stdout, new RegExp(victim.run_id));
    assert.equal(cliSync(["rebuild-index", "--state-root", out]).code, 0);
    assert.equal(cliSync(["rebuild-index", "--state-root", out, "--verify"]).code, 0);
  });

  test("simple mode writes <out>/<job-name>/ and failed runs to <out>/_failed/<job-name>/, in both documented forms", async () => {
    const text = `schema_version: "1"
globals:
  mv_contract_version: "1"
jobs:
  - name: demo_ok
    model: { slug: contract-test, version: "0.1.0", image: multiverse-contract-test:dev }
    dataset: { slug: tiny, path: ${dataset}, n_obs: ${N_OBS} }
    params: { behavior: ok }
  - name: demo_bad
    model: { slug: contract-test, version: "0.1.0", image: multiverse-contract-test:dev }
    dataset: { slug: tiny, path: ${dataset}, n_obs: ${N_OBS} }
    params: { behavior: exit1 }
`;
    const file = writeManifest("simple.yaml", text);
    const out = join(work, "simple-a");
    const first = await cli(["run", "--simple", file, "--out", out, "--json"]);
    assert.equal(first.code, 1, first.stderr);
    assert.ok(existsSync(join(out, "demo_ok", "artifact_manifest.json")));
    assert.ok(existsSync(join(out, "_failed", "demo_bad", "container.log")));
    const out2 = join(work, "simple-b");
    const second = await cli(["run", "--simple", "--manifest", file, "--output", out2, "--json"]);
    assert.equal(second.code, 1, second.stderr);
    assert.ok(existsSync(join(out2, "demo_ok", "artifact_manifest.json")));
  });

  test("bad input exits 2 with file, line and field, and launches nothing", async () => {
    const out = join(work, "bad");
    registerTestModel(out);
    const unknownField = writeManifest("bad-field.yaml", manifest("  - dataset_slug: tiny\n    model_name: contract-test\n    sedes: [1]\n"));
    const r1 = await cli(["run", "--manifest", unknownField, "--output", out]);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /bad-field\.yaml:\d+/);
    assert.match(r1.stderr, /sedes/);
    assert.doesNotMatch(r1.stderr, /at .*\.js:\d+/, "no stack trace for a user mistake");

    const badParam = writeManifest("bad-param.yaml", manifest("  - dataset_slug: tiny\n    model_name: contract-test\n    model_params: { behaviour: ok }\n"));
    const r2 = await cli(["run", "--manifest", badParam, "--output", out]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /behaviour/);

    const strict = writeManifest("strict.yaml", manifest("  - dataset_slug: tiny\n    model_name: contract-test\n"));
    const r3 = await cli(["run", "--manifest", strict, "--output", out, "--strict"]);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /unverified_local/);
    assert.ok(!existsSync(join(out, "journal")) || launchIntents(out) === 0, "nothing launched");

    const down = await cli(["run", "--manifest", strict, "--output", out], { MULTIVERSE_DOCKER_SOCKET: join(work, "no-engine.sock") });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /the Docker engine does not answer.*\[MV_ENGINE_UNAVAILABLE\]/);
    assert.match(down.stderr, /--backend local/);
    assert.doesNotMatch(down.stderr, /internal error/);
    chmodSync(work, 0o755);
  });
});
