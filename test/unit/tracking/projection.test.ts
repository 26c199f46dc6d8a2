import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ArtifactManifest } from "../../../src/artifacts/manifest.js";
import {
  artifactPlan,
  finalScalars,
  flatten,
  historyMetrics,
  metricKey,
  missingPoints,
  openingProjection,
  subjectFromManifest,
  subjectFromSpec,
  TAGS,
} from "../../../src/tracking/projection.js";
import { runSpec } from "../../helpers/fixtures.js";

const spec = runSpec({ params: { n_components: 5, optim: { lr: 0.001, betas: [0.9, 0.99] }, name: "x" }, seed: 3 });
const run = { runId: "r".repeat(24), name: "job-s3-rrrrrrrr", spec };

function manifestOf(): ArtifactManifest {
  return {
    schema_version: "1",
    logical_run_id: run.runId,
    physical_run_id: "rrrrrrrrrrrr-owner1-a2",
    attempt: 2,
    experiment_name: spec.experimentName,
    benchmark: spec.benchmark,
    job_name: spec.jobName,
    dataset: { slug: spec.dataset, fingerprint: spec.datasetFingerprint, path: spec.datasetPath, n_obs: spec.nObs },
    model: { slug: spec.model, version: spec.modelVersion },
    image: { reference: spec.image.reference, kind: spec.image.kind, digest: spec.image.digest },
    params: spec.params,
    params_hash: spec.paramsHash,
    seed: spec.seed,
    preprocessing: {},
    contract_version: spec.contractVersion,
    produced_at: "2026-01-01T00:00:00.000Z",
    produced_by: { tool: "multiverse", version: "0.1.0", host: "h" },
    owner_token: "owner1",
    validation: { level: "basic", problems: [] },
    latent_shape: [10, 5],
    transitions: [],
    artifacts: [],
  };
}

describe("flatten and keys", () => {
  test("nested objects flatten with dots, sorted; arrays and empty objects are leaves", () => {
    assert.deepEqual(flatten({ b: { y: 1, x: { z: 2 } }, a: [1, 2], e: {} }), [
      ["a", [1, 2]],
      ["b.x.z", 2],
      ["b.y", 1],
      ["e", {}],
    ]);
  });
  test("metric keys keep MLflow's allowed characters and are cut at 250", () => {
    assert.equal(metricKey("ari (batch)/v2"), "ari _batch_/v2");
    assert.equal(metricKey(""), "_");
    assert.equal(metricKey("k".repeat(300)).length, 250);
  });
});

describe("opening projection", () => {
  test("hyperparameters flattened as params, the seed added, identity tags set", () => {
    const opening = openingProjection(subjectFromSpec(run, "rrrrrrrrrrrr-owner1-a2", 2), { "mlflow.parentRunId": "parent" });
    const params = Object.fromEntries(opening.params.map((p) => [p.key, p.value]));
    assert.deepEqual(params, { n_components: "5", "optim.betas": "[0.9,0.99]", "optim.lr": "0.001", name: "x", seed: "3" });
    const tags = Object.fromEntries(opening.tags.map((t) => [t.key, t.value]));
    assert.equal(tags[TAGS.logicalRunId], run.runId);
    assert.equal(tags[TAGS.physicalRunId], "rrrrrrrrrrrr-owner1-a2");
    assert.equal(tags[TAGS.datasetFingerprint], spec.datasetFingerprint);
    assert.equal(tags[TAGS.imageDigest], spec.image.digest);
    assert.equal(tags[TAGS.contractVersion], "1");
    assert.equal(tags[TAGS.seed], "3");
    assert.equal(tags["mlflow.runName"], run.name);
    assert.equal(tags["mlflow.parentRunId"], "parent", "a sweep trial names its study's run");
  });
  test("a bundle's manifest gives the same params and tags as the spec it was made from (MLflow refuses changed params)", () => {
    const fromSpec = openingProjection(subjectFromSpec(run, "rrrrrrrrrrrr-owner1-a2", 2));
    const fromManifest = openingProjection(subjectFromManifest(manifestOf(), run.name));
    assert.deepEqual(fromManifest.params, fromSpec.params);
    assert.deepEqual(fromManifest.tags, fromSpec.tags);
  });
  test("without the journal's name a bundle gets the run name the identity module would give", () => {
    assert.equal(subjectFromManifest(manifestOf()).runName, "job-s3-rrrrrrrr");
  });
});

describe("final scalars", () => {
  test("model_metrics by name, other blocks prefixed, non-finite dropped and reported, strings ignored", () => {
    const document = { model_metrics: { ari: 0.5, deep: { nmi: 0.25 }, bad: Number.NaN, inf: -Infinity, flag: true, note: "x" }, eval: { asw: 0.1 }, history: { loss: [1] }, n: 3 };
    const result = finalScalars(document, 1000);
    assert.deepEqual(
      result.metrics.map((m) => [m.key, m.value, m.step, m.timestamp]),
      [
        ["ari", 0.5, 0, 1000],
        ["deep.nmi", 0.25, 0, 1000],
        ["flag", 1, 0, 1000],
        ["eval.asw", 0.1, 0, 1000],
        ["n", 3, 0, 1000],
      ],
    );
    assert.deepEqual(result.nonFinite.sort(), ["bad", "inf"]);
    assert.deepEqual(result.ignored, ["note"]);
  });
  test("no document, or not an object: nothing", () => {
    assert.deepEqual(finalScalars(undefined, 0).metrics, []);
    assert.deepEqual(finalScalars([1, 2], 0).metrics, []);
  });
});

describe("history", () => {
  test("metrics.jsonl lines become points at their step and time; a torn last line is skipped", () => {
    const jsonl = `${JSON.stringify({ step: 1, timestamp: 10.5, metrics: { loss: 2 } })}\n${JSON.stringify({ step: 2, timestamp: 11, metrics: { loss: 1, acc: 0.5 } })}\n{"step": 3, "time`;
    const result = historyMetrics(undefined, jsonl, 0);
    assert.deepEqual(
      result.metrics.map((m) => [m.key, m.step, m.value, m.timestamp]),
      [
        ["loss", 1, 2, 10500],
        ["acc", 2, 0.5, 11000],
        ["loss", 2, 1, 11000],
      ],
    );
    assert.equal(result.skippedLines, 1);
  });
  test("metrics.json history adds keys the stream lacks, stepped by its epoch list", () => {
    const jsonl = JSON.stringify({ step: 1, timestamp: 1, metrics: { loss: 2 } });
    const result = historyMetrics({ history: { epoch: [5, 6], loss: [9, 9], val: [0.1, Number.POSITIVE_INFINITY] } }, jsonl, 77);
    assert.deepEqual(
      result.metrics.map((m) => [m.key, m.step, m.value, m.timestamp]),
      [
        ["loss", 1, 2, 1000],
        ["val", 5, 0.1, 77],
      ],
    );
    assert.deepEqual(result.nonFinite, ["history.val[1]"]);
  });
  test("without a step list the position is the step", () => {
    assert.deepEqual(historyMetrics({ history: { loss: [3, 2] } }, undefined, 0).metrics.map((m) => m.step), [0, 1]);
  });
  test("points already in the run (key and step) are left out", () => {
    const points = [
      { key: "loss", value: 1, timestamp: 1, step: 1 },
      { key: "loss", value: 2, timestamp: 2, step: 2 },
      { key: "acc", value: 3, timestamp: 3, step: 1 },
    ];
    assert.deepEqual(missingPoints(points, new Map([["loss", new Set([1])]])).map((p) => `${p.key}@${p.step}`), ["loss@2", "acc@1"]);
  });
});

describe("artifact plan", () => {
  const artifacts = [
    { path: "embeddings.h5", role: "embeddings", size_bytes: 10 },
    { path: "metrics.json", role: "metrics", size_bytes: 10 },
    { path: "big.bin", role: "other", size_bytes: 1000 },
  ];
  test("embeddings only when asked, large files skipped with the reason, the manifest always", () => {
    const plan = artifactPlan(artifacts, { logEmbeddings: false, maxArtifactBytes: 100 });
    assert.deepEqual(plan.upload, ["metrics.json", "artifact_manifest.json", "artifact_manifest.sha256"]);
    assert.deepEqual(plan.skipped.map((s) => s.path), ["embeddings.h5", "big.bin"]);
    assert.match(plan.skipped[1]!.why, /1000 bytes > 100/);
    assert.ok(artifactPlan(artifacts, { logEmbeddings: true, maxArtifactBytes: 100 }).upload.includes("embeddings.h5"));
  });
});
