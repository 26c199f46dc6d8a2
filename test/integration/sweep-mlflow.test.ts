/**
 * Sweeps in MLflow, against a real tracking server, real Optuna and the real Docker engine: one parent run per
 * study (found again when the study resumes), every trial's run its child, the study's summary on the parent; and
 * mlflow-sync links trials synced after the fact to the same parent without duplicates.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
import { loadStudy, requireOptunaOrSkip } from "../helpers/optuna.js";

const CONTRACT_MODEL = join(repoRoot(), "test", "fixtures", "models", "contract-test", "model.yaml");
const skip = requireDockerOrSkip(["multiverse-contract-test:dev"]) ?? requireOptunaOrSkip();

interface Summary {
  allSucceeded: boolean;
  runs: { runId: string; attemptId: string | null; phase: string }[];
  sweeps: { studyName: string; trials: { number: number; state: string; value: number | null; runId?: string }[]; best?: { number: number; value: number } }[];
}

let work: string;
let dataset: string;
let server: TestMlflowServer;
let client: MlflowClient;

function manifest(name: string, experiment: string, uri: string, nTrials: number): string {
  const file = join(work, name);
  writeFileSync(file, tinyManifestYaml({ experiment, dataset, globals: `  mlflow_tracking_uri: ${uri}\n`, jobs: `  - name: sweep
    dataset_slug: tiny
    model_name: contract-test
    mode: sweep
    search_space:
      n_latent: {type: int, low: 2, high: 40}
    optimize_metric: n_latent
    direction: maximize
    n_trials: ${nTrials}
` }));
  return file;
}

async function runsOf(experiment: string): Promise<MlflowRun[]> {
  const found = await client.getExperimentByName(experiment);
  assert.ok(found, `experiment ${experiment} exists in MLflow`);
  return client.searchRuns({ experimentIds: [found.experimentId], runViewType: "ALL" });
}

function parentsOf(runs: MlflowRun[]): MlflowRun[] {
  return runs.filter((r) => r.tags["multiverse.role"] === "optuna_study");
}

describe("Optuna studies in MLflow (real tracking server, real Optuna, real Docker)", { skip }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-sweep-mlflow-"));
    dataset = join(work, "tiny.h5mu");
    await writeH5mu(dataset, { nObs: 40, modalities: { rna: { nVars: 25 } }, seed: 3, batches: 2, labels: 3, obsColumns: ["batch", "label"] });
    server = startMlflow(join(work, "mlflow"), await freePort());
    client = new MlflowClient({ trackingUri: server.uri });
  });
  after(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("a study is one parent run with its trials as children; resuming with more trials keeps the parent", async () => {
    const out = join(work, "live");
    assert.equal(cliSync(["register-model", CONTRACT_MODEL, "--state-root", out]).code, 0);
    const first = await cli(["run", "--manifest", manifest("three.yaml", "sweeps-live", server.uri, 3), "--output", out, "--json", "--max-concurrent", "2"]);
    assert.equal(first.code, 0, first.stderr);
    const summary = parseJson<Summary>(first);
    const studyName = "sweeps-live__tiny__contract-test";

    let runs = await runsOf("sweeps-live");
    let parents = parentsOf(runs);
    assert.equal(parents.length, 1, "one parent run for the study");
    const parent = parents[0]!;
    assert.equal(parent.info.runName, studyName);
    assert.equal(parent.info.status, "FINISHED");
    assert.equal(parent.tags["multiverse.optuna_study"], studyName);
    assert.equal(parent.params.direction, "maximize");
    assert.equal(parent.params.optimize_metric, "n_latent");
    assert.deepEqual(JSON.parse(parent.params["search_space.n_latent"]!), { type: "int", low: 2, high: 40, step: 1, log: false });
    assert.equal(parent.metrics.trials_complete?.value, 3);
    const study = loadStudy(`sqlite:///${join(out, "optuna", "studies.db")}`, studyName);
    const best = Math.max(...study.trials.map((t) => t.value!));
    assert.equal(parent.metrics.best_n_latent?.value, best, "the parent carries the study's best value");
    assert.equal(parent.tags["multiverse.optuna_best_trial"], String(summary.sweeps[0]!.best!.number));

    const children = runs.filter((r) => r.tags["mlflow.parentRunId"] === parent.info.runId);
    const distinctRuns = new Set(study.trials.map((t) => t.runId)).size;
    assert.equal(children.length, distinctRuns, "every trial's run is a child of the study's run");
    for (const child of children) {
      assert.equal(child.info.status, "FINISHED");
      assert.equal(child.tags["multiverse.optuna_study"], studyName);
      const trial = study.trials.find((t) => String(t.number) === child.tags["multiverse.optuna_trial"]);
      assert.ok(trial, `child ${child.info.runName} names its trial`);
      assert.equal(child.tags["multiverse.logical_run_id"], trial.runId);
      assert.equal(Number(child.metrics.n_latent?.value), trial.value, "the child's metric is the trial's value");
    }

    // The same study with more trials: the same parent, reopened and finished again; no trial repeated.
    const second = await cli(["run", "--manifest", manifest("five.yaml", "sweeps-live", server.uri, 5), "--output", out, "--json", "--max-concurrent", "2"]);
    assert.equal(second.code, 0, second.stderr);
    runs = await runsOf("sweeps-live");
    parents = parentsOf(runs);
    assert.equal(parents.length, 1, "the resumed study keeps its parent run");
    assert.equal(parents[0]!.info.runId, parent.info.runId);
    assert.equal(parents[0]!.info.status, "FINISHED");
    assert.equal(parents[0]!.metrics.trials_complete?.value, 5);
    const resumed = loadStudy(`sqlite:///${join(out, "optuna", "studies.db")}`, studyName);
    assert.equal(resumed.trials.length, 5);
    assert.equal(runs.filter((r) => r.tags["mlflow.parentRunId"] === parent.info.runId).length, new Set(resumed.trials.map((t) => t.runId)).size);
  });

  test("a sweep run while the server is down is linked to its parent by mlflow-sync, and a second sync adds nothing", async () => {
    const out = join(work, "offline");
    assert.equal(cliSync(["register-model", CONTRACT_MODEL, "--state-root", out]).code, 0);
    const downUri = `http://127.0.0.1:${await freePort()}`;
    const result = await cli(["run", "--manifest", manifest("offline.yaml", "sweeps-offline", downUri, 3), "--output", out, "--json", "--max-concurrent", "2"]);
    assert.equal(result.code, 0, `a sweep never fails because tracking is down\n${result.stderr}`);
    const summary = parseJson<Summary>(result);
    assert.equal(summary.allSucceeded, true);

    for (let pass = 0; pass < 2; pass += 1) {
      const sync = cliSync(["mlflow-sync", "--output", out, "--tracking-uri", server.uri, "--json"]);
      assert.equal(sync.code, 0, sync.stderr);
    }
    const runs = await runsOf("sweeps-offline");
    const parents = parentsOf(runs);
    assert.equal(parents.length, 1, "one parent run, however often it is synced");
    assert.equal(parents[0]!.info.status, "FINISHED", "every asked trial was told, so the parent is closed");
    assert.equal(parents[0]!.params.direction, "maximize", "the journal carries the study's direction and metric");
    const best = Math.max(...summary.sweeps[0]!.trials.map((t) => t.value ?? -Infinity));
    assert.equal(parents[0]!.metrics.best_n_latent?.value, best);
    const children = runs.filter((r) => r.tags["mlflow.parentRunId"] === parents[0]!.info.runId);
    assert.equal(children.length, summary.runs.length, "one child per trial run, no duplicates");
    assert.deepEqual(new Set(children.map((c) => c.tags["multiverse.physical_run_id"])), new Set(summary.runs.map((r) => r.attemptId)));
  });
});
