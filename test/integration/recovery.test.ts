/**
 * RECOVERY_PENDING and the operator's decision: a promotion interrupted by a crash whose validated outputs were
 * damaged afterwards cannot be decided safely, so it waits, keeps its evidence, and `multiverse recover`
 * adopts (validate again, promote) or discards (FAILED) it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { Journal, readJournal } from "../../src/journal/journal.js";
import type { PersistedRunSnapshot, RunTransitionRecord } from "../../src/journal/records.js";
import { applyRunEvent, type RunEvent } from "../../reconcilers/run-machine.js";
import { repoRoot } from "../../src/util/paths.js";
import { CLI, cli, cliSync, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { journalRecords, waitForJournal } from "../helpers/journal.js";
import { exitedReason } from "../helpers/wait.js";

const skip = requireDockerOrSkip();

/** Journals transitions as a controller would have before crashing mid-promotion. */
function advanceToPromoting(stateRoot: string, runId: string): string {
  const transitions = readJournal(stateRoot).records.filter((r): r is RunTransitionRecord => r.type === "RUN_TRANSITION" && r.runId === runId);
  let snapshot: PersistedRunSnapshot = transitions[transitions.length - 1]!.snapshot;
  assert.equal(snapshot.value, "RUNNING");
  const journal = Journal.open(stateRoot);
  for (const event of [{ type: "EXITED_OK" }, { type: "VALIDATE" }, { type: "VALIDATION_PASSED" }] as RunEvent[]) {
    const t = applyRunEvent(snapshot, event);
    journal.append([{ type: "RUN_TRANSITION", runId, attemptId: t.snapshot.context.attemptId, attempt: t.snapshot.context.attempt, event: event.type, from: t.from, to: t.to, snapshot: t.snapshot }]);
    snapshot = t.snapshot;
  }
  journal.close();
  return snapshot.context.attemptId!;
}

describe("recovery decisions", { skip }, () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "mv-recover-"));
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("damaged outputs after a crash mid-promotion wait in RECOVERY_PENDING; adopt promotes, discard fails", async () => {
    const dataset = join(work, "d.h5mu");
    await writeH5mu(dataset, { nObs: 12, modalities: { rna: { nVars: 5 } }, seed: 8 });
    const out = join(work, "out");
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", out]).code, 0);
    const manifest = join(work, "m.yaml");
    writeFileSync(manifest, `globals:\n  experiment_name: recover\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n  - dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: sleep, sleep_seconds: 5 }\n    seeds: [1, 2]\n`);

    const child = spawn(process.execPath, [CLI, "run", "--manifest", manifest, "--output", out, "--json"], { stdio: "ignore" });
    // The kill must land while both runs are RUNNING (STARTED journaled, nothing after it), whatever the machine's speed.
    await waitForJournal(
      out,
      "both runs RUNNING in the journal",
      (records) => {
        const last = new Map<string, string | undefined>();
        for (const r of records) if (r.type === "RUN_TRANSITION") last.set(r.runId!, r.event);
        return [...last.values()].filter((event) => event === "STARTED").length === 2;
      },
      { giveUpIf: () => exitedReason(child, "multiverse run") },
    );
    child.kill("SIGKILL");
    await new Promise((r) => child.on("close", r));
    const started = journalRecords(out).filter((r) => r.event === "STARTED");
    const runIds = [...new Set(started.map((r) => r.runId!))];
    const attempts = runIds.map((runId) => advanceToPromoting(out, runId));
    for (const attemptId of attempts) {
      spawnSync("docker", ["wait", `mv-${attemptId}`]);
      renameSync(join(out, "store", "workspaces", attemptId, "embeddings.h5"), join(out, "store", "workspaces", attemptId, "embeddings.h5.moved"));
    }

    const resumed = await cli(["run", "--manifest", manifest, "--output", out, "--json", "--skip-completed"]);
    assert.equal(resumed.code, 1);
    const runs = parseJson<{ runs: { runId: string; phase: string; message: string | null }[] }>(resumed).runs;
    assert.deepEqual(runs.map((r) => r.phase), ["RECOVERY_PENDING", "RECOVERY_PENDING"]);
    assert.match(runs[0]!.message ?? "", /no longer validate \(embeddings\.h5: missing_embeddings\).*multiverse recover adopt\|discard/);
    const again = await cli(["run", "--manifest", manifest, "--output", out, "--json", "--skip-completed"]);
    assert.deepEqual(parseJson<{ runs: { phase: string }[] }>(again).runs.map((r) => r.phase), ["RECOVERY_PENDING", "RECOVERY_PENDING"], "it waits for a decision");

    const [adoptRun, discardRun] = runs.map((r) => r.runId);
    const adoptAttempt = attempts[runIds.indexOf(adoptRun!)]!;
    renameSync(join(out, "store", "workspaces", adoptAttempt, "embeddings.h5.moved"), join(out, "store", "workspaces", adoptAttempt, "embeddings.h5"));
    const adopted = await cli(["recover", "adopt", adoptRun!.slice(0, 12), "--output", out]);
    assert.equal(adopted.code, 0, adopted.stderr + adopted.stdout);
    assert.match(adopted.stdout, /adopt -> ARTIFACT_SUCCESS at /);
    const discarded = await cli(["recover", "discard", discardRun!.slice(0, 12), "--output", out]);
    assert.equal(discarded.code, 0, discarded.stderr);
    assert.match(discarded.stdout, /discard -> FAILED \(discarded/);
    const discardAttempt = attempts[runIds.indexOf(discardRun!)]!;
    assert.ok(existsSync(join(out, "store", "workspaces", discardAttempt, "embeddings.h5.moved")), "discarding deletes nothing");
    const nothingToDecide = await cli(["recover", "adopt", adoptRun!.slice(0, 12), "--output", out]);
    assert.equal(nothingToDecide.code, 2);
    assert.match(nothingToDecide.stderr, /not RECOVERY_PENDING/);
    assert.equal(cliSync(["rebuild-index", "--state-root", out, "--verify"]).code, 0);
  });
});
