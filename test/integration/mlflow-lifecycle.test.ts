/**
 * The MLflow projection against a real tracking server (scripts/start-mlflow.sh: SQLite, loopback) and the real
 * Docker engine, through the CLI: what a promoted run looks like in MLflow, epoch metrics in the same run,
 * failures as FAILED runs, a server that is down during the run, and idempotent mlflow-sync.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { MlflowClient } from "../../src/tracking/mlflow-client.js";
import type { MlflowRun } from "../../src/tracking/mlflow-types.js";
import { cli, cliSync, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { tinyManifestYaml } from "../helpers/fixtures.js";
import { freePort, startMlflow, type TestMlflowServer } from "../helpers/mlflow.js";

const EPOCH_IMAGE = "multiverse-epoch-test:dev";
const skipReason = requireDockerOrSkip();
const EPOCH_MODEL = join(repoRoot(), "test", "fixtures", "models", "epoch-test");
const CONTRACT_MODEL = join(repoRoot(), "test", "fixtures", "models", "contract-test", "model.yaml");

interface SummaryRun {
  runId: string;
  job: string;
  phase: string;
  reason: string | null;
  attemptId: string | null;
  artifactDir: string | null;
}

interface SyncJson {
  items: { physicalRunId?: string; action: string; mlflowRunId?: string; message?: string }[];
  journaled: boolean;
}

interface DescribeJson {
  tracking: { attemptId: string; state: string; mlflowRunId?: string; message?: string }[];
}

let work: string;
let dataset: string;
let server: TestMlflowServer;
let client: MlflowClient;

function manifest(experiment: string, uri: string, jobs: string): string {
  return tinyManifestYaml({ experiment, dataset, globals: `  mlflow_tracking_uri: ${uri}\n`, jobs });
}

function register(out: string): void {
  for (const yaml of [join(EPOCH_MODEL, "model.yaml"), CONTRACT_MODEL]) {
    const result = cliSync(["register-model", yaml, "--state-root", out]);
    assert.equal(result.code, 0, result.stderr);
  }
}

async function runsOf(experiment: string): Promise<MlflowRun[]> {
  const found = await client.getExperimentByName(experiment);
  assert.ok(found, `experiment ${experiment} exists in MLflow`);
  return client.searchRuns({ experimentIds: [found.experimentId], runViewType: "ALL" });
}

function byPhysicalId(runs: MlflowRun[], attemptId: string): MlflowRun {
  const matching = runs.filter((r) => r.tags["multiverse.physical_run_id"] === attemptId);
  assert.equal(matching.length, 1, `exactly one MLflow run for attempt ${attemptId}`);
  return matching[0]!;
}

function jsonlHistory(bundle: string, key: string): [number, number][] {
  return readFileSync(join(bundle, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { step: number; metrics: Record<string, number> })
    .map((r) => [r.step, r.metrics[key]!]);
}

describe("MLflow projection of runs (real tracking server, real Docker)", { skip: skipReason }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-mlflow-"));
    dataset = join(work, "tiny.h5mu");
    await writeH5mu(dataset, { nObs: 40, modalities: { rna: { nVars: 25 } }, seed: 7, batches: 2, labels: 3, obsColumns: ["batch", "label"] });
    const build = spawnSync("docker", ["build", "-q", "-t", EPOCH_IMAGE, join(EPOCH_MODEL, "container")], { encoding: "utf8", timeout: 170_000 });
    assert.equal(build.status, 0, `building ${EPOCH_IMAGE} (FROM multiverse-pca:1.0.0): ${build.stderr}`);
    server = startMlflow(join(work, "mlflow"), await freePort());
    client = new MlflowClient({ trackingUri: server.uri });
  });
  after(async () => {
    await server?.stop();
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("a promoted run's params, tags, metrics, epoch history, system metrics and artifacts are in one MLflow run; a failed run is FAILED", async () => {
    const out = join(work, "out");
    register(out);
    const jobs = `  - name: ep
    dataset_slug: tiny
    model_name: epoch-test
    model_params: { n_epochs: 4, epoch_seconds: 0.7 }
    seeds: [3]
  - name: bad
    dataset_slug: tiny
    model_name: contract-test
    model_params: { behavior: exit1 }
    seeds: [1]
`;
    const file = join(work, "m.yaml");
    writeFileSync(file, manifest("mlflow-it", server.uri, jobs));
    const result = await cli(["run", "--manifest", file, "--output", out, "--json"], { MULTIVERSE_SYSTEM_METRICS_INTERVAL_MS: "300" });
    assert.equal(result.code, 1, `the exit1 job fails the command\n${result.stderr}`);
    const summary = new Map(parseJson<{ runs: SummaryRun[] }>(result).runs.map((r) => [r.job, r]));
    const ep = summary.get("ep")!;
    assert.equal(ep.phase, "ARTIFACT_SUCCESS");
    const bundle = ep.artifactDir!;
    const runs = await runsOf("mlflow-it");
    assert.equal(runs.length, 2, "one MLflow run per attempt");

    const run = byPhysicalId(runs, ep.attemptId!);
    assert.equal(run.info.status, "FINISHED");
    assert.deepEqual(run.params, { n_epochs: "4", epoch_seconds: "0.7", n_latent: "4", seed: "3" });
    const manifestJson = JSON.parse(readFileSync(join(bundle, "artifact_manifest.json"), "utf8")) as { logical_run_id: string; dataset: { fingerprint: string }; image: { digest: string } };
    assert.equal(run.tags["multiverse.logical_run_id"], manifestJson.logical_run_id);
    assert.equal(run.tags["multiverse.dataset_fingerprint"], manifestJson.dataset.fingerprint);
    assert.equal(run.tags["multiverse.image_digest"], manifestJson.image.digest);
    assert.equal(run.tags["multiverse.contract_version"], "1");
    assert.equal(run.tags["multiverse.seed"], "3");
    assert.equal(run.tags["multiverse.projection"], "synced");
    const metrics = JSON.parse(readFileSync(join(bundle, "metrics.json"), "utf8")) as { model_metrics: { final_loss: number } };
    assert.equal(run.metrics.final_loss?.value, metrics.model_metrics.final_loss);
    // The model's epoch metrics (EpochLogger, metrics.jsonl) are the run's history, step by step.
    const history = (await client.getMetricHistory(run.info.runId, "loss")).map((m) => [m.step, m.value] as [number, number]).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(history, jsonlHistory(bundle, "loss"));
    assert.equal(history.length, 4);
    const cpu = await client.getMetricHistory(run.info.runId, "system/cpu_utilization_percentage");
    assert.ok(cpu.length >= 1, "host-side CPU samples of the container");
    assert.equal(run.tags["multiverse.system_metrics_source"], "docker stats");
    const artifacts = (await client.listArtifacts(run.info.runId)).map((f) => f.path);
    for (const name of ["metrics.json", "metrics.jsonl", "run.log", "artifact_manifest.json", "artifact_manifest.sha256"]) assert.ok(artifacts.includes(name), `${name} uploaded: ${artifacts.join(", ")}`);
    assert.ok(!artifacts.includes("embeddings.h5"), "embeddings are optional and off by default");
    assert.equal((await client.downloadArtifact(run.info, "metrics.json")).toString("utf8"), readFileSync(join(bundle, "metrics.json"), "utf8"));

    const bad = byPhysicalId(runs, summary.get("bad")!.attemptId!);
    assert.equal(bad.info.status, "FAILED");
    assert.equal(bad.tags["multiverse.failure_reason"], "nonzero_exit");
    assert.ok((await client.listArtifacts(bad.info.runId, "evidence")).some((f) => f.path === "evidence/orchestrator.log"));

    const described = parseJson<DescribeJson>(cliSync(["describe", "run", ep.runId, "--state-root", out, "-o", "json"]));
    assert.deepEqual(described.tracking.map((t) => [t.attemptId, t.state, t.mlflowRunId]), [[ep.attemptId, "synced", run.info.runId]]);

    // Sync is idempotent: nothing new in MLflow.
    const sync = cliSync(["mlflow-sync", "--output", out, "--json"], { MLFLOW_TRACKING_URI: server.uri });
    assert.equal(sync.code, 0, sync.stderr);
    assert.deepEqual(parseJson<SyncJson>(sync).items.map((i) => [i.physicalRunId, i.action]), [[ep.attemptId, "unchanged"]]);
    assert.equal((await runsOf("mlflow-it")).length, 2);
    assert.equal((await client.getMetricHistory(run.info.runId, "loss")).length, 4, "no duplicated history points");
  });

  test("a server that is down during the run leaves it ARTIFACT_SUCCESS with the projection pending; mlflow-sync completes it, twice without duplicates", async () => {
    const out = join(work, "down");
    register(out);
    await server.stop();
    const file = join(work, "down.yaml");
    writeFileSync(file, manifest("mlflow-down", server.uri, "  - name: ep\n    dataset_slug: tiny\n    model_name: epoch-test\n    model_params: { n_epochs: 3 }\n    seeds: [5]\n"));
    const result = await cli(["run", "--manifest", file, "--output", out, "--json"]);
    assert.equal(result.code, 0, `tracking down never fails a run\n${result.stderr}`);
    const ep = parseJson<{ runs: SummaryRun[] }>(result).runs[0]!;
    assert.equal(ep.phase, "ARTIFACT_SUCCESS");
    const pending = parseJson<DescribeJson>(cliSync(["describe", "run", ep.runId, "--state-root", out, "-o", "json"]));
    assert.equal(pending.tracking[0]?.state, "pending");
    assert.match(pending.tracking[0]?.message ?? "", /unreachable/);
    assert.match(cliSync(["describe", "run", ep.runId, "--state-root", out]).stdout, /MLflow: .*pending/);

    server = startMlflow(server.dir, server.port);
    client = new MlflowClient({ trackingUri: server.uri });
    const first = cliSync(["mlflow-sync", "--output", out, "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const firstJson = parseJson<SyncJson>(first);
    assert.deepEqual(firstJson.items.map((i) => [i.physicalRunId, i.action]), [[ep.attemptId, "created"]]);
    assert.equal(firstJson.journaled, true);
    const synced = parseJson<DescribeJson>(cliSync(["describe", "run", ep.runId, "--state-root", out, "-o", "json"]));
    assert.equal(synced.tracking[0]?.state, "synced");

    const runs = await runsOf("mlflow-down");
    assert.equal(runs.length, 1);
    const run = byPhysicalId(runs, ep.attemptId!);
    assert.equal(run.info.status, "FINISHED");
    assert.equal((await client.getMetricHistory(run.info.runId, "loss")).length, 3);

    const second = cliSync(["mlflow-sync", "--output", out, "--json"]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(parseJson<SyncJson>(second).items.map((i) => i.action), ["unchanged"]);
    const bundleSync = cliSync(["mlflow-sync", "--bundle", ep.artifactDir!, "--tracking-uri", server.uri, "--json"]);
    assert.deepEqual(parseJson<SyncJson>(bundleSync).items.map((i) => i.action), ["unchanged"]);
    assert.equal((await runsOf("mlflow-down")).length, 1, "no duplicate runs");
    assert.equal((await client.getMetricHistory(run.info.runId, "loss")).length, 3, "no duplicate points");
  });

  test("mlflow-sync refuses bad input with a clear message", () => {
    const neither = cliSync(["mlflow-sync", "--tracking-uri", server.uri]);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /exactly one of --bundle DIR and --output DIR/);
    const noBundle = cliSync(["mlflow-sync", "--bundle", work, "--tracking-uri", server.uri]);
    assert.equal(noBundle.code, 2);
    assert.match(noBundle.stderr, /not a bundle/);
    const noUri = cliSync(["mlflow-sync", "--output", work], { MLFLOW_TRACKING_URI: "" });
    assert.equal(noUri.code, 2);
    assert.match(noUri.stderr, /--tracking-uri/);
  });
});
