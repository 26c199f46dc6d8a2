/**
 * Chaos in controller mode: a benchmark of 30 short runs dropped into the watched directory while
 * `multiverse controller` is killed with SIGKILL at random moments, at least 10 times, and started again. At
 * the end every run is terminal (or RECOVERY_PENDING with evidence), none was executed twice to success, every
 * bundle verifies and the index agrees with the journal.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prng, writeH5mu } from "../../src/h5/index.js";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { repoRoot } from "../../src/util/paths.js";
import { cliSync } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { journalRecords } from "../helpers/journal.js";
import { listRuns, startControllerProcess, waitFor } from "../helpers/controller.js";
import { TEST_HANG_GUARD_MS, pauseUnlessExited } from "../helpers/wait.js";

const skip = requireDockerOrSkip();
const RUNS = 30;
const KILLS = 10;

describe("controller chaos: SIGKILL at random moments", { skip }, () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "mv-controller-chaos-"));
  });
  after(() => {
    if (process.env.MULTIVERSE_KEEP_TEST_DIRS) return;
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test(`${RUNS} runs, ${KILLS} kills of the controller`, { timeout: TEST_HANG_GUARD_MS }, async () => {
    const dataset = join(work, "d.h5mu");
    await writeH5mu(dataset, { nObs: 30, modalities: { rna: { nVars: 10 } }, seed: 9 });
    const state = join(work, "state");
    const watch = join(work, "benchmarks");
    mkdirSync(watch);
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", state]).code, 0);
    const seeds = Array.from({ length: RUNS / 3 }, (_, i) => i).join(", ");
    writeFileSync(
      join(watch, "chaos.yaml"),
      [
        "apiVersion: multiverse.io/v1alpha1",
        "kind: Dataset",
        "metadata: {name: d}",
        `spec: {path: ${dataset}}`,
        "---",
        "apiVersion: multiverse.io/v1alpha1",
        "kind: Benchmark",
        "metadata: {name: chaos}",
        "spec:",
        "  experimentName: chaos",
        "  jobs:",
        ...[2, 3, 4].map((n) => `    - {name: latent${n}, dataset: d, model: contract-test, seeds: [${seeds}], params: {behavior: sleep, sleep_seconds: 1.5, n_latent: ${n}}}`),
        "",
      ].join("\n"),
    );
    const random = prng(7);
    let kills = 0;
    while (kills < KILLS) {
      const controller = await startControllerProcess(state, watch, ["--max-concurrent", "4"]);
      // Each kill must hit a controller at work, not one still starting up on a slow machine: wait until it is ready
      // (leftovers released, adoption and the source started), then kill after a random extra delay.
      await controller.waitForLog(/controller ready/);
      await pauseUnlessExited(controller.child, Math.floor(random() * 1500));
      await controller.stop("SIGKILL");
      kills += 1;
    }
    const controller = await startControllerProcess(state, watch, ["--max-concurrent", "4"]);
    const runs = await waitFor(
      `${RUNS} runs settled`,
      () => {
        const now = listRuns(state, "chaos");
        return now.length === RUNS && now.every((r) => ["ARTIFACT_SUCCESS", "FAILED", "CANCELLED", "RECOVERY_PENDING"].includes(r.phase)) && now;
      },
      400_000,
      500,
    );
    assert.equal(await controller.stop("SIGTERM"), 0);

    const recovery = runs.filter((r) => r.phase === "RECOVERY_PENDING");
    for (const run of recovery) assert.ok(run.workspaceDir, `${run.name} waits for a decision with its evidence kept`);
    const succeeded = runs.filter((r) => r.phase === "ARTIFACT_SUCCESS");
    assert.equal(succeeded.length + recovery.length, RUNS, JSON.stringify(runs.filter((r) => r.phase !== "ARTIFACT_SUCCESS").map((r) => `${r.name}: ${r.phase} ${r.reason}`)));
    const journal = journalRecords(state);
    const promotions = new Map<string, Set<string>>();
    for (const r of journal.filter((r) => r.type === "PROMOTED")) promotions.set(r.runId!, (promotions.get(r.runId!) ?? new Set()).add(r.attemptId!));
    const twice = [...promotions].filter(([, attempts]) => attempts.size > 1);
    assert.deepEqual(twice.map(([run, attempts]) => `${run}: ${[...attempts].join(", ")}`), [], "no run was executed twice to success");
    for (const run of succeeded) {
      const verification = await verifyBundle(run.artifactDir!);
      assert.ok(verification.ok, `${run.artifactDir}: ${verification.problems.join("; ")}`);
    }
    const launches = journal.filter((r) => r.type === "LAUNCH_INTENT").length;
    const verify = cliSync(["rebuild-index", "--state-root", state, "--verify"]);
    assert.equal(verify.code, 0, verify.stdout);
    const owner = readFileSync(join(state, "owner-id"), "utf8").trim();
    const leftovers = spawnSync("docker", ["ps", "-aq", "--filter", `label=io.multiverse.owner=${owner}`], { encoding: "utf8" }).stdout.trim();
    assert.equal(leftovers, "", "no container left behind");
    process.stdout.write(
      `# controller chaos: ${kills} SIGKILLs, ${RUNS} runs, ${launches} launches, ${succeeded.length} promoted, ${recovery.length} RECOVERY_PENDING, 0 duplicates, index in sync\n`,
    );
  });
});
