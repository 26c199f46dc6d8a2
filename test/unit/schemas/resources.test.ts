import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { RunResource, RunSpec } from "../../../src/domain/resources.js";
import { compile } from "../../../src/schemas/ajv.js";
import { RESOURCE_SCHEMAS } from "../../../src/schemas/resources.js";

// Required<> makes the compiler list every RunSpec field here, so a new field in the contract fails to build
// until this sample (and, through the validation below, the schema) knows it.
const spec: Required<RunSpec> & { logicalId: string } = {
  logicalId: "a".repeat(64),
  benchmark: "bench",
  jobName: "pbmc-pca",
  dataset: "pbmc",
  datasetPath: "/data/pbmc.h5mu",
  datasetFingerprint: `sha256:${"b".repeat(64)}`,
  nObs: 100,
  batchKey: "batch",
  labelKey: "cell_type",
  model: "pca",
  modelVersion: "1.0.0",
  contractVersion: "1",
  image: { reference: "multiverse-pca:1.0.0", kind: "unverified_local", digest: `sha256:${"c".repeat(64)}` },
  params: { n_components: 20 },
  paramsHash: "d".repeat(64),
  seed: 0,
  preprocessing: {},
  backend: "docker",
  gpu: false,
  memLimitBytes: 1024 ** 3,
  cpus: 1,
  validators: "basic",
  strict: false,
  experimentName: "Bench",
  layout: "store",
  retries: 0,
  oomRetries: 1,
  timeoutSeconds: 60,
  outputLimits: { maxFileBytes: 1024 },
  entrypoint: ["python3", "container/run.py"],
  modelDirectory: "/repo/store/models/pca",
  slurm: { partition: "gpu", account: "lab", qos: "normal", timeMinutes: 90, memGb: 16, cpusPerTask: 4, gpus: 1, extraDirectives: ["--constraint=a100"], useTmpdir: true },
  tracking: { trackingUri: "http://127.0.0.1:25000", experimentName: "Bench", logEmbeddings: false, maxArtifactMb: 100, containerNetwork: false },
};

function run(overrides: Partial<RunResource> = {}): RunResource {
  return { apiVersion: "multiverse.io/v1alpha1", kind: "Run", metadata: { name: "pbmc-pca-0-aaaaaaaa" }, spec: structuredClone(spec), status: { phase: "RUNNING", attempt: 1 }, ...overrides };
}

describe("resource schemas", () => {
  const validateRun = compile(RESOURCE_SCHEMAS.Run);

  test("a Run with every RunSpec field validates", () => {
    assert.equal(validateRun(run()), true, JSON.stringify(validateRun.errors));
  });

  test("a Run with an unknown spec field, phase or reason is refused", () => {
    const unknownField = run();
    (unknownField.spec as unknown as Record<string, unknown>).colour = "red";
    assert.equal(validateRun(unknownField), false);
    assert.equal(validateRun(run({ status: { phase: "DONE" as never } })), false);
    assert.equal(validateRun(run({ status: { phase: "FAILED", reason: "bad_luck" as never } })), false);
    assert.equal(validateRun(run({ status: { phase: "FAILED", reason: "oom_killed" } })), true);
  });

  test("metadata.name follows DNS-1123", () => {
    const validate = compile(RESOURCE_SCHEMAS.Dataset);
    const dataset = (name: string) => ({ apiVersion: "multiverse.io/v1alpha1", kind: "Dataset", metadata: { name }, spec: { path: "/x.h5mu" } });
    for (const name of ["pbmc", "pbmc-10k", "a.b", "a", "0a"]) assert.equal(validate(dataset(name)), true, name);
    for (const name of ["PBMC", "-a", "a-", "a_b", "", "a".repeat(254)]) assert.equal(validate(dataset(name)), false, name);
  });

  test("unknown metadata and top-level fields are refused", () => {
    const validate = compile(RESOURCE_SCHEMAS.Model);
    const model = { apiVersion: "multiverse.io/v1alpha1", kind: "Model", metadata: { name: "m" }, spec: { slug: "m", version: "1", runtime: { image: "i" } } };
    assert.equal(validate(model), true, JSON.stringify(validate.errors));
    assert.equal(validate({ ...model, metadata: { name: "m", uid: "x" } }), false);
    assert.equal(validate({ ...model, extra: 1 }), false);
    assert.equal(validate({ ...model, kind: "Dataset" }), false);
  });
});
