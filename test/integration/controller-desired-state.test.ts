/**
 * What counts as a change of desired state, on the real Docker engine: an emptied or comment-only file is a
 * problem, not a deletion; a file removed and put back within the deletion grace changes nothing; a removed file
 * deletes its Benchmark after the grace (its runs cancelled) and putting it back runs the work again. And stop
 * means exit: SIGTERM ends the controller at once while its containers keep running.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { journalRecords } from "../helpers/journal.js";
import { benchmarkResourceYaml, listRuns, makeControllerWorkspace, removeControllerWorkspace, startControllerProcess, waitFor, type ControllerProcess, type ControllerWorkspace } from "../helpers/controller.js";

const skip = requireDockerOrSkip();

function runningContainers(stateRoot: string): string[] {
  const owner = readFileSync(join(stateRoot, "owner-id"), "utf8").trim();
  const listed = spawnSync("docker", ["ps", "-q", "--filter", `label=io.multiverse.owner=${owner}`], { encoding: "utf8" });
  return listed.stdout.split("\n").filter((line) => line.trim() !== "");
}

function deletions(stateRoot: string): number {
  return journalRecords(stateRoot).filter((r) => r.type === "BENCHMARK_DELETED").length;
}

describe("controller: desired state and stopping", { skip }, () => {
  let workspace: ControllerWorkspace;
  let controller: ControllerProcess | undefined;
  let file: string;
  let good: string;

  before(async () => {
    workspace = await makeControllerWorkspace("mv-desired-");
    file = join(workspace.watch, "keep.yaml");
    good = benchmarkResourceYaml("keep", workspace.dataset, ["    - {name: nap, dataset: keep-data, model: contract-test, seeds: [0], params: {behavior: sleep, sleep_seconds: 300}}"]);
  });
  after(() => removeControllerWorkspace(workspace, controller));

  test("an emptied or comment-only file keeps its Benchmark and its running run", { timeout: 180_000 }, async () => {
    writeFileSync(file, good);
    controller = await startControllerProcess(workspace.state, workspace.watch, ["--deletion-grace-seconds", "3"]);
    await waitFor("the run RUNNING", () => listRuns(workspace.state, "keep").find((r) => r.phase === "RUNNING"));
    const problems = () => (controller!.log().match(/keep\.yaml:1: .*declares nothing.*\[MV_EMPTY_FILE\]/g) ?? []).length;
    const goodReads = () => (controller!.log().match(/source revision \d+: 1 benchmarks, 1 datasets, 0 models\n/g) ?? []).length;
    for (const [what, text] of [["emptied", ""], ["comment-only", "# only a comment\n\n# and another\n"]] as const) {
      const [problemsBefore, goodBefore] = [problems(), goodReads()];
      writeFileSync(file, text);
      await waitFor(`the ${what} file reported as a problem`, () => problems() > problemsBefore || undefined);
      writeFileSync(file, good);
      await waitFor(`the good version read again after the ${what} one`, () => goodReads() > goodBefore || undefined);
    }
    assert.equal(deletions(workspace.state), 0, "no BENCHMARK_DELETED was journaled");
    assert.deepEqual(listRuns(workspace.state, "keep").map((r) => r.phase), ["RUNNING"], "the run was never cancelled");
  });

  test("a file removed and put back within the grace changes nothing", { timeout: 180_000 }, async () => {
    rmSync(file);
    await controller!.waitForLog(/benchmark keep is no longer declared: deleted in 3 s unless it is declared again/, 60_000);
    writeFileSync(file, good);
    await controller!.waitForLog(/benchmark keep is declared again within the grace: not deleted/, 60_000);
    assert.equal(deletions(workspace.state), 0);
    assert.deepEqual(listRuns(workspace.state, "keep").map((r) => r.phase), ["RUNNING"]);
  });

  test("a file removed for longer than the grace deletes the Benchmark; putting it back runs the work again", { timeout: 240_000 }, async () => {
    rmSync(file);
    await waitFor("the Benchmark deleted and its run cancelled", () => deletions(workspace.state) === 1 && listRuns(workspace.state, "keep").every((r) => r.phase === "CANCELLED") || undefined, 120_000);
    writeFileSync(file, good);
    const again = await waitFor("the cancelled run running again", () => {
      const [run] = listRuns(workspace.state, "keep");
      return run && run.phase === "RUNNING" && journalRecords(workspace.state).filter((r) => r.type === "LAUNCH_INTENT" && r.runId === run.runId).length === 2 ? run : undefined;
    }, 120_000);
    assert.equal(again.phase, "RUNNING");
  });

  test("SIGTERM: the controller exits at once, its container keeps running", { timeout: 120_000 }, async () => {
    const before = runningContainers(workspace.state);
    assert.equal(before.length, 1, "one container runs");
    const code = await controller!.stop("SIGTERM");
    assert.equal(code, 0);
    assert.match(controller!.log(), /controller stopped; running attempts are left running/);
    assert.deepEqual(runningContainers(workspace.state), before, "the container outlives the controller (adopted by the next start)");
  });
});
