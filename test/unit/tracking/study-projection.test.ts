import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { STUDY_TAGS, studyRunFinal, studyRunKey, studyRunOpening, trialTags, type StudyOutcome, type StudySubject } from "../../../src/tracking/study-projection.js";
import { foldStudyTrials, journaledStudyOutcome } from "../../../src/tracking/study-trials.js";
import type { JournalRecord, SweepTrialAskedRecord } from "../../../src/journal/records.js";

const subject: StudySubject = {
  studyName: "exp__pbmc__pca",
  storage: "sqlite:////state/optuna/studies.db",
  benchmark: "exp",
  jobName: "sweep",
  direction: "maximize",
  optimizeMetric: "explained_variance_ratio_sum",
  nTrials: 6,
  sampler: "tpe",
  searchSpace: { n_components: { type: "int", low: 2, high: 12 }, alpha: { type: "float", low: 0.1, high: 1, log: true } },
};

function tagMap(tags: { key: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t.key, t.value]));
}

describe("a study's parent run", () => {
  test("is named after the study, found by storage and name, and carries the plan's constants as params", () => {
    const opening = studyRunOpening(subject);
    assert.equal(opening.runName, "exp__pbmc__pca");
    const tags = tagMap(opening.tags);
    assert.equal(tags[STUDY_TAGS.role], "optuna_study");
    assert.equal(tags[STUDY_TAGS.studyKey], "sqlite:////state/optuna/studies.db::exp__pbmc__pca");
    assert.equal(tags[STUDY_TAGS.studyKey], studyRunKey(subject));
    assert.equal(tags["mlflow.runName"], "exp__pbmc__pca");
    assert.equal(tags[STUDY_TAGS.jobName], "sweep");
    assert.deepEqual(opening.params, [
      { key: "direction", value: "maximize" },
      { key: "optimize_metric", value: "explained_variance_ratio_sum" },
      { key: "sampler", value: "tpe" },
      { key: "search_space.alpha", value: '{"type":"float","low":0.1,"high":1,"log":true}' },
      { key: "search_space.n_components", value: '{"type":"int","low":2,"high":12}' },
    ]);
  });

  test("n_trials is not a param: a resumed study may ask for more trials, and MLflow refuses to change a param", () => {
    assert.ok(!studyRunOpening({ ...subject, nTrials: 10 }).params.some((p) => p.key === "n_trials"));
    assert.deepEqual(studyRunOpening({ ...subject, nTrials: 10 }).params, studyRunOpening(subject).params);
  });

  test("what the journal alone knows gives tags but no params", () => {
    const opening = studyRunOpening({ studyName: "s", storage: "sqlite:///x.db", benchmark: "b", jobName: "j" });
    assert.deepEqual(opening.params, []);
    assert.equal(tagMap(opening.tags)[STUDY_TAGS.studyKey], "sqlite:///x.db::s");
  });

  test("a trial's run is the parent's child and names its trial", () => {
    assert.deepEqual(trialTags("abc123", subject, 4), { "mlflow.parentRunId": "abc123", [STUDY_TAGS.study]: "exp__pbmc__pca", [STUDY_TAGS.trialNumber]: "4" });
  });
});

describe("a study's summary on its parent run", () => {
  const trials = [
    { number: 0, state: "COMPLETE", value: 0.4, params: { n_components: 3 } },
    { number: 1, state: "COMPLETE", value: 0.7, params: { n_components: 9 } },
    { number: 2, state: "PRUNED", value: null, params: { n_components: 5 } },
    { number: 3, state: "FAIL", value: null, params: { n_components: 2 } },
  ];
  const outcome: StudyOutcome = { optimizeMetric: "explained_variance_ratio_sum", nTrials: 4, trials, best: trials[1] };

  test("counts, best value stepped by finished trials, best trial as tags, FINISHED when all wanted trials finished", () => {
    const final = studyRunFinal(outcome, 1000);
    assert.equal(final.status, "FINISHED");
    assert.deepEqual(final.metrics, [
      { key: "trials_complete", value: 2, timestamp: 1000, step: 4 },
      { key: "trials_pruned", value: 1, timestamp: 1000, step: 4 },
      { key: "trials_failed", value: 1, timestamp: 1000, step: 4 },
      { key: "best_explained_variance_ratio_sum", value: 0.7, timestamp: 1000, step: 4 },
    ]);
    assert.deepEqual(tagMap(final.tags), { [STUDY_TAGS.bestTrial]: "1", [STUDY_TAGS.bestParams]: '{"n_components":9}' });
  });

  test("stays RUNNING while trials are missing or the sweep stopped early (it will be resumed)", () => {
    assert.equal(studyRunFinal({ ...outcome, nTrials: 6 }, 1).status, "RUNNING");
    assert.equal(studyRunFinal({ ...outcome, stoppedEarly: "trial 2 cancelled" }, 1).status, "RUNNING");
  });

  test("FAILED with the reason when the study failed; no best without a finite best value", () => {
    const final = studyRunFinal({ optimizeMetric: "m", nTrials: 2, trials: [], error: "storage unreachable" }, 1);
    assert.equal(final.status, "FAILED");
    assert.deepEqual(tagMap(final.tags), { [STUDY_TAGS.error]: "storage unreachable" });
    assert.ok(!final.metrics.some((m) => m.key.startsWith("best_")));
  });
});

describe("sweep trials folded from the journal", () => {
  const base = { seq: 0, ts: "2026-01-01T00:00:00Z" };
  const asked = (trialNumber: number, runId: string, study = "s"): JournalRecord =>
    ({ ...base, type: "SWEEP_TRIAL_ASKED", benchmark: "b", jobName: "j", study, storage: "sqlite:///x.db", trialNumber, params: {}, runId }) as JournalRecord;
  const told = (trialNumber: number, state: "COMPLETE" | "PRUNED" | "FAIL", value?: number): JournalRecord =>
    ({ ...base, type: "SWEEP_TRIAL_TOLD", study: "s", storage: "sqlite:///x.db", trialNumber, state, ...(value !== undefined ? { value } : {}) }) as JournalRecord;

  test("each run belongs to the first trial that asked for it; studies are told apart by storage and name", () => {
    const state = foldStudyTrials([asked(0, "r1"), asked(1, "r2"), asked(2, "r1"), asked(0, "r9", "other")]);
    assert.deepEqual(state.trialOfRun.get("r1"), { key: "sqlite:///x.db::s", trialNumber: 0 });
    assert.deepEqual(state.trialOfRun.get("r9"), { key: "sqlite:///x.db::other", trialNumber: 0 });
    assert.equal(state.studies.size, 2);
  });

  test("the journaled outcome lists asked trials; those not told yet are RUNNING", () => {
    const state = foldStudyTrials([asked(0, "r1"), asked(1, "r2"), told(0, "COMPLETE", 3), asked(2, "r3"), told(2, "PRUNED")]);
    const outcome = journaledStudyOutcome(state.studies.get("sqlite:///x.db::s")!);
    assert.deepEqual(outcome.trials.map((t) => [t.number, t.state, t.value]), [[0, "COMPLETE", 3], [1, "RUNNING", null], [2, "PRUNED", null]]);
    assert.equal(studyRunFinal(outcome, 1).status, "RUNNING");
    assert.equal(outcome.best, undefined, "journals without the direction give no best trial");
  });

  test("with the direction and metric journaled, the best complete trial is known", () => {
    const withDirection = (trialNumber: number, runId: string, direction: "minimize" | "maximize"): JournalRecord =>
      ({ ...(asked(trialNumber, runId) as SweepTrialAskedRecord), params: { k: trialNumber }, direction, optimizeMetric: "ari" });
    for (const [direction, bestNumber] of [["maximize", 1], ["minimize", 0]] as const) {
      const state = foldStudyTrials([withDirection(0, "r1", direction), withDirection(1, "r2", direction), withDirection(2, "r3", direction), told(0, "COMPLETE", 0.2), told(1, "COMPLETE", 0.9), told(2, "FAIL")]);
      const outcome = journaledStudyOutcome(state.studies.get("sqlite:///x.db::s")!);
      assert.equal(outcome.best?.number, bestNumber, direction);
      assert.deepEqual(outcome.best?.params, { k: bestNumber });
      assert.equal(studyRunFinal(outcome, 1).metrics.find((m) => m.key === "best_ari")?.value, bestNumber === 1 ? 0.9 : 0.2);
    }
  });
});
