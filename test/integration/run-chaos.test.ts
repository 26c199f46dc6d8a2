/**
 * Chaos: a benchmark of 30 short runs while `multiverse run` is killed with SIGKILL at random moments, at least
 * 10 times, and started again. At the end every run is terminal, none was promoted twice, every bundle verifies
 * and the index agrees with the journal.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { prng } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { CLI, cli, cliSync, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { journalRecords } from "../helpers/journal.js";
import { TEST_HANG_GUARD_MS, hasExited, pauseUnlessExited, waitUntil } from "../helpers/wait.js";

const skip = requireDockerOrSkip();

/** The pid in the state root's single-writer lock (undefined while no process holds it). */
function lockHolderPid(stateRoot: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(stateRoot, "controller.lock"), "utf8")) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}
const RUNS = 30;
const KILLS = 10;

describe("chaos: SIGKILL at random moments", { skip }, () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "mv-chaos-"));
  });
  after(() => {
    if (process.env.MULTIVERSE_KEEP_TEST_DIRS) return;
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test(`${RUNS} runs, ${KILLS} kills: every run terminal, none promoted twice, every bundle verifies, index in sync`, { timeout: TEST_HANG_GUARD_MS }, async () => {
    const dataset = join(work, "d.h5mu");
    await writeH5mu(dataset, { nObs: 30, modalities: { rna: { nVars: 10 } }, seed: 9 });
    const out = join(work, "out");
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", out]).code, 0);
    const manifest = join(work, "m.yaml");
    const seeds = Array.from({ length: RUNS / 3 }, (_, i) => i).join(", ");
    writeFileSync(
      manifest,
      `globals:\n  experiment_name: chaos\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n` +
        [2, 3, 4].map((n) => `  - name: latent${n}\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: sleep, sleep_seconds: 1.5, n_latent: ${n} }\n    seeds: [${seeds}]\n`).join(""),
    );
    const random = prng(42);
    let kills = 0;
    for (let round = 0; kills < KILLS && round < 3 * KILLS; round += 1) {
      const child = spawn(process.execPath, [CLI, "run", "--manifest", manifest, "--output", out, "--json", "--max-concurrent", "4", "--skip-completed"], { stdio: "ignore" });
      const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
      // Each kill must hit a process at work, not one still loading on a slow machine: wait until this round's process
      // holds the state root's lock (it has started and is about to plan), then kill after a random extra delay.
      await waitUntil(`round ${round}: the restarted run holding the state root`, () => lockHolderPid(out), (pid) => pid === child.pid || hasExited(child), {
        show: (pid) => (pid ? `the lock held by pid ${pid}, not ${child.pid}` : "no lock"),
      });
      if ((await pauseUnlessExited(child, 150 + Math.floor(random() * 1200))) === "elapsed") {
        child.kill("SIGKILL");
        kills += 1;
      }
      await closed;
    }
    // Resuming an interrupted benchmark is what --skip-completed is for: finished runs are reused, the rest resume.
    const final = await cli(["run", "--manifest", manifest, "--output", out, "--json", "--skip-completed"]);
    assert.equal(final.code, 0, final.stderr);
    const runs = parseJson<{ runs: { runId: string; phase: string; artifactDir: string | null }[] }>(final).runs;
    assert.equal(runs.length, RUNS);
    assert.ok(runs.every((r) => r.phase === "ARTIFACT_SUCCESS"), JSON.stringify(runs.filter((r) => r.phase !== "ARTIFACT_SUCCESS")));

    const journal = journalRecords(out);
    const promotions = new Map<string, Set<string>>();
    for (const r of journal.filter((r) => r.type === "PROMOTED")) promotions.set(r.runId!, (promotions.get(r.runId!) ?? new Set()).add(r.attemptId!));
    const twice = [...promotions].filter(([, attempts]) => attempts.size > 1);
    assert.deepEqual(twice.map(([run, attempts]) => `${run}: ${[...attempts].join(", ")}`), [], `no run was executed twice to success (${work})`);
    assert.equal(journal.filter((r) => r.type === "PROMOTED").length, RUNS, "each promotion is journaled once");
    assert.equal(promotions.size, RUNS);
    for (const run of runs) {
      const verification = await verifyBundle(run.artifactDir!);
      assert.ok(verification.ok, `${run.artifactDir}: ${verification.problems.join("; ")}`);
    }
    const launches = journal.filter((r) => r.type === "LAUNCH_INTENT").length;
    assert.equal(launches, RUNS, "every killed attempt was adopted or completed, none launched again");
    const verify = cliSync(["rebuild-index", "--state-root", out, "--verify"]);
    assert.equal(verify.code, 0, verify.stdout);
    const owner = readFileSync(join(out, "owner-id"), "utf8").trim();
    const leftovers = spawnSync("docker", ["ps", "-aq", "--filter", `label=io.multiverse.owner=${owner}`], { encoding: "utf8" }).stdout.trim();
    assert.equal(leftovers, "", "no container left behind");
    process.stdout.write(`# chaos: ${kills} SIGKILLs, ${RUNS} runs, ${launches} launches, ${promotions.size} promotions, 0 duplicates, index in sync\n`);
    assert.ok(kills >= KILLS, `killed ${kills} times, expected at least ${KILLS}`);
  });
});
