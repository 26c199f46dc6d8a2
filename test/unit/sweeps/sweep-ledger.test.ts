import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { JournalRecord } from "../../../src/journal/records.js";
import { foldSweepLedger, maskStorage, resumeActions, studyKey, type StudyTrial } from "../../../src/sweeps/sweep-ledger.js";

const storage = "sqlite:////state/optuna/studies.db";
let seq = 0;

function asked(trialNumber: number, runId: string, study = "s"): JournalRecord {
  seq += 1;
  return { seq, ts: "t", type: "SWEEP_TRIAL_ASKED", benchmark: "b", jobName: "j", study, storage, trialNumber, params: { n: trialNumber }, runId };
}

function told(trialNumber: number, state: "COMPLETE" | "PRUNED" | "FAIL", value?: number): JournalRecord {
  seq += 1;
  return { seq, ts: "t", type: "SWEEP_TRIAL_TOLD", study: "s", storage, trialNumber, trialRunId: `r${trialNumber}`, state, ...(value !== undefined ? { value } : {}) };
}

function trial(number: number, state: StudyTrial["state"], value: number | null = null): StudyTrial {
  return { number, state, params: { n: number }, value };
}

describe("sweep ledger", () => {
  test("folds ASKED and TOLD records per study and storage, ignoring other records", () => {
    const ledger = foldSweepLedger([
      asked(0, "r0"),
      told(0, "COMPLETE", 1),
      asked(1, "r1"),
      asked(0, "x0", "other"),
      { seq: 99, ts: "t", type: "PROMOTION_INTENT", runId: "r0", attemptId: "a", stagingDir: "/s", artifactDir: "/a" },
    ]);
    assert.deepEqual([...ledger.keys()], [studyKey(storage, "s"), studyKey(storage, "other")]);
    const study = ledger.get(studyKey(storage, "s"))!;
    assert.deepEqual([...study.asked.keys()], [0, 1]);
    assert.deepEqual([...study.told.keys()], [0]);
    assert.equal(study.asked.get(1)!.runId, "r1");
  });

  test("a later ASKED record of the same trial wins (its run was re-planned)", () => {
    const study = foldSweepLedger([asked(0, "old"), asked(0, "new")]).get(studyKey(storage, "s"))!;
    assert.equal(study.asked.get(0)!.runId, "new");
  });

  test("resume: finished trials are left alone, unfinished ones continue with their journaled run or are failed", () => {
    const ledger = foldSweepLedger([asked(0, "r0"), told(0, "COMPLETE", 0.5), asked(1, "r1"), asked(2, "r2"), told(2, "FAIL")]).get(studyKey(storage, "s"))!;
    const actions = resumeActions([trial(3, "RUNNING"), trial(0, "COMPLETE", 0.5), trial(1, "RUNNING"), trial(2, "FAIL"), trial(4, "WAITING")], ledger);
    assert.deepEqual(actions, [
      { kind: "continue", trialNumber: 1, runId: "r1", params: { n: 1 } },
      { kind: "fail-unplanned", trialNumber: 3 },
      { kind: "fail-unplanned", trialNumber: 4 },
    ]);
  });

  test("resume: a trial the study finished but the journal never recorded as told is journaled from the study", () => {
    const ledger = foldSweepLedger([asked(0, "r0"), asked(1, "r1")]).get(studyKey(storage, "s"))!;
    assert.deepEqual(resumeActions([trial(0, "COMPLETE", 0.25), trial(1, "PRUNED")], ledger), [
      { kind: "record-told", trialNumber: 0, state: "COMPLETE", runId: "r0", value: 0.25 },
      { kind: "record-told", trialNumber: 1, state: "PRUNED", runId: "r1" },
    ]);
  });

  test("a new study has nothing to resume", () => {
    assert.deepEqual(resumeActions([], foldSweepLedger([]).get("x") ?? { asked: new Map(), told: new Map() }), []);
  });

  test("storage passwords are masked", () => {
    assert.equal(maskStorage("postgresql://user:secret@db:5432/optuna"), "postgresql://user:***@db:5432/optuna");
    assert.equal(maskStorage("sqlite:////state/optuna/studies.db"), "sqlite:////state/optuna/studies.db");
    assert.equal(maskStorage("mysql://user@db/optuna"), "mysql://user@db/optuna");
  });
});
