/**
 * Controller mode on the real Docker engine: file drops and edits converge, broken files do not disturb,
 * cancellation of running and queued runs and of whole benchmarks, a single writer per state root, and
 * adoption after kill -9.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { cli, cliSync, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { journalRecords } from "../helpers/journal.js";
import { benchmarkResourceYaml, listRuns, makeControllerWorkspace, removeControllerWorkspace, startControllerProcess, waitFor, type ControllerProcess } from "../helpers/controller.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const skip = requireDockerOrSkip();

function benchmarkYaml(name: string, dataset: string, jobs: { name: string; params: Record<string, unknown>; seeds: number[] }[]): string {
  return benchmarkResourceYaml(name, dataset, jobs.map((j) => `    - {name: ${j.name}, dataset: ${name}-data, model: contract-test, seeds: [${j.seeds.join(", ")}], params: ${JSON.stringify(j.params)}}`));
}

interface BenchmarkView {
  name: string;
  generation: number;
  observedGeneration: number | null;
  deleted: boolean;
  conditions: { type: string; status: string; reason: string; message: string }[];
  phaseCounts: Record<string, number>;
}

function benchmarks(stateRoot: string): BenchmarkView[] {
  return parseJson<{ items: BenchmarkView[] }>(cliSync(["get", "benchmarks", "--state-root", stateRoot, "-o", "json", "--all"])).items;
}

const terminal = new Set(["ARTIFACT_SUCCESS", "FAILED", "CANCELLED"]);

describe("controller mode", { skip }, () => {
  let work: string;
  let dataset: string;
  let state: string;
  let watch: string;
  let controller: ControllerProcess | undefined;

  before(async () => {
    ({ work, dataset, state, watch } = await makeControllerWorkspace("mv-controller-"));
  });
  after(() => removeControllerWorkspace({ work, dataset, state, watch }, controller));

  test("a file drop converges to promoted runs; an edit adds only what changed; status carries observedGeneration", { timeout: TEST_HANG_GUARD_MS }, async () => {
    controller = await startControllerProcess(state, watch, ["--max-concurrent", "2", "--listen", "127.0.0.1:0"]);
    await controller.waitForLog(/controller ready/);
    const file = join(work, "alpha.yaml");
    writeFileSync(file, benchmarkYaml("alpha", dataset, [{ name: "small", params: { n_latent: 2 }, seeds: [0, 1] }]));
    const applied = cliSync(["apply", "-f", file, "--state-root", state]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /benchmark\/alpha created/);
    await waitFor("2 promoted runs", () => {
      const runs = listRuns(state, "alpha");
      return runs.length === 2 && runs.every((r) => r.phase === "ARTIFACT_SUCCESS") && runs;
    });
    const first = await waitFor("alpha ready", () => benchmarks(state).find((b) => b.name === "alpha" && b.conditions.some((c) => c.type === "Ready" && c.status === "True")));
    assert.equal(first.generation, 1);
    assert.equal(first.observedGeneration, 1);

    writeFileSync(file, benchmarkYaml("alpha", dataset, [{ name: "small", params: { n_latent: 2 }, seeds: [0, 1, 2] }]));
    assert.match(cliSync(["apply", "-f", file, "--state-root", state]).stdout, /benchmark\/alpha configured/);
    await waitFor("3 promoted runs", () => {
      const runs = listRuns(state, "alpha");
      return runs.length === 3 && runs.every((r) => r.phase === "ARTIFACT_SUCCESS") && runs;
    });
    const second = await waitFor("generation 2 observed and ready", () =>
      benchmarks(state).find((b) => b.name === "alpha" && b.observedGeneration === 2 && b.conditions.some((c) => c.type === "Ready" && c.status === "True")),
    );
    assert.equal(second.generation, 2);
    const launches = journalRecords(state).filter((r) => r.type === "LAUNCH_INTENT").length;
    assert.equal(launches, 3, "runs whose identity did not change were not launched again");
    const described = cliSync(["describe", "benchmark", "alpha", "--state-root", state]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /Observed generation: 2/);
    assert.match(described.stdout, /Applied\s+generation 2/);
  });

  test("a broken file reports a condition naming file and line, and disturbs nothing", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const broken = join(watch, "alpha.yaml");
    const good = readFileSync(broken, "utf8");
    writeFileSync(broken, good.replace("experimentName: alpha", "experimentName: alpha\n  jbos: []"));
    const view = await waitFor("SourceValid False", () =>
      benchmarks(state).find((b) => b.name === "alpha" && b.conditions.some((c) => c.type === "SourceValid" && c.status === "False")),
    );
    const condition = view.conditions.find((c) => c.type === "SourceValid")!;
    assert.match(condition.message, /alpha\.yaml/);
    assert.match(condition.message, /jbos/);
    assert.equal(listRuns(state, "alpha").filter((r) => r.phase === "CANCELLED").length, 0);
    writeFileSync(broken, good);
    await waitFor("SourceValid True again", () => benchmarks(state).find((b) => b.name === "alpha" && b.conditions.some((c) => c.type === "SourceValid" && c.status === "True")));
  });

  test("a second controller on the same state root exits with a clear message", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const second = await cli(["controller", "--watch", watch, "--state-root", state]);
    assert.equal(second.code, 2);
    assert.match(second.stderr, /in use by process \d+ \(multiverse controller/);
  });

  test("cancel a running run, a queued run, and then delete the benchmark: everything stops, evidence stays", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const file = join(work, "slow.yaml");
    // max-concurrent 2: two runs sleep, the other two wait in the queue.
    writeFileSync(file, benchmarkYaml("slow", dataset, [{ name: "nap", params: { behavior: "sleep", sleep_seconds: 60 }, seeds: [0, 1, 2, 3] }]));
    assert.equal(cliSync(["apply", "-f", file, "--state-root", state]).code, 0);
    const running = await waitFor("two running, two queued", () => {
      const runs = listRuns(state, "slow");
      return runs.length === 4 && runs.filter((r) => r.phase === "RUNNING").length === 2 && runs.filter((r) => r.phase === "PENDING").length === 2 && runs;
    });
    const target = running.find((r) => r.phase === "RUNNING")!;
    const queued = running.find((r) => r.phase === "PENDING")!;
    const cancelled = await cli(["cancel", "run", target.name, "--state-root", state, "--json"]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(parseJson<{ via: string; runs: { phase: string }[] }>(cancelled).runs[0]!.phase, "CANCELLED");
    assert.equal(parseJson<{ via: string }>(cancelled).via, "controller");
    const queuedCancel = await cli(["cancel", "run", queued.runId, "--state-root", state, "--json"]);
    assert.equal(parseJson<{ runs: { phase: string }[] }>(queuedCancel).runs[0]!.phase, "CANCELLED");
    const after = listRuns(state, "slow");
    const workspace = after.find((r) => r.runId === target.runId)!.workspaceDir!;
    assert.ok(existsSync(join(workspace, "orchestrator.log")), "the cancelled run's logs are kept");
    assert.match(readFileSync(join(workspace, "orchestrator.log"), "utf8"), /cancellation requested/);

    const deleted = cliSync(["delete", "-f", file, "--state-root", state]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const final = await waitFor("every slow run terminal", () => {
      const runs = listRuns(state, "slow");
      return runs.every((r) => terminal.has(r.phase)) && runs;
    });
    assert.ok(final.every((r) => r.phase === "CANCELLED"), JSON.stringify(final.map((r) => r.phase)));
    const view = await waitFor("slow deleted", () => benchmarks(state).find((b) => b.name === "slow" && b.deleted));
    assert.equal(view.conditions.find((c) => c.type === "Ready")?.reason, "Deleted");
    for (const run of listRuns(state, "alpha")) assert.ok((await verifyBundle(run.artifactDir!)).ok, "other benchmarks' bundles are untouched");
  });

  test("kill -9 while a run is running: the restarted controller adopts the container instead of launching again", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const file = join(work, "adopt.yaml");
    writeFileSync(file, benchmarkYaml("adopt", dataset, [{ name: "nap", params: { behavior: "sleep", sleep_seconds: 4 }, seeds: [0] }]));
    assert.equal(cliSync(["apply", "-f", file, "--state-root", state]).code, 0);
    await waitFor("adopt running", () => listRuns(state, "adopt").some((r) => r.phase === "RUNNING"));
    await controller!.stop("SIGKILL");
    controller = await startControllerProcess(state, watch, ["--max-concurrent", "2"]);
    await controller.waitForLog(/adopting \d+ unfinished runs/);
    const [run] = await waitFor("adopt promoted", () => {
      const runs = listRuns(state, "adopt");
      return runs.length === 1 && runs[0]!.phase === "ARTIFACT_SUCCESS" && runs;
    });
    const launches = journalRecords(state).filter((r) => r.type === "LAUNCH_INTENT" && r.runId === run!.runId);
    assert.equal(launches.length, 1, "adopted, not relaunched");
    const code = await controller.stop("SIGTERM");
    assert.equal(code, 0);
    assert.equal(existsSync(join(state, "controller.json")), false);
    const verify = cliSync(["rebuild-index", "--state-root", state, "--verify"]);
    assert.equal(verify.code, 0, verify.stdout);
  });
});
