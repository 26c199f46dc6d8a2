import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import Database from "better-sqlite3";
import { Journal } from "../../../src/journal/journal.js";
import type { JournalRecord } from "../../../src/journal/records.js";
import { indexPath, rebuildIndex, RunIndex, verifyIndex } from "../../../src/index/run-index.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { planned, tempDir, transition } from "../../helpers/fixtures.js";

let root: string;
let cleanup: () => void;
beforeEach(() => ({ dir: root, cleanup } = tempDir("index")));
afterEach(() => cleanup());

function history(journal: Journal): JournalRecord[] {
  return [
    ...journal.append([planned("aaaa1111bbbb2222cccc3333"), planned("aaaa9999bbbb2222cccc3333", { seed: 1 }), planned("dddd1111", { jobName: "other" })]),
    ...journal.append([transition("aaaa1111bbbb2222cccc3333", "PENDING", "ADMITTED", "ADMIT", { attemptId: "aaaa1111bbbb-own-a1" })]),
    ...journal.append([{ type: "LAUNCH_INTENT", runId: "aaaa1111bbbb2222cccc3333", attemptId: "aaaa1111bbbb-own-a1", attempt: 1, executor: "docker", handle: "mv-aaaa1111bbbb-own-a1", workspaceDir: "/ws/a1" }]),
    ...journal.append([transition("aaaa1111bbbb2222cccc3333", "ADMITTED", "RUNNING", "STARTED", { attemptId: "aaaa1111bbbb-own-a1" })]),
    ...journal.append([{ type: "ATTEMPT_EXITED", runId: "aaaa1111bbbb2222cccc3333", attemptId: "aaaa1111bbbb-own-a1", exitCode: 0, oomKilled: false, startedAt: "s", finishedAt: "f" }]),
    ...journal.append([transition("aaaa1111bbbb2222cccc3333", "RUNNING", "TRAINING_SUCCEEDED", "EXITED_OK", { attemptId: "aaaa1111bbbb-own-a1" })]),
    ...journal.append([{ type: "PROMOTED", runId: "aaaa1111bbbb2222cccc3333", attemptId: "aaaa1111bbbb-own-a1", artifactDir: "/store/a1", manifestSha256: "x" }]),
    ...journal.append([transition("aaaa1111bbbb2222cccc3333", "PROMOTING", "ARTIFACT_SUCCESS", "PROMOTED", { attemptId: "aaaa1111bbbb-own-a1", artifactDir: "/store/a1" })]),
  ];
}

describe("run index", () => {
  test("projects planned runs, transitions, attempts, exits and promotions", () => {
    const journal = Journal.open(root);
    const records = history(journal);
    journal.close();
    const index = RunIndex.openInMemory();
    index.apply(records);
    const run = index.getRun("aaaa1111bbbb2222cccc3333");
    assert.equal(run.phase, "ARTIFACT_SUCCESS");
    assert.equal(run.artifactDir, "/store/a1");
    assert.equal(run.attemptId, "aaaa1111bbbb-own-a1");
    assert.equal(run.workspaceDir, "/ws/a1");
    const [attempt] = index.attempts(run.runId);
    assert.equal(attempt?.exitCode, 0);
    assert.equal(attempt?.phase, "ARTIFACT_SUCCESS");
    assert.equal(attempt?.oomKilled, false);
    assert.deepEqual(index.transitions(run.runId).map((t) => t.to), ["ADMITTED", "RUNNING", "TRAINING_SUCCEEDED", "ARTIFACT_SUCCESS"]);
    assert.equal(index.listRuns().length, 3);
    assert.equal(index.listRuns({ phase: "PENDING" }).length, 2);
    assert.equal(index.listRuns({ limit: 1, offset: 1 }).length, 1);
    assert.equal(index.lastAppliedSeq, records[records.length - 1]!.seq);
  });

  test("applying the same records twice changes nothing; a re-plan does not reset the phase", () => {
    const journal = Journal.open(root);
    const records = history(journal);
    const index = RunIndex.openInMemory();
    index.apply(records);
    const before = index.dump();
    index.apply(records);
    assert.deepEqual(index.dump(), before);
    index.apply(journal.append([planned("aaaa1111bbbb2222cccc3333", { benchmark: "renamed" })]));
    journal.close();
    const run = index.getRun("aaaa1111bbbb2222cccc3333");
    assert.equal(run.phase, "ARTIFACT_SUCCESS");
    assert.equal(run.benchmark, "renamed");
  });

  test("getRun finds by id, unique prefix or name; ambiguous and unknown are clear errors", () => {
    const journal = Journal.open(root);
    const index = RunIndex.openInMemory();
    index.apply(history(journal));
    journal.close();
    assert.equal(index.getRun("dddd").runId, "dddd1111");
    assert.equal(index.getRun("job-s0-aaaa1111").runId, "aaaa1111bbbb2222cccc3333");
    assert.throws(() => index.getRun("aaaa"), (e: unknown) => e instanceof MultiverseError && e.code === "MV_AMBIGUOUS" && e.details.length === 2);
    assert.throws(() => index.getRun("zzzz"), (e: unknown) => e instanceof MultiverseError && e.code === "MV_NOT_FOUND");
    assert.throws(() => index.getRun("%"), (e: unknown) => e instanceof MultiverseError && e.code === "MV_NOT_FOUND");
  });

  test("rebuildIndex after deleting the file gives an identical dump; verifyIndex detects a tampered row", () => {
    const journal = Journal.open(root);
    const live = RunIndex.open(indexPath(root));
    live.apply(history(journal));
    journal.close();
    const before = live.dump();
    live.close();
    assert.deepEqual(verifyIndex(root), { inSync: true, drift: [] });
    for (const suffix of ["", "-wal", "-shm"]) rmSync(indexPath(root) + suffix, { force: true });
    const result = rebuildIndex(root);
    assert.equal(result.runs, 3);
    const rebuilt = RunIndex.open(indexPath(root));
    assert.deepEqual(rebuilt.dump(), before);
    rebuilt.close();

    const db = new Database(indexPath(root));
    db.prepare("UPDATE runs SET phase = 'FAILED' WHERE run_id = 'dddd1111'").run();
    db.prepare("DELETE FROM transitions WHERE seq = (SELECT MIN(seq) FROM transitions)").run();
    db.close();
    const drift = verifyIndex(root);
    assert.equal(drift.inSync, false);
    assert.ok(drift.drift.some((d) => d.includes("runs row dddd1111: phase: index=FAILED journal=PENDING")), drift.drift.join("\n"));
    assert.ok(drift.drift.some((d) => d.includes("missing from the index")));
  });

  test("10,000 planned runs project in one transaction", () => {
    const journal = Journal.open(root);
    const records = journal.append(Array.from({ length: 10_000 }, (_, i) => planned(`run${String(i).padStart(8, "0")}`)));
    journal.close();
    const index = RunIndex.openInMemory();
    index.apply(records);
    assert.equal(index.listRuns().length, 10_000);
  });
});
