import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { API_VERSION, type BenchmarkJob, type BenchmarkResource, type DatasetResource, type ModelResource, type SweepSpec } from "../../../src/domain/resources.js";
import { planBenchmark, type PlanCatalog } from "../../../reconcilers/plan.js";
import { defaultStudyStorage, studyName, trialRun } from "../../../src/sweeps/sweep-plan.js";

function catalog(): PlanCatalog {
  const dataset: DatasetResource = {
    apiVersion: API_VERSION,
    kind: "Dataset",
    metadata: { name: "rna" },
    spec: { path: "/data/rna.h5mu", fingerprint: "sha256:rna", modalities: ["rna"], nObs: 100 },
  };
  const model: ModelResource = {
    apiVersion: API_VERSION,
    kind: "Model",
    metadata: { name: "pca" },
    spec: {
      slug: "pca",
      version: "1.0.0",
      contractVersion: "1",
      supportedOmics: ["rna"],
      runtime: { image: "multiverse-pca:1.0.0" },
      hyperparametersSchema: {
        type: "object",
        additionalProperties: false,
        properties: {
          n_components: { type: "integer", minimum: 2, maximum: 200, default: 20, "x-sweepable": true },
          svd_solver: { type: "string", enum: ["full", "randomized"], default: "full" },
        },
      },
    },
  };
  return {
    datasets: new Map([["rna", dataset]]),
    models: new Map([["pca", model]]),
    images: new Map([["multiverse-pca:1.0.0", { reference: "multiverse-pca:1.0.0", kind: "unverified_local", digest: "sha256:img" }]]),
  };
}

const sweep: SweepSpec = {
  searchSpace: { n_components: { type: "int", low: 2, high: 30 } },
  optimizeMetric: "explained_variance_ratio_sum",
  direction: "maximize",
  nTrials: 6,
};

function job(extra: Partial<BenchmarkJob> = {}): BenchmarkJob {
  return { name: "pca-sweep", dataset: "rna", model: "pca", params: { svd_solver: "full" }, seeds: [3], mode: "sweep", sweep, ...extra };
}

function benchmark(jobs: BenchmarkJob[]): BenchmarkResource {
  return { apiVersion: API_VERSION, kind: "Benchmark", metadata: { name: "exp" }, spec: { experimentName: "Exp1", jobs } };
}

describe("sweep planning", () => {
  test("a sweep job becomes a planned study, not runs", () => {
    const plan = planBenchmark(benchmark([job(), { name: "plain", dataset: "rna", model: "pca", params: {}, seeds: [0] }]), catalog(), { file: "m.yaml" });
    assert.deepEqual(plan.errors, []);
    assert.equal(plan.runs.length, 1);
    assert.equal(plan.sweeps.length, 1);
    const planned = plan.sweeps[0]!;
    assert.equal(planned.studyName, "Exp1__rna__pca");
    assert.equal(planned.storage, undefined);
    assert.equal(planned.direction, "maximize");
    assert.equal(planned.nTrials, 6);
    assert.equal(planned.sampler, "tpe");
    assert.equal(planned.seed, 3);
    assert.deepEqual(planned.fixedParams, { svd_solver: "full" });
    assert.deepEqual(planned.searchSpace, { n_components: { type: "int", low: 2, high: 30, step: 1, log: false } });
    assert.equal(planned.base.jobName, "pca-sweep");
  });

  test("the trial metric defaults to the evaluation's bio-conservation score; a score metric's name is checked", () => {
    const { optimizeMetric: _dropped, ...withoutMetric } = sweep;
    const plan = planBenchmark(benchmark([job({ sweep: withoutMetric, metrics: ["fast"] })]), catalog(), { file: "m.yaml" });
    assert.deepEqual(plan.errors, []);
    assert.equal(plan.sweeps[0]!.optimizeMetric, "scib.bio_conservation");
    assert.equal(plan.sweeps[0]!.metricsPreset, "fast", "jobs[].metrics chooses the trials' preset");
    assert.deepEqual(plan.sweeps[0]!.requestedMetrics, ["fast"]);
    const bad = planBenchmark(benchmark([job({ sweep: { ...sweep, optimizeMetric: "scib.total score" } })]), catalog(), { file: "m.yaml" });
    assert.match(bad.errors[0]!.message, /optimize_metric "scib.total score" is not a score/);
    assert.equal(bad.errors[0]!.location?.field, "jobs[0].optimize_metric");
    const viaGlobals = planBenchmark({ ...benchmark([job()]), spec: { ...benchmark([job()]).spec, metrics: ["all"] } }, catalog());
    assert.equal(viaGlobals.sweeps[0]!.metricsPreset, "all", "else globals.metrics");
  });

  test("study naming follows the seeds: <experiment>__<dataset>__<model>, or the job's study_name", () => {
    assert.equal(studyName("exp", "pbmc", "pca"), "exp__pbmc__pca");
    const plan = planBenchmark(benchmark([job({ sweep: { ...sweep, studyName: "mine", storage: "sqlite:////x/s.db", sampler: "random" } })]), catalog());
    assert.equal(plan.sweeps[0]!.studyName, "mine");
    assert.equal(plan.sweeps[0]!.storage, "sqlite:////x/s.db");
    assert.equal(plan.sweeps[0]!.sampler, "random");
    assert.equal(defaultStudyStorage("/state"), "sqlite:////state/optuna/studies.db");
  });

  test("a trial is an ordinary run: its own identity from its parameters, the job's name and seed", () => {
    const planned = planBenchmark(benchmark([job()]), catalog()).sweeps[0]!;
    const a = trialRun(planned, { n_components: 5 });
    const b = trialRun(planned, { n_components: 6 });
    const again = trialRun(planned, { n_components: 5 });
    assert.notEqual(a.runId, b.runId);
    assert.equal(a.runId, again.runId);
    assert.deepEqual(a.spec.params, { n_components: 5, svd_solver: "full" });
    assert.equal(a.spec.seed, 3);
    assert.equal(a.spec.jobName, "pca-sweep");
    assert.match(a.name, /^pca-sweep-s3-[0-9a-f]{8}$/);
    assert.notEqual(a.spec.paramsHash, b.spec.paramsHash);
    // The same parameters as a plain job: the same logical run (identity is content, not the job).
    const plain = planBenchmark(benchmark([{ name: "other", dataset: "rna", model: "pca", params: { n_components: 5 }, seeds: [3] }]), catalog()).runs[0]!;
    assert.equal(plain.runId, a.runId);
  });

  test("trialRun refuses a parameter outside the search space", () => {
    const planned = planBenchmark(benchmark([job()]), catalog()).sweeps[0]!;
    assert.throws(() => trialRun(planned, { svd_solver: "randomized" }), /not in the search space/);
  });

  test("a non-sweepable field is refused at plan time with file and field", () => {
    const plan = planBenchmark(benchmark([job({ params: {}, sweep: { ...sweep, searchSpace: { svd_solver: { type: "categorical", choices: ["full", "randomized"] } } } })]), catalog(), { file: "m.yaml" });
    assert.equal(plan.sweeps.length, 0);
    const error = plan.errors[0]!;
    assert.equal(error.exitCode, 2);
    assert.deepEqual(error.location, { file: "m.yaml", field: "jobs[0].search_space.svd_solver" });
    assert.match(error.message, /"svd_solver" is not sweepable/);
  });

  test("a sweep runs one seed per trial", () => {
    const plan = planBenchmark(benchmark([job({ seeds: [0, 1] })]), catalog());
    assert.match(plan.errors[0]!.message, /a sweep runs one seed per trial, but the job has 2 seeds/);
    const overridden = planBenchmark(benchmark([job({ seeds: [0, 1] })]), catalog(), { seedOverride: 7 });
    assert.deepEqual(overridden.errors, []);
    assert.equal(overridden.sweeps[0]!.seed, 7);
  });

  test("mode and study must go together", () => {
    const noStudy = planBenchmark(benchmark([job({ sweep: undefined })]), catalog());
    assert.match(noStudy.errors[0]!.message, /mode "sweep" needs a study/);
    const noMode = planBenchmark(benchmark([job({ mode: "train" })]), catalog());
    assert.match(noMode.errors[0]!.message, /declares a sweep .* but its mode is "train"; set mode: sweep/);
  });

  test("the job's other problems are still found (unknown dataset)", () => {
    const plan = planBenchmark(benchmark([job({ dataset: "nope" })]), catalog());
    assert.equal(plan.errors[0]!.code, "MV_UNKNOWN_DATASET");
  });

  test("two sweep jobs that would share a study are refused", () => {
    const plan = planBenchmark(benchmark([job(), job({ name: "again", params: { svd_solver: "randomized" } })]), catalog(), { file: "m.yaml" });
    assert.equal(plan.sweeps.length, 2);
    assert.match(plan.errors[0]!.message, /jobs\[1\] \(again\): study "Exp1__rna__pca" is already the study of jobs\[0\] \(pca-sweep\); give one of them a study_name/);
  });
});
