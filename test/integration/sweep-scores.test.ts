/**
 * Sweeps that optimise an evaluation score, end to end through the CLI with real Optuna: each trial's promoted run
 * is evaluated on its own (a launch of source "sweep") before Optuna is told its raw score; the default trial
 * metric is the bio-conservation score; a score that is not applicable is PRUNED, never 0. Local backend (pca),
 * stand-in evaluator (its fixture scores depend on the trial's params, so trials differ).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envsRoot } from "../../src/executors/registry.js";
import { readJournal } from "../../src/journal/journal.js";
import { repoRoot } from "../../src/util/paths.js";
import { cli, parseJson } from "../helpers/cli.js";
import { loadStudy, requireOptunaOrSkip } from "../helpers/optuna.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const DATA = join(repoRoot(), "data", "generated");
const STAND_IN = join(repoRoot(), "test", "fixtures", "evaluators", "stand-in");
const skip = requireOptunaOrSkip();

interface Summary {
  allSucceeded: boolean;
  runs: { runId: string; phase: string }[];
  sweeps: { studyName: string; optimizeMetric: string; trials: { number: number; state: string; value: number | null; runId?: string }[]; error?: string }[];
}
interface Cohort {
  launch_id: string;
  source: string;
  members: { run_id: string }[];
}

describe("sweeps on evaluation scores (real Optuna, stand-in evaluator)", { skip }, () => {
  let work: string;
  let envs: string;
  const env = () => ({ MULTIVERSE_ENVS_DIR: envs, MULTIVERSE_EVALUATOR_DIR: STAND_IN });
  const sweepManifest = (name: string, dataset: string, keys: string, metric: string) => {
    const file = join(work, `${name}.yaml`);
    writeFileSync(file, [
      `globals: {experiment_name: ${name}, backend: local}`,
      "datasets:",
      `  d: {path: ${join(DATA, dataset)}, ${keys}}`,
      "jobs:",
      "  - name: sweep",
      "    dataset_slug: d",
      "    model_name: pca",
      "    mode: sweep",
      "    search_space: {n_components: {type: int, low: 2, high: 8}}",
      "    direction: maximize",
      "    n_trials: 3",
      "    sampler: random",
      "    seeds: [1]",
      ...(metric ? [`    optimize_metric: ${metric}`] : []),
      "",
    ].join("\n"));
    return file;
  };
  const trialLaunches = (out: string): Cohort[] => {
    const dir = join(out, ".multiverse", "launches");
    return readdirSync(dir).map((id) => JSON.parse(readFileSync(join(dir, id, "cohort.json"), "utf8")) as Cohort).filter((c) => c.source === "sweep");
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), "mv-sweep-scores-"));
    envs = join(work, "envs");
    const venv = spawnSync("python3", ["-m", "venv", "--without-pip", join(envs, "stand-in-evaluator-0.0.1")], { encoding: "utf8" });
    assert.equal(venv.status, 0, venv.stderr);
    // One process runs the trials (pca's environment) and evaluates them (the stand-in's): both under one envs dir.
    symlinkSync(join(envsRoot(), "pca-1.0.0"), join(envs, "pca-1.0.0"));
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("without optimize_metric, each trial is evaluated and Optuna is told its raw bio-conservation score", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const out = join(work, "bio");
    const result = await cli(["run", "--manifest", sweepManifest("bio", "demo-rna.h5mu", "batch_key: batch, label_key: label", ""), "--output", out, "--json", "--max-concurrent", "1"], env());
    assert.equal(result.code, 0, result.stderr);
    const summary = parseJson<Summary>(result);
    const sweep = summary.sweeps[0]!;
    assert.equal(sweep.optimizeMetric, "scib.bio_conservation");
    const storage = `sqlite:///${join(out, "optuna", "studies.db")}`;
    const study = loadStudy(storage, sweep.studyName);
    assert.equal(study.trials.length, 3);
    const launches = trialLaunches(out);
    for (const trial of study.trials) {
      assert.equal(trial.state, "COMPLETE", JSON.stringify(trial));
      // The value told is the one in that trial's own evaluation.
      const launch = launches.find((c) => c.members.some((m) => m.run_id === trial.runId));
      assert.ok(launch, `trial ${trial.number}'s run was evaluated in a launch of its own`);
      assert.equal(launch.members.length, 1);
      const doc = JSON.parse(readFileSync(join(out, ".multiverse", "launches", launch.launch_id, "evaluations", `${trial.runId}.json`), "utf8")) as { scores: { bio_conservation: number } };
      assert.equal(trial.value, doc.scores.bio_conservation);
      assert.ok(existsSync(join(out, ".multiverse", "launches", launch.launch_id, "evaluation_report.json")), "the trial's report, with its controls");
    }
    const told = readJournal(out).records.filter((r) => r.type === "SWEEP_TRIAL_TOLD");
    assert.ok(told.every((r) => r.type === "SWEEP_TRIAL_TOLD" && /scib\.bio_conservation = .* \(raw, from the trial's evaluation\); launch /.test(r.message ?? "")), JSON.stringify(told));
    const evaluations = readJournal(out).records.filter((r) => r.type === "EVALUATION_FINISHED");
    assert.equal(evaluations.length, launches.length, "one evaluation per evaluated trial run");
  });

  test("a score that is not applicable (no label key: no bio-conservation) prunes every trial; none is told 0", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const out = join(work, "nolabel");
    const result = await cli(["run", "--manifest", sweepManifest("nolabel", "demo-rna-atac.h5mu", "batch_key: batch", "scib.total"), "--output", out, "--json", "--max-concurrent", "1"], env());
    const summary = parseJson<Summary>(result);
    const sweep = summary.sweeps[0]!;
    const study = loadStudy(`sqlite:///${join(out, "optuna", "studies.db")}`, sweep.studyName);
    assert.deepEqual(study.trials.map((t) => [t.state, t.value]), [["PRUNED", null], ["PRUNED", null], ["PRUNED", null]]);
    const told = readJournal(out).records.filter((r) => r.type === "SWEEP_TRIAL_TOLD");
    assert.ok(told.every((r) => r.type === "SWEEP_TRIAL_TOLD" && /"scib\.total" has no value in the trial's evaluation \(not applicable/.test(r.message ?? "")), JSON.stringify(told));
  });

  test("a score metric that is not a name is refused at plan time with its field", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const result = await cli(["run", "--manifest", sweepManifest("badname", "demo-rna.h5mu", "batch_key: batch, label_key: label", "'scib.total score'"), "--output", join(work, "bad"), "--json"], env());
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /badname\.yaml:\d+.*optimize_metric "scib\.total score" is not a score/s);
  });
});
