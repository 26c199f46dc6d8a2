/**
 * Optuna sweeps end to end through the CLI on the real Docker engine and real Optuna: every trial is an ordinary
 * run with its own bundle, the study is an ordinary Optuna study (optuna.load_study), a failed run is told FAIL and
 * a missing metric PRUNED, a non-sweepable field is refused at plan time, and a killed sweep resumes its study.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { CLI, cli, cliSync, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { tinyManifestYaml } from "../helpers/fixtures.js";
import { countRecords, journalRecords, waitForJournal } from "../helpers/journal.js";
import { exitedReason } from "../helpers/wait.js";
import { loadStudy, requireOptunaOrSkip } from "../helpers/optuna.js";

interface SummaryRun {
  runId: string;
  name: string;
  phase: string;
  artifactDir: string | null;
}
interface SweepSummary {
  studyName: string;
  storage: string;
  trials: { number: number; state: string; value: number | null; params: Record<string, unknown>; runId?: string }[];
  best?: { number: number; value: number };
  runIds: string[];
  error?: string;
}
interface Summary {
  allSucceeded: boolean;
  runs: SummaryRun[];
  sweeps: SweepSummary[];
}

const skip = requireDockerOrSkip(["multiverse-pca:1.0.0", "multiverse-contract-test:dev"]) ?? requireOptunaOrSkip();
const CONTRACT_MODEL = join(repoRoot(), "test", "fixtures", "models", "contract-test", "model.yaml");
let work: string;
let dataset: string;

function manifest(name: string, experiment: string, jobs: string): string {
  const file = join(work, name);
  writeFileSync(file, tinyManifestYaml({ experiment, dataset, jobs }));
  return file;
}

function sweepJob(model: string, space: string, extra: string): string {
  return `  - name: sweep
    dataset_slug: tiny
    model_name: ${model}
    mode: sweep
    search_space:
      ${space}
    direction: maximize
${extra}`;
}

function metricOf(artifactDir: string, key: string): number {
  const metrics = JSON.parse(readFileSync(join(artifactDir, "metrics.json"), "utf8")) as { model_metrics: Record<string, number> };
  return metrics.model_metrics[key]!;
}

function sqlite(out: string): string {
  return `sqlite:///${join(out, "optuna", "studies.db")}`;
}

describe("Optuna sweeps on the real Docker engine", { skip }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-sweep-"));
    dataset = join(work, "tiny.h5mu");
    await writeH5mu(dataset, { nObs: 60, modalities: { rna: { nVars: 40 } }, seed: 5, batches: 2, labels: 3, obsColumns: ["batch", "label"] });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test("a 6-trial sweep of pca over n_components completes; the study has 6 COMPLETE trials whose values are the bundles' metrics", async () => {
    const out = join(work, "pca");
    const file = manifest("pca.yaml", "sw", sweepJob("pca", "n_components: {type: int, low: 2, high: 12}", "    optimize_metric: explained_variance_ratio_sum\n    n_trials: 6\n"));
    const result = await cli(["run", "--manifest", file, "--output", out, "--json", "--max-concurrent", "2"]);
    assert.equal(result.code, 0, result.stderr);
    const summary = parseJson<Summary>(result);
    assert.equal(summary.allSucceeded, true);
    const sweep = summary.sweeps[0]!;
    assert.equal(sweep.studyName, "sw__tiny__pca");
    assert.equal(sweep.storage, sqlite(out));
    assert.equal(sweep.trials.length, 6);

    const study = loadStudy(sqlite(out), "sw__tiny__pca");
    assert.equal(study.direction, "MAXIMIZE");
    assert.equal(study.trials.length, 6);
    const runs = new Map(summary.runs.map((r) => [r.runId, r]));
    for (const trial of study.trials) {
      assert.equal(trial.state, "COMPLETE", JSON.stringify(trial));
      const run = runs.get(trial.runId!);
      assert.ok(run, `trial ${trial.number}'s run ${trial.runId} is in the summary`);
      assert.equal(run.phase, "ARTIFACT_SUCCESS");
      assert.equal(trial.value, metricOf(run.artifactDir!, "explained_variance_ratio_sum"), `trial ${trial.number}`);
      assert.equal(metricOf(run.artifactDir!, "n_components"), trial.params.n_components, "the run used the trial's parameters");
    }
    // Distinct parameters are distinct logical runs with their own bundles.
    const distinct = new Set(study.trials.map((t) => t.params.n_components));
    assert.equal(new Set(study.trials.map((t) => t.runId)).size, distinct.size);
    assert.equal(new Set(summary.runs.map((r) => r.artifactDir)).size, summary.runs.length);
    const best = Math.max(...study.trials.map((t) => t.value!));
    assert.equal(sweep.best?.value, best);

    // Journal and index show each run's trials.
    assert.equal(journalRecords(out).filter((r) => r.type === "SWEEP_TRIAL_TOLD").length, 6);
    const listed = parseJson<{ runId: string; sweepTrials?: { study: string; trialNumber: number; state: string; value: number }[] }[]>(cliSync(["get", "runs", "--output", out, "-o", "json"]));
    const trialNumbers = listed.flatMap((r) => (r.sweepTrials ?? []).map((t) => t.trialNumber)).sort();
    assert.deepEqual(trialNumbers, [0, 1, 2, 3, 4, 5]);
    const described = cliSync(["describe", "run", study.trials[0]!.runId!.slice(0, 12), "--output", out]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /Sweep trial: +sw__tiny__pca #0: COMPLETE/);
  });

  test("a search space on a non-sweepable field is refused at plan time (exit 2), before any container", async () => {
    const out = join(work, "refused");
    const file = manifest("refused.yaml", "sw", sweepJob("pca", "svd_solver: {type: categorical, choices: [full, randomized]}", "    optimize_metric: explained_variance_ratio_sum\n    n_trials: 2\n"));
    const result = await cli(["run", "--manifest", file, "--output", out]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /refused\.yaml: jobs\[0\]\.search_space\.svd_solver: .*"svd_solver" is not sweepable: model pca's hyperparameter schema does not mark it x-sweepable; sweepable: n_components/);
    assert.equal(journalRecords(out).filter((r) => r.type === "LAUNCH_INTENT").length, 0);
  });

  test("failed runs are told FAIL and a missing metric PRUNED, never 0", async () => {
    const out = join(work, "outcomes");
    assert.equal(cliSync(["register-model", CONTRACT_MODEL, "--state-root", out]).code, 0);
    const failing = sweepJob("contract-test", "n_latent: {type: int, low: 2, high: 6}", "    model_params: {behavior: exit1}\n    optimize_metric: n_latent\n    n_trials: 2\n    study_name: failing\n");
    const pruned = sweepJob("contract-test", "n_latent: {type: int, low: 8, high: 12}", "    optimize_metric: model_metrics.no_such_metric\n    n_trials: 2\n    study_name: pruned\n").replace("name: sweep", "name: sweep-pruned");
    const file = manifest("outcomes.yaml", "sw", `${failing}${pruned}`);
    const result = await cli(["run", "--manifest", file, "--output", out, "--json", "--max-concurrent", "2"]);
    assert.equal(result.code, 1, `failed trial runs fail the command\n${result.stderr}`);
    const failedStudy = loadStudy(sqlite(out), "failing");
    assert.deepEqual(failedStudy.trials.map((t) => [t.state, t.value]), [["FAIL", null], ["FAIL", null]]);
    const prunedStudy = loadStudy(sqlite(out), "pruned");
    assert.deepEqual(prunedStudy.trials.map((t) => [t.state, t.value]), [["PRUNED", null], ["PRUNED", null]]);
  });

  test("a study whose storage cannot be opened fails alone: the other study finishes, the command exits 1 and says why", async () => {
    const out = join(work, "broken-storage");
    assert.equal(cliSync(["register-model", CONTRACT_MODEL, "--state-root", out]).code, 0);
    const broken = sweepJob("contract-test", "n_latent: {type: int, low: 2, high: 6}", "    optimize_metric: n_latent\n    n_trials: 2\n    study_name: broken\n    study_storage: sqlite:////proc/no-such-dir/studies.db\n");
    const fine = sweepJob("contract-test", "n_latent: {type: int, low: 8, high: 12}", "    optimize_metric: n_latent\n    n_trials: 2\n    study_name: fine\n").replace("name: sweep", "name: sweep-fine");
    const file = manifest("broken.yaml", "sw", `${broken}${fine}`);
    const result = await cli(["run", "--manifest", file, "--output", out, "--json", "--max-concurrent", "2"]);
    assert.equal(result.code, 1, result.stderr);
    const summary = parseJson<Summary>(result);
    const [failed, finished] = [summary.sweeps.find((s) => s.studyName === "broken")!, summary.sweeps.find((s) => s.studyName === "fine")!];
    assert.match(failed.error ?? "", /the study could not be opened in sqlite:\/\/\/\/proc\/no-such-dir\/studies\.db: /);
    assert.equal(failed.trials.length, 0);
    assert.equal(finished.error, undefined);
    assert.deepEqual(loadStudy(sqlite(out), "fine").trials.map((t) => t.state), ["COMPLETE", "COMPLETE"]);
  });

  test("a sweep killed mid-trial resumes its study: finished trials are not repeated, in-flight trials continue with their runs", async () => {
    const out = join(work, "resume");
    assert.equal(cliSync(["register-model", CONTRACT_MODEL, "--state-root", out]).code, 0);
    const file = manifest("resume.yaml", "rs", sweepJob("contract-test", "n_latent: {type: int, low: 1, high: 64}", "    model_params: {behavior: sleep, sleep_seconds: 6}\n    optimize_metric: n_latent\n    n_trials: 4\n"));
    const args = [CLI, "run", "--manifest", file, "--output", out, "--json", "--max-concurrent", "2"];
    const first = spawn(process.execPath, args, { stdio: "ignore" });
    const exited = new Promise<void>((resolve) => first.on("exit", () => resolve()));
    // Kill it once both first trials are launched (their containers keep running), before any trial is told.
    await waitForJournal(out, "two trials launched", (records) => records.filter((r) => r.type === "LAUNCH_INTENT").length >= 2, {
      giveUpIf: () => exitedReason(first, "the first sweep") ?? (countRecords(out, "SWEEP_TRIAL_TOLD") > 0 && "a trial was told before the second launched (the kill would come too late)"),
    });
    first.kill("SIGKILL");
    await exited;
    const askedBefore = journalRecords(out).filter((r) => r.type === "SWEEP_TRIAL_ASKED") as unknown as { trialNumber: number; runId: string }[];
    assert.equal(journalRecords(out).filter((r) => r.type === "SWEEP_TRIAL_TOLD").length, 0, "nothing was told before the kill");
    assert.deepEqual(loadStudy(sqlite(out), "rs__tiny__contract-test").trials.map((t) => t.state), ["RUNNING", "RUNNING"]);

    const result = await cli(["run", "--manifest", file, "--output", out, "--json", "--max-concurrent", "2"]);
    assert.equal(result.code, 0, result.stderr);
    const study = loadStudy(sqlite(out), "rs__tiny__contract-test");
    assert.deepEqual(study.trials.map((t) => [t.number, t.state]), [[0, "COMPLETE"], [1, "COMPLETE"], [2, "COMPLETE"], [3, "COMPLETE"]]);
    for (const trial of study.trials) assert.equal(trial.value, trial.params.n_latent, `trial ${trial.number}: the metric is the run's n_latent`);
    // The trials in flight at the kill continued with the runs journaled for them: one launch each, no new attempt.
    const records = journalRecords(out) as unknown as { type: string; runId?: string; trialNumber?: number }[];
    for (const asked of askedBefore) {
      assert.equal(study.trials[asked.trialNumber]!.runId, asked.runId);
      assert.equal(records.filter((r) => r.type === "LAUNCH_INTENT" && r.runId === asked.runId).length, 1, `trial ${asked.trialNumber} was not launched again`);
    }
    assert.equal(records.filter((r) => r.type === "SWEEP_TRIAL_ASKED").length, 4, "no trial was asked twice");
  });
});
