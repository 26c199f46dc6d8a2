/**
 * Sweeps in the long-running controller, on the real Docker engine and real Optuna: a Benchmark with a sweep job
 * converges to a finished study (trial runs wanted, counted, and the Benchmark Ready only when the study is done);
 * a controller killed mid-sweep resumes the study on restart without repeating a trial; deleting the Benchmark
 * abandons its study and cancels its trial runs.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliSync, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { journalRecords } from "../helpers/journal.js";
import { benchmarkResourceYaml, listRuns, makeControllerWorkspace, removeControllerWorkspace, startControllerProcess, waitFor, type ControllerProcess } from "../helpers/controller.js";
import { loadStudy, requireOptunaOrSkip } from "../helpers/optuna.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const skip = requireDockerOrSkip(["multiverse-contract-test:dev"]) ?? requireOptunaOrSkip();

function sweepBenchmarkYaml(name: string, dataset: string, options: { nTrials: number; sleepSeconds?: number; storage?: string }): string {
  return benchmarkResourceYaml(name, dataset, [
    `    - name: tune`,
    `      dataset: ${name}-data`,
    `      model: contract-test`,
    `      seeds: [0]`,
    `      mode: sweep`,
    ...(options.sleepSeconds ? [`      params: {behavior: sleep, sleep_seconds: ${options.sleepSeconds}}`] : []),
    `      sweep: {searchSpace: {n_latent: {type: int, low: 1, high: 64}}, optimizeMetric: n_latent, direction: maximize, nTrials: ${options.nTrials}${options.storage ? `, storage: "${options.storage}"` : ""}}`,
  ]);
}

interface BenchmarkView {
  name: string;
  conditions: { type: string; status: string; reason: string; message: string }[];
}

function benchmark(stateRoot: string, name: string): BenchmarkView | undefined {
  return parseJson<{ items: BenchmarkView[] }>(cliSync(["get", "benchmarks", "--state-root", stateRoot, "-o", "json", "--all"])).items.find((b) => b.name === name);
}

function ready(view: BenchmarkView | undefined): BenchmarkView["conditions"][number] | undefined {
  return view?.conditions.find((c) => c.type === "Ready");
}

describe("sweeps in controller mode", { skip }, () => {
  let work: string;
  let dataset: string;
  let state: string;
  let watch: string;
  let controller: ControllerProcess | undefined;
  const studies = () => `sqlite:///${join(state, "optuna", "studies.db")}`;

  before(async () => {
    ({ work, dataset, state, watch } = await makeControllerWorkspace("mv-controller-sweeps-"));
  });
  after(() => removeControllerWorkspace({ work, dataset, state, watch }, controller));

  test("a dropped sweep benchmark runs its study to the end; Ready only once every trial is told", { timeout: TEST_HANG_GUARD_MS }, async () => {
    controller = await startControllerProcess(state, watch, ["--max-concurrent", "2"]);
    await controller.waitForLog(/controller ready/);
    writeFileSync(join(watch, "tune.yaml"), sweepBenchmarkYaml("tune", dataset, { nTrials: 4 }));
    await controller.waitForLog(/\[sweep tune__tune-data__contract-test\] benchmark tune: session started/);
    const done = await waitFor("tune ready", () => {
      const view = benchmark(state, "tune");
      return ready(view)?.status === "True" && view;
    });
    assert.equal(ready(done)?.reason, "AllRunsSucceeded");
    const study = loadStudy(studies(), "tune__tune-data__contract-test");
    assert.deepEqual(study.trials.map((t) => t.state), ["COMPLETE", "COMPLETE", "COMPLETE", "COMPLETE"]);
    for (const trial of study.trials) assert.equal(trial.value, trial.params.n_latent);
    const runs = listRuns(state, "tune");
    assert.equal(runs.length, new Set(study.trials.map((t) => t.runId)).size, "every trial's run is the benchmark's, none cancelled as superseded");
    assert.ok(runs.every((r) => r.phase === "ARTIFACT_SUCCESS"));
    assert.match(done.conditions.find((c) => c.type === "Progressing")!.message, new RegExp(`${runs.length} of ${runs.length} runs terminal`));
    assert.equal(journalRecords(state).filter((r) => r.type === "SWEEP_TRIAL_TOLD").length, 4);
  });

  test("kill -9 mid-sweep: the restarted controller resumes the study, no trial asked or launched twice", { timeout: TEST_HANG_GUARD_MS }, async () => {
    writeFileSync(join(watch, "slow.yaml"), sweepBenchmarkYaml("slow", dataset, { nTrials: 4, sleepSeconds: 3 }));
    await waitFor("two trials running", () => listRuns(state, "slow").filter((r) => r.phase === "RUNNING").length >= 2);
    await controller!.stop("SIGKILL");
    controller = await startControllerProcess(state, watch, ["--max-concurrent", "2"]);
    await controller.waitForLog(/controller ready/);
    await waitFor("slow ready", () => ready(benchmark(state, "slow"))?.status === "True", 240_000);
    const study = loadStudy(studies(), "slow__slow-data__contract-test");
    assert.deepEqual(study.trials.map((t) => t.state), ["COMPLETE", "COMPLETE", "COMPLETE", "COMPLETE"]);
    const records = journalRecords(state) as unknown as { type: string; runId?: string; study?: string; trialNumber?: number }[];
    const asked = records.filter((r) => r.type === "SWEEP_TRIAL_ASKED" && r.study === "slow__slow-data__contract-test");
    assert.equal(asked.length, 4, "no trial asked twice");
    for (const runId of new Set(asked.map((r) => r.runId))) {
      assert.equal(records.filter((r) => r.type === "LAUNCH_INTENT" && r.runId === runId).length, 1, `run ${runId} launched once`);
    }
  });

  test("a study that cannot be opened leaves the benchmark not Ready with the reason (SweepFailed)", { timeout: TEST_HANG_GUARD_MS }, async () => {
    writeFileSync(join(watch, "broken.yaml"), sweepBenchmarkYaml("broken", dataset, { nTrials: 2, storage: "sqlite:////proc/no-such-dir/studies.db" }));
    const condition = await waitFor("broken: SweepFailed", () => {
      const c = ready(benchmark(state, "broken"));
      return c?.reason === "SweepFailed" && c;
    });
    assert.equal(condition.status, "False");
    assert.match(condition.message, /study broken__broken-data__contract-test: the study could not be opened in sqlite:\/\/\/\/proc\/no-such-dir\/studies\.db/);
    assert.deepEqual(listRuns(state, "broken"), []);
    rmSync(join(watch, "broken.yaml"));
  });

  test("deleting a sweep benchmark abandons its study and cancels its trial runs", { timeout: TEST_HANG_GUARD_MS }, async () => {
    writeFileSync(join(watch, "gone.yaml"), sweepBenchmarkYaml("gone", dataset, { nTrials: 6, sleepSeconds: 30 }));
    await waitFor("a gone trial running", () => listRuns(state, "gone").some((r) => r.phase === "RUNNING"));
    rmSync(join(watch, "gone.yaml"));
    await controller!.waitForLog(/\[sweep gone__gone-data__contract-test\] benchmark gone no longer declares it: session abandoned/);
    const runs = await waitFor("gone's runs cancelled", () => {
      const all = listRuns(state, "gone");
      return all.length > 0 && all.every((r) => r.phase === "CANCELLED") && all;
    });
    const study = loadStudy(studies(), "gone__gone-data__contract-test");
    assert.ok(study.trials.length <= 2, "no trial asked after the deletion");
    assert.ok(study.trials.every((t) => t.state === "RUNNING"), "abandoned trials are not told: a later declaration resumes them");
    assert.ok(runs.length <= 2);
    const code = await controller!.stop("SIGTERM");
    assert.equal(code, 0);
    const verify = cliSync(["rebuild-index", "--state-root", state, "--verify"]);
    assert.equal(verify.code, 0, verify.stdout);
  });
});
