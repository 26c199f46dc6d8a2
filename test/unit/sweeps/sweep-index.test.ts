import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { JournalRecord, NewJournalRecord } from "../../../src/journal/records.js";
import { RunIndex } from "../../../src/index/run-index.js";
import { planned } from "../../helpers/fixtures.js";
import { trialLabel } from "../../../src/cli/commands/get-runs.js";

const storage = "sqlite:////state/optuna/studies.db";

function numbered(records: NewJournalRecord[]): JournalRecord[] {
  return records.map((r, i) => ({ ...r, seq: i + 1, ts: `2026-01-01T00:00:0${i}Z` }) as JournalRecord);
}

describe("sweep trials in the index", () => {
  test("ASKED and TOLD records project to one row per trial, found by run", () => {
    const index = RunIndex.openInMemory();
    try {
      index.apply(numbered([
        planned("run-a"),
        planned("run-b"),
        { type: "SWEEP_TRIAL_ASKED", benchmark: "bench", jobName: "job", study: "e__d__pca", storage, trialNumber: 0, params: { n_components: 4 }, runId: "run-a" },
        { type: "SWEEP_TRIAL_ASKED", benchmark: "bench", jobName: "job", study: "e__d__pca", storage, trialNumber: 1, params: { n_components: 9 }, runId: "run-b" },
        { type: "SWEEP_TRIAL_ASKED", benchmark: "bench", jobName: "job", study: "e__d__pca", storage, trialNumber: 2, params: { n_components: 4 }, runId: "run-a" },
        { type: "SWEEP_TRIAL_TOLD", study: "e__d__pca", storage, trialNumber: 0, trialRunId: "run-a", state: "COMPLETE", value: 0.25, message: "m = 0.25" },
        { type: "SWEEP_TRIAL_TOLD", study: "e__d__pca", storage, trialNumber: 1, trialRunId: "run-b", state: "PRUNED", message: "missing" },
        { type: "SWEEP_TRIAL_TOLD", study: "e__d__pca", storage, trialNumber: 3, state: "FAIL", message: "never planned" },
      ]));
      const ofA = index.sweepTrials(["run-a"]);
      assert.deepEqual(ofA.map((t) => [t.trialNumber, t.state, t.value]), [[0, "COMPLETE", 0.25], [2, "RUNNING", null]]);
      assert.equal(ofA[0]!.params, JSON.stringify({ n_components: 4 }));
      assert.equal(ofA[0]!.jobName, "job");
      assert.deepEqual(index.sweepTrials(["run-b"]).map((t) => [t.trialNumber, t.state, t.message]), [[1, "PRUNED", "missing"]]);
      assert.deepEqual(index.sweepTrials([]), []);
      assert.equal(index.dump().sweep_trials.length, 4);
      assert.equal(trialLabel(ofA), "e__d__pca#0,#2");
      assert.equal(trialLabel(undefined), "");
    } finally {
      index.close();
    }
  });
});
