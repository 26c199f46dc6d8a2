import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { Journal } from "../../../src/journal/journal.js";
import { indexPath, INDEX_SCHEMA_VERSION, openCaughtUpIndex, rebuildIndex, RunIndex, verifyIndex } from "../../../src/index/run-index.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { tempDir } from "../../helpers/fixtures.js";
import { plan, RUN_A, RUN_B, RUN_C, steppingClock, writeHistory } from "./fixtures.js";

let root: string;
let cleanup: () => void;
beforeEach(() => ({ dir: root, cleanup } = tempDir("index")));
afterEach(() => cleanup());

const isError = (code: string) => (e: unknown) => e instanceof MultiverseError && e.code === code;

function liveIndex(): { index: RunIndex; journal: Journal } {
  const journal = Journal.open(root, { clock: steppingClock() });
  const index = RunIndex.open(indexPath(root));
  index.apply(writeHistory(journal));
  return { index, journal };
}

describe("run index projection", () => {
  test("planned -> transitions -> launch -> exited -> promoted becomes run, attempt and transition rows", () => {
    const journal = Journal.open(root, { clock: steppingClock() });
    const records = writeHistory(journal);
    journal.close();
    const index = RunIndex.openInMemory();
    index.apply(records);
    const tsOf = (type: string, runId: string) => records.filter((r) => r.type === type && "runId" in r && r.runId === runId).map((r) => r.ts);

    const a = index.getRun(RUN_A);
    assert.deepEqual(
      { phase: a.phase, reason: a.reason, attempt: a.attempt, attemptId: a.attemptId, artifactDir: a.artifactDir, workspaceDir: a.workspaceDir },
      { phase: "ARTIFACT_SUCCESS", reason: null, attempt: 1, attemptId: `${RUN_A.slice(0, 12)}-own1-a1`, artifactDir: `/store/runs/${RUN_A}`, workspaceDir: `/state/workspaces/${RUN_A.slice(0, 12)}-own1-a1` },
    );
    assert.deepEqual(
      { name: a.name, benchmark: a.benchmark, jobName: a.jobName, dataset: a.dataset, model: a.model, modelVersion: a.modelVersion, seed: a.seed, paramsHash: a.paramsHash, params: a.params, imageReference: a.imageReference, imageDigest: a.imageDigest, imageKind: a.imageKind },
      { name: "job-s0-aaaa1111", benchmark: "bench", jobName: "job", dataset: "tiny", model: "pca", modelVersion: "1.0.0", seed: 0, paramsHash: "c".repeat(16), params: '{"n_components":5}', imageReference: "multiverse-pca:1.0.0", imageDigest: "sha256:" + "b".repeat(64), imageKind: "unverified_local" },
    );
    assert.equal(a.createdAt, tsOf("RUN_PLANNED", RUN_A)[0]);
    assert.equal(a.updatedAt, tsOf("RUN_TRANSITION", RUN_A).at(-1), "updatedAt is the ts of the last record touching the run");

    const [attempt, ...more] = index.attempts(RUN_A);
    assert.equal(more.length, 0);
    assert.deepEqual(attempt, {
      attemptId: `${RUN_A.slice(0, 12)}-own1-a1`,
      runId: RUN_A,
      attempt: 1,
      executor: "docker",
      handle: `mv-${RUN_A.slice(0, 12)}-own1-a1`,
      workspaceDir: `/state/workspaces/${RUN_A.slice(0, 12)}-own1-a1`,
      phase: "ARTIFACT_SUCCESS",
      reason: null,
      exitCode: 0,
      oomKilled: false,
      startedAt: "2026-03-01T10:00:01.500Z",
      finishedAt: "2026-03-01T10:00:02.500Z",
      launchedAt: tsOf("LAUNCH_INTENT", RUN_A)[0],
    });
    const transitions = index.transitions(RUN_A);
    assert.deepEqual(transitions.map((t) => `${t.from}>${t.to}`), ["PENDING>ADMITTED", "ADMITTED>RUNNING", "RUNNING>TRAINING_SUCCEEDED", "TRAINING_SUCCEEDED>EVALUATING", "EVALUATING>PROMOTING", "PROMOTING>ARTIFACT_SUCCESS"]);
    assert.deepEqual(transitions.map((t) => t.seq), records.filter((r) => r.type === "RUN_TRANSITION" && r.runId === RUN_A).map((r) => r.seq));
    assert.equal(transitions[0]?.event, "ADMIT");
    assert.equal(transitions[0]?.ts, tsOf("RUN_TRANSITION", RUN_A)[0]);

    const b = index.getRun(RUN_B);
    assert.deepEqual([b.phase, b.reason, b.message, b.artifactDir], ["FAILED", "oom_killed", "killed by the kernel OOM killer", null]);
    const [bAttempt] = index.attempts(RUN_B);
    assert.deepEqual([bAttempt?.phase, bAttempt?.reason, bAttempt?.exitCode, bAttempt?.oomKilled], ["FAILED", "oom_killed", 137, true]);

    const c = index.getRun(RUN_C);
    assert.deepEqual([c.phase, c.attempt, c.attemptId, c.updatedAt], ["PENDING", 0, null, c.createdAt]);
    assert.deepEqual(index.attempts(RUN_C), []);
    assert.equal(index.lastAppliedSeq, records.at(-1)?.seq);
  });

  test("listRuns filters by benchmark and phase, pages with limit and offset", () => {
    const { index, journal } = liveIndex();
    journal.close();
    assert.deepEqual(index.listRuns().map((r) => r.runId), [RUN_A, RUN_B, RUN_C], "ordered by benchmark, job, seed");
    assert.deepEqual(index.listRuns({ benchmark: "second" }).map((r) => r.runId), [RUN_C]);
    assert.deepEqual(index.listRuns({ phase: "FAILED" }).map((r) => r.runId), [RUN_B]);
    assert.deepEqual(index.listRuns({ benchmark: "bench", phase: "PENDING" }), []);
    assert.deepEqual(index.listRuns({ limit: 1, offset: 1 }).map((r) => r.runId), [RUN_B]);
    assert.deepEqual(index.listRuns({ offset: 2 }).map((r) => r.runId), [RUN_C], "offset without limit");
    assert.deepEqual(index.listRuns({ limit: 0 }), []);
    index.close();
  });

  test("applying the same records twice, or overlapping batches, changes nothing", () => {
    const journal = Journal.open(root, { clock: steppingClock() });
    const records = writeHistory(journal);
    journal.close();
    const once = RunIndex.openInMemory();
    once.apply(records);
    const before = once.dump();
    once.apply(records);
    once.apply(records.slice(3, 9));
    assert.deepEqual(once.dump(), before);

    const piecewise = RunIndex.openInMemory();
    piecewise.apply(records.slice(0, 8));
    piecewise.apply(records.slice(5, 14));
    piecewise.apply(records);
    assert.deepEqual(piecewise.dump(), before);
    once.close();
    piecewise.close();
  });

  test("a gap in the records is refused instead of leaving a silent hole, and rolls back", () => {
    const journal = Journal.open(root, { clock: steppingClock() });
    const records = writeHistory(journal);
    journal.close();
    const index = RunIndex.openInMemory();
    index.apply(records.slice(0, 4));
    const before = index.dump();
    assert.throws(() => index.apply(records.slice(5)), isError("MV_INDEX_DRIFT"));
    assert.equal(index.lastAppliedSeq, 4);
    assert.deepEqual(index.dump(), before);
    index.apply(records.slice(4));
    assert.equal(index.lastAppliedSeq, records.length);
    index.close();
  });

  test("two connections to one file never re-apply each other's records", () => {
    const journal = Journal.open(root, { clock: steppingClock() });
    const records = writeHistory(journal);
    journal.close();
    const first = RunIndex.open(indexPath(root));
    const second = RunIndex.open(indexPath(root));
    first.apply(records);
    second.apply(records.slice(0, 12)); // stale view of the journal: must not roll phases back
    assert.equal(second.lastAppliedSeq, records.length);
    first.close();
    second.close();
    assert.deepEqual(verifyIndex(root), { inSync: true, drift: [] });
  });

  test("a re-plan updates the spec fields but does not reset the phase", () => {
    const { index, journal } = liveIndex();
    const [replan] = journal.append([plan(RUN_A, { benchmark: "renamed", params: { n_components: 5 } })]);
    journal.close();
    index.apply([replan!]);
    const run = index.getRun(RUN_A);
    assert.deepEqual([run.phase, run.benchmark, run.artifactDir, run.attempt], ["ARTIFACT_SUCCESS", "renamed", `/store/runs/${RUN_A}`, 1]);
    assert.equal(run.updatedAt, replan!.ts);
    assert.notEqual(run.createdAt, run.updatedAt);
    index.close();
  });

  test("getRun: exact id, unique id prefix, exact name; ambiguous and unknown are clear errors", () => {
    const { index, journal } = liveIndex();
    journal.close();
    assert.equal(index.getRun(RUN_A).runId, RUN_A);
    assert.equal(index.getRun("aaaa1").runId, RUN_A);
    assert.equal(index.getRun("cccc").runId, RUN_C);
    assert.equal(index.getRun("job-s1-aaaa9999").runId, RUN_B);
    assert.equal(index.getRun("other_job").runId, RUN_C, "underscores are literal, not wildcards");
    assert.throws(() => index.getRun("aaaa"), (e: unknown) => isError("MV_AMBIGUOUS")(e) && (e as MultiverseError).details.length === 2);
    assert.throws(() => index.getRun("zzzz"), isError("MV_NOT_FOUND"));
    assert.throws(() => index.getRun("AAAA1"), isError("MV_NOT_FOUND"), "ids are matched with their exact case");
    assert.throws(() => index.getRun("%"), isError("MV_NOT_FOUND"));
    assert.throws(() => index.getRun("job_s1"), isError("MV_NOT_FOUND"));
    assert.throws(() => index.getRun(""), isError("MV_NOT_FOUND"));
    index.close();
  });

  test("10,000 RUN_PLANNED records project into a file index in well under a second", () => {
    const journal = Journal.open(root);
    const records = journal.append(Array.from({ length: 10_000 }, (_, i) => plan(`run${String(i).padStart(8, "0")}`)));
    journal.close();
    const index = RunIndex.open(indexPath(root));
    // CPU time of this process, not wall time: other work on the machine must not decide the result.
    const start = process.cpuUsage();
    index.apply(records);
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    assert.equal(index.listRuns().length, 10_000);
    assert.equal(index.lastAppliedSeq, 10_000);
    index.close();
    assert.ok(ms < 1000, `projection took ${ms.toFixed(0)} ms of CPU`);
  });
});

describe("index file: schema, rebuild and verify", () => {
  test("a new file gets the schema version and WAL mode; reopening keeps lastAppliedSeq", () => {
    const { index, journal } = liveIndex();
    journal.close();
    const seq = index.lastAppliedSeq;
    index.close();
    const db = new Database(indexPath(root), { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.deepEqual(db.prepare("SELECT version FROM schema_version").all(), [{ version: INDEX_SCHEMA_VERSION }]);
    db.close();
    const reopened = RunIndex.open(indexPath(root));
    assert.equal(reopened.lastAppliedSeq, seq);
    reopened.close();
  });

  test("a file of another schema version is reset on open, to be replayed from the journal", () => {
    const { index, journal } = liveIndex();
    journal.close();
    index.close();
    const db = new Database(indexPath(root));
    db.prepare("UPDATE schema_version SET version = 1").run();
    db.close();
    assert.equal(verifyIndex(root).inSync, false, "verify reports a version mismatch");
    const reset = RunIndex.open(indexPath(root));
    assert.equal(reset.lastAppliedSeq, 0);
    assert.deepEqual(reset.listRuns(), []);
    reset.close();
  });

  test("rebuildIndex after deleting the db gives an identical dump(), and replaces a stale file", () => {
    const { index, journal } = liveIndex();
    journal.close();
    const before = index.dump();
    index.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(indexPath(root) + suffix, { force: true });

    const result = rebuildIndex(root);
    assert.deepEqual(result, { runs: 3, records: before.transitions.length + 9 });
    const rebuilt = RunIndex.open(indexPath(root));
    assert.deepEqual(rebuilt.dump(), before);
    rebuilt.close();

    const db = new Database(indexPath(root));
    db.prepare("DELETE FROM runs").run();
    db.close();
    rebuildIndex(root);
    const again = RunIndex.open(indexPath(root));
    assert.deepEqual(again.dump(), before);
    again.close();
    assert.deepEqual(readdirSync(root).filter((f) => f.includes("rebuild")), [], "no temp file left behind");
  });

  test("openCaughtUpIndex applies what the index lacks, replays a reset file, and rebuilds an index ahead of its journal", () => {
    const { index, journal } = liveIndex();
    index.close();
    journal.append([plan("eeee0000")]);
    journal.close();
    const caughtUp = openCaughtUpIndex(root);
    assert.equal(caughtUp.getRun("eeee").phase, "PENDING");
    caughtUp.close();
    assert.deepEqual(verifyIndex(root), { inSync: true, drift: [] });

    const db = new Database(indexPath(root));
    db.prepare("UPDATE schema_version SET version = 1").run();
    db.close();
    const replayed = openCaughtUpIndex(root);
    assert.equal(replayed.listRuns().length, 4);
    replayed.close();

    const ahead = new Database(indexPath(root));
    ahead.prepare("UPDATE meta SET value = '999' WHERE key = 'last_seq'").run();
    ahead.prepare("UPDATE runs SET phase = 'FAILED'").run();
    ahead.close();
    const rebuilt = openCaughtUpIndex(root);
    assert.equal(rebuilt.getRun(RUN_A).phase, "ARTIFACT_SUCCESS");
    rebuilt.close();
    assert.deepEqual(verifyIndex(root), { inSync: true, drift: [] });
  });

  test("rebuildIndex of a state root without a journal makes an empty index", () => {
    assert.deepEqual(rebuildIndex(root), { runs: 0, records: 0 });
    assert.ok(existsSync(indexPath(root)));
    assert.deepEqual(verifyIndex(root), { inSync: true, drift: [] });
  });

  test("verifyIndex reports in-sync, then every tampered, missing and extra row, without writing", () => {
    const { index, journal } = liveIndex();
    journal.close();
    index.close();
    assert.deepEqual(verifyIndex(root), { inSync: true, drift: [] });

    const db = new Database(indexPath(root));
    db.prepare("UPDATE runs SET phase = 'FAILED' WHERE run_id = ?").run(RUN_A);
    const firstTransition = db.prepare("SELECT MIN(seq) FROM transitions").pluck().get() as number;
    db.prepare("DELETE FROM transitions WHERE seq = ?").run(firstTransition);
    db.prepare("INSERT INTO attempts (attempt_id, run_id, attempt) VALUES ('ghost-a1', ?, 1)").run(RUN_C);
    db.close();
    const bytes = () => ["", "-wal"].map((s) => (existsSync(indexPath(root) + s) ? readFileSync(indexPath(root) + s).toString("base64") : ""));
    const beforeVerify = bytes();

    const result = verifyIndex(root);
    assert.equal(result.inSync, false);
    assert.deepEqual(result.drift.sort(), [
      `attempts row ghost-a1: extra row (in the index, not in the journal)`,
      `runs row ${RUN_A}: phase: index=FAILED journal=ARTIFACT_SUCCESS`,
      `transitions row ${firstTransition}: missing row (in the journal, not in the index)`,
    ]);
    assert.deepEqual(bytes(), beforeVerify, "verify did not write to the index");
  });

  test("verifyIndex reports an index that lags behind the journal, and a missing index file", () => {
    const { index, journal } = liveIndex();
    journal.append([plan("eeee0000")]);
    journal.close();
    index.close();
    const drift = verifyIndex(root).drift;
    assert.ok(drift.includes("runs row eeee0000: missing row (in the journal, not in the index)"), drift.join("\n"));
    assert.ok(drift.some((d) => d.startsWith("meta row last_seq: value: index=")), drift.join("\n"));
    for (const suffix of ["", "-wal", "-shm"]) rmSync(indexPath(root) + suffix, { force: true });
    assert.equal(verifyIndex(root).inSync, false);
  });
});
