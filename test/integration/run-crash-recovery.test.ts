/**
 * Journal before action: `multiverse run` killed with SIGKILL while its containers run, then started again,
 * adopts the running containers (no second launch) and promotes each run exactly once.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { CLI, cli, cliSync, parseJson } from "../helpers/cli.js";
import { ownedContainers, requireDockerOrSkip, showContainers } from "../helpers/docker.js";
import { journalRecords } from "../helpers/journal.js";
import { exitedReason, waitUntil } from "../helpers/wait.js";

const skip = requireDockerOrSkip();

function journalTypes(stateRoot: string): string[] {
  return journalRecords(stateRoot).map((r) => r.type);
}

describe("crash recovery of multiverse run", { skip }, () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "mv-crash-"));
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("SIGKILL while containers run, then restart: adopted, not relaunched, promoted once each", async () => {
    const dataset = join(work, "d.h5mu");
    await writeH5mu(dataset, { nObs: 20, modalities: { rna: { nVars: 8 } }, seed: 2 });
    const out = join(work, "out");
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", out]).code, 0);
    const manifest = join(work, "m.yaml");
    writeFileSync(manifest, `globals:\n  experiment_name: crash\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n  - dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: sleep, sleep_seconds: 4 }\n    seeds: [1, 2, 3]\n`);

    const child = spawn(process.execPath, [CLI, "run", "--manifest", manifest, "--output", out, "--max-concurrent", "3", "--json"], { stdio: "ignore" });
    const exited = new Promise((r) => child.on("close", r));
    // Kill only once the engine shows the three journaled attempts' containers started and one still running: the
    // kill must hit containers that run, however slowly the machine launches them. An attempt seen started stays
    // counted (its container may already be released after a fast promotion).
    const started = new Set<string>();
    await waitUntil(
      "the engine to show the three launched containers started, one still running",
      () => {
        const launched = journalRecords(out).filter((r) => r.type === "LAUNCH_INTENT").map((r) => r.attemptId!);
        const containers = ownedContainers(out);
        for (const c of containers) if (c.state === "running" || c.state === "exited") started.add(c.attemptId);
        return { launched, containers };
      },
      ({ launched, containers }) => launched.length === 3 && launched.every((a) => started.has(a)) && containers.some((c) => c.state === "running"),
      { show: ({ launched, containers }) => `${launched.length} LAUNCH_INTENT records; engine: ${showContainers(containers)}`, giveUpIf: () => exitedReason(child, "the first multiverse run") },
    );
    child.kill("SIGKILL");
    await exited;
    const running = spawnSync("docker", ["ps", "-q", "--filter", "label=io.multiverse.managed=true", "--filter", "name=mv-"], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean);
    assert.ok(running.length >= 1, "containers outlive the killed controller");

    const second = await cli(["run", "--manifest", manifest, "--output", out, "--json"]);
    assert.equal(second.code, 0, second.stderr);
    const summary = parseJson<{ runs: { phase: string; disposition: string }[] }>(second);
    assert.deepEqual(summary.runs.map((r) => r.phase), ["ARTIFACT_SUCCESS", "ARTIFACT_SUCCESS", "ARTIFACT_SUCCESS"]);
    assert.ok(summary.runs.every((r) => r.disposition === "resume"), "the restarted process resumed the same runs");
    const types = journalTypes(out);
    assert.equal(types.filter((t) => t === "LAUNCH_INTENT").length, 3, "no container was launched twice");
    assert.equal(types.filter((t) => t === "PROMOTED").length, 3, "each run was promoted exactly once");
    assert.equal(cliSync(["rebuild-index", "--state-root", out, "--verify"]).code, 0);
  });
});
