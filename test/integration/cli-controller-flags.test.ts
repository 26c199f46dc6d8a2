/**
 * Issue 10, item 4, on the real Docker engine: `multiverse controller --listen 0.0.0.0` without a token, watching
 * a directory whose Benchmark would launch two containers, exits 2 before anything starts: no journal record and
 * no container. The control run (the same command with a token) does launch them, so the check can fail.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { journalRecords } from "../helpers/journal.js";
import { benchmarkResourceYaml, makeControllerWorkspace, removeControllerWorkspace, startControllerProcess, waitFor, type ControllerProcess, type ControllerWorkspace } from "../helpers/controller.js";

const skip = requireDockerOrSkip();

/** Containers the engine holds for this state root (its owner id labels every attempt's container). */
function ownedContainers(state: string): string[] {
  const ownerFile = join(state, "owner-id");
  if (!existsSync(ownerFile)) return []; // no owner id yet: no container can carry this state root's label
  const listed = spawnSync("docker", ["ps", "-aq", "--filter", `label=io.multiverse.owner=${readFileSync(ownerFile, "utf8").trim()}`], { encoding: "utf8" });
  assert.equal(listed.status, 0, listed.stderr);
  return listed.stdout.split("\n").filter((l) => l !== "");
}

describe("controller flags are checked before anything starts (Docker)", { skip }, () => {
  let workspace: ControllerWorkspace;
  let controller: ControllerProcess | undefined;

  before(async () => {
    workspace = await makeControllerWorkspace("mv-cli-controller-flags-");
    writeFileSync(
      join(workspace.watch, "two.yaml"),
      benchmarkResourceYaml("two", workspace.dataset, [`    - {name: small, dataset: two-data, model: contract-test, seeds: [0, 1], params: {n_latent: 2}}`]),
    );
  });
  after(() => removeControllerWorkspace(workspace, controller));

  test("--listen 0.0.0.0 without a token: exit 2, no journal record, no container", async () => {
    const result = await cli(["controller", "--watch", workspace.watch, "--state-root", workspace.state, "--backend", "docker", "--listen", "0.0.0.0:0"], { MULTIVERSE_API_TOKEN: "" });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /off loopback: give a bearer token/);
    assert.deepEqual(journalRecords(workspace.state), []);
    assert.deepEqual(ownedContainers(workspace.state), []);
    assert.equal(existsSync(join(workspace.state, "controller.json")), false);
  });

  test("control: with a token the same directory launches its two runs", { timeout: 180_000 }, async () => {
    controller = await startControllerProcess(workspace.state, workspace.watch, ["--backend", "docker", "--listen", "0.0.0.0:0", "--token", "t"], { MULTIVERSE_API_TOKEN: "" });
    await controller.waitForLog(/controller ready/);
    await waitFor("two launches journaled", () => journalRecords(workspace.state).filter((r) => r.type === "LAUNCH_INTENT").length >= 2, 120_000);
    await controller.stop();
  });
});
