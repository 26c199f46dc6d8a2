/**
 * Controller mode with evaluation enabled: a Benchmark with `evaluation: {enabled: true}` is evaluated once its
 * generation's runs are terminal (pca on the local executor, the stand-in evaluator of test/fixtures/evaluators):
 * its cohort is a launch under <state>/.multiverse/launches/, the Evaluated condition turns True with the
 * observed generation, the status API serves the evaluation and `describe benchmark` shows the leaderboard.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { readJournal } from "../../src/journal/journal.js";
import { repoRoot } from "../../src/util/paths.js";
import { cliSync, parseJson } from "../helpers/cli.js";
import { startControllerProcess, waitFor, type ControllerProcess } from "../helpers/controller.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const STAND_IN = join(repoRoot(), "test", "fixtures", "evaluators", "stand-in");
const MODEL_ENVS = process.env.MULTIVERSE_ENVS_DIR ?? join(homedir(), ".multiverse", "envs");

interface BenchmarkView {
  name: string;
  observedGeneration: number | null;
  conditions: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[];
}

describe("controller mode with evaluation enabled", () => {
  let work: string;
  let state: string;
  let controller: ControllerProcess | undefined;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "mv-eval-ctl-"));
    state = join(work, "state");
    const watch = join(work, "watch");
    const envs = join(work, "envs");
    mkdirSync(watch);
    mkdirSync(envs);
    // The pca model's own environment, and the stand-in evaluator's, in one envs root.
    symlinkSync(join(MODEL_ENVS, "pca-1.0.0"), join(envs, "pca-1.0.0"));
    const venv = spawnSync("python3", ["-m", "venv", "--without-pip", join(envs, "stand-in-evaluator-0.0.1")], { encoding: "utf8" });
    assert.equal(venv.status, 0, venv.stderr);
    writeFileSync(join(watch, "evaluated.yaml"), [
      "apiVersion: multiverse.io/v1alpha1",
      "kind: Dataset",
      "metadata: {name: eval-rna}",
      `spec: {path: ${join(repoRoot(), "data", "generated", "demo-rna.h5mu")}, batchKey: batch, labelKey: label}`,
      "---",
      "apiVersion: multiverse.io/v1alpha1",
      "kind: Benchmark",
      "metadata: {name: evaluated}",
      "spec:",
      "  experimentName: evaluated",
      "  backend: local",
      "  evaluation: {enabled: true, metrics: fast}",
      "  jobs:",
      "    - {name: pca, dataset: eval-rna, model: pca, seeds: [0], params: {n_components: 4}}",
      "",
    ].join("\n"));
    return startControllerProcess(state, watch, ["--backend", "local", "--listen", "127.0.0.1:0"], { MULTIVERSE_ENVS_DIR: envs, MULTIVERSE_EVALUATOR_DIR: STAND_IN }).then((c) => void (controller = c));
  });
  after(async () => {
    await controller?.stop("SIGKILL");
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("the generation is evaluated once its runs are terminal: Evaluated=True, cohort, API, describe", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const benchmark = await waitFor("the Evaluated condition True", () => {
      const view = parseJson<{ items: BenchmarkView[] }>(cliSync(["get", "benchmarks", "--state-root", state, "-o", "json"])).items.find((b) => b.name === "evaluated");
      const evaluated = view?.conditions.find((c) => c.type === "Evaluated");
      if (evaluated?.reason === "EvaluationFailed") throw new Error(`evaluation failed: ${evaluated.message}\n${controller?.log()}`);
      return evaluated?.status === "True" ? view : undefined;
    }, 600_000);
    const evaluated = benchmark.conditions.find((c) => c.type === "Evaluated");
    assert.equal(evaluated?.reason, "Evaluated");
    assert.equal(evaluated?.observedGeneration, benchmark.observedGeneration);
    assert.match(evaluated?.message ?? "", /1 done/);
    assert.ok(benchmark.conditions.some((c) => c.type === "Ready"), "the Benchmark controller's conditions are still there");

    const launchesRoot = join(state, ".multiverse", "launches");
    const launches = readdirSync(launchesRoot);
    assert.equal(launches.length, 1, "one launch per generation");
    const launchId = launches[0]!;
    const cohort = JSON.parse(readFileSync(join(launchesRoot, launchId, "cohort.json"), "utf8")) as { source: string; generation: number; metrics_preset: string; members: { batch_key: string; label_key: string; attempt_ids: string[]; bundle_dir: string | null }[] };
    assert.deepEqual([cohort.source, cohort.generation, cohort.metrics_preset], ["controller", benchmark.observedGeneration, "fast"]);
    assert.deepEqual(cohort.members.map((m) => [m.batch_key, m.label_key, m.attempt_ids.length, m.bundle_dir !== null]), [["batch", "label", 1, true]]);
    const finished = readJournal(state).records.filter((r) => r.type === "EVALUATION_FINISHED");
    assert.deepEqual(finished.map((r) => (r.type === "EVALUATION_FINISHED" ? [r.launchId, r.status, r.generation] : [])), [[launchId, "done", benchmark.observedGeneration]]);

    const api = controller?.apiAddress();
    assert.ok(api, "the controller serves its API");
    const response = await fetch(`${api}/api/v1/benchmarks/evaluated/evaluation`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { launchId: string; condition: { status: string }; summary: { datasets: { slug: string; scores: { id: string }[] }[] } };
    assert.equal(body.launchId, launchId);
    assert.equal(body.condition.status, "True");
    assert.deepEqual(body.summary.datasets.map((d) => [d.slug, d.scores.length]), [["eval-rna", 3]], "the member and both controls");
    const missing = await fetch(`${api}/api/v1/benchmarks/nope/evaluation`);
    assert.equal(missing.status, 404);

    const described = cliSync(["describe", "benchmark", "evaluated", "--state-root", state]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, new RegExp(`Evaluation \\(launch ${launchId}`));
    assert.match(described.stdout, /control:random \(control\)/);
  });
});
