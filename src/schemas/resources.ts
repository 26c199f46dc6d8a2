/**
 * JSON Schemas (draft 2020-12) of the resources. The same objects validate files and generate the CRDs
 * (crds/), so the two cannot drift (a test compares them).
 */
import { FAILURE_REASONS, RUN_PHASES } from "../domain/run-states.js";
import { slurmSettingsSchema } from "./slurm-settings.js";
import { sweepSpecSchema } from "./sweep.js";

import type { JsonSchema } from "./json-schema.js";
export type { JsonSchema } from "./json-schema.js";

/** Shared building blocks of every schema (resources and the seed formats). */
export const slug = { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,62}$" };
export const sha256Digest = { type: "string", pattern: "^sha256:[0-9a-f]{64}$" };
/** Job names name runs and, in the simple layout, bundle directories (see src/manifest/manifest-checks.ts). */
export const jobName = { type: "string", minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" };
export const nonEmptyString = { type: "string", minLength: 1 };
export const stringList = { type: "array", items: { type: "string" } };
const stringMap = { type: "object", additionalProperties: { type: "string" } };
export const backend = { type: "string", enum: ["docker", "local", "slurm", "kubernetes"] };
export const validators = { type: "string", enum: ["basic", "strict", "developer"] };
/** Seeds reach numpy, whose seeds are 32-bit unsigned integers. */
export const seed = { type: "integer", minimum: 0, maximum: 4294967295 };
/** Docker-style size ("512m", "4g", "1.5g") or bytes; the loaders parse it and explain a bad value. */
const memLimit = { type: ["string", "integer"] };
const memLimitString = { type: "string", pattern: "^[0-9]+(\\.[0-9]+)?([kKmMgGtT]i?[bB]?|[bB])?$" };

export const metadataSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { type: "string", maxLength: 253, pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" },
    generation: { type: "integer", minimum: 0 },
    labels: stringMap,
    annotations: stringMap,
  },
};

export const datasetSpecSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["path"],
  properties: {
    path: { type: "string", minLength: 1 },
    fingerprint: sha256Digest,
    modalities: { type: "array", items: { type: "string" } },
    nObs: { type: "integer", minimum: 0 },
    nVars: { type: "object", additionalProperties: { type: "integer", minimum: 0 } },
    batchKey: { type: "string" },
    labelKey: { type: "string" },
    obsColumns: { type: "array", items: { type: "string" } },
  },
};

export const modelSpecSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["slug", "version", "runtime"],
  properties: {
    slug,
    version: { type: "string", minLength: 1 },
    contractVersion: { type: "string", default: "1" },
    supportedOmics: { type: "array", items: { type: "string" }, default: [] },
    requiredModalities: { type: "array", items: { type: "string" } },
    runtime: {
      type: "object",
      additionalProperties: false,
      required: ["image"],
      properties: {
        image: { type: "string", minLength: 1 },
        imageDigest: sha256Digest,
        entrypoint: { type: "array", items: { type: "string" }, minItems: 1 },
      },
    },
    hyperparametersSchema: { type: "object", default: {} },
    resources: {
      type: "object",
      additionalProperties: false,
      properties: {
        cpus: { type: "number", exclusiveMinimum: 0 },
        memGb: { type: "number", exclusiveMinimum: 0 },
        gpu: { type: "boolean" },
        outputLimits: {
            type: "object",
            additionalProperties: false,
            properties: {
              maxTotalBytes: { type: "integer", minimum: 1 },
              maxFiles: { type: "integer", minimum: 1 },
              maxFileBytes: { type: "integer", minimum: 1 },
              maxDepth: { type: "integer", minimum: 1 },
              maxMetricsBytes: { type: "integer", minimum: 1 },
              maxMetricsKeys: { type: "integer", minimum: 1 },
            },
          },
      },
    },
    build: {
      type: "object",
      additionalProperties: false,
      properties: { context: { type: "string" }, dockerfile: { type: "string" }, defFile: { type: "string" }, unavailable: { type: "string", minLength: 1 } },
    },
    directory: { type: "string" },
  },
};

export const benchmarkJobSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "dataset", "model", "seeds"],
  properties: {
    name: jobName,
    dataset: slug,
    model: slug,
    params: { type: "object", default: {} },
    seeds: { type: "array", items: seed, minItems: 1 },
    gpu: { type: "boolean" },
    memLimit: memLimitString,
    cpus: { type: "number", exclusiveMinimum: 0 },
    preprocessing: { type: "object" },
    metrics: { type: "array", items: { type: "string" } },
    mode: { type: "string", enum: ["train", "sweep"] },
    backend,
    retries: { type: "integer", minimum: 0 },
    oomRetries: { type: "integer", minimum: 0 },
    timeoutSeconds: { type: "integer", minimum: 1 },
    outputLimits: {
            type: "object",
            additionalProperties: false,
            properties: {
              maxTotalBytes: { type: "integer", minimum: 1 },
              maxFiles: { type: "integer", minimum: 1 },
              maxFileBytes: { type: "integer", minimum: 1 },
              maxDepth: { type: "integer", minimum: 1 },
              maxMetricsBytes: { type: "integer", minimum: 1 },
              maxMetricsKeys: { type: "integer", minimum: 1 },
            },
          },
    slurm: slurmSettingsSchema,
    imageSif: { type: "string", minLength: 1 },
    imageDigest: sha256Digest,
    sweep: sweepSpecSchema,
  },
};

export const trackingSettingsSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    trackingUri: { type: "string", pattern: "^https?://[^/\\s]+" },
    experimentName: { type: "string", minLength: 1 },
    logEmbeddings: { type: "boolean" },
    maxArtifactMb: { type: "number", exclusiveMinimum: 0 },
    containerNetwork: { type: "boolean" },
  },
};

export const benchmarkSpecSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["experimentName", "jobs"],
  properties: {
    experimentName: { type: "string", minLength: 1 },
    skipCompleted: { type: "boolean" },
    backend,
    strict: { type: "boolean" },
    validators,
    metrics: { type: "array", items: { type: "string" } },
    hostRamGb: { type: "number", exclusiveMinimum: 0 },
    layout: { type: "string", enum: ["store", "simple"] },
    slurm: slurmSettingsSchema,
    tracking: trackingSettingsSchema,
    jobs: { type: "array", items: benchmarkJobSchema, minItems: 1 },
  },
};

function resource(kind: string, spec: JsonSchema, status?: JsonSchema): JsonSchema {
  const properties: Record<string, unknown> = {
    apiVersion: { const: "multiverse.io/v1alpha1" },
    kind: { const: kind },
    metadata: metadataSchema,
    spec,
  };
  if (status) properties.status = status;
  return { type: "object", additionalProperties: false, required: ["apiVersion", "kind", "metadata", "spec"], properties };
}

export const conditionsSchema: JsonSchema = {
  type: "array",
  items: {
    type: "object",
    additionalProperties: false,
    required: ["type", "status", "reason", "message", "lastTransitionTime"],
    properties: {
      type: { type: "string" },
      status: { type: "string", enum: ["True", "False", "Unknown"] },
      reason: { type: "string" },
      message: { type: "string" },
      lastTransitionTime: { type: "string" },
      observedGeneration: { type: "integer" },
    },
  },
};

export const runStatusSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["phase"],
  properties: {
    phase: { type: "string", enum: [...RUN_PHASES] },
    reason: { type: "string", enum: Object.keys(FAILURE_REASONS) },
    message: { type: "string" },
    attempt: { type: "integer", minimum: 0 },
    attemptId: { type: "string" },
    /** The promoted bundle's directory (absent until promotion). */
    bundlePath: { type: "string" },
    /** sha256 of the bundle's manifest.json, as the journal recorded it at promotion. */
    manifestSha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
    logicalRunId: { type: "string" },
    observedGeneration: { type: "integer", minimum: 0 },
    artifactDir: { type: "string" },
    workspaceDir: { type: "string" },
    conditions: conditionsSchema,
  },
};

/** How many of a Benchmark's planned runs are in each phase group (a Benchmark's status.runs). */
export const runCountsSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: Object.fromEntries(
    ["total", "pending", "running", "succeeded", "failed", "cancelled", "skipped"].map((name) => [name, { type: "integer", minimum: 0 }]),
  ),
};

/** A Benchmark's status: conditions, run counts, and a free-form summary (best runs, metric digests). */
export const benchmarkStatusSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    observedGeneration: { type: "integer", minimum: 0 },
    conditions: conditionsSchema,
    runs: runCountsSchema,
    summary: { type: "object" },
  },
};

/** RunSpec (src/domain/resources.ts) plus the logical run id; a unit test keeps the two in step. */
export const runSpecSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: [
    "logicalId", "benchmark", "jobName", "dataset", "datasetPath", "datasetFingerprint", "nObs", "model", "modelVersion",
    "contractVersion", "image", "params", "paramsHash", "seed", "preprocessing", "backend", "gpu", "validators", "strict",
    "experimentName", "layout", "retries",
  ],
  properties: {
    logicalId: nonEmptyString,
    benchmark: nonEmptyString,
    jobName: nonEmptyString,
    dataset: slug,
    datasetPath: nonEmptyString,
    datasetFingerprint: nonEmptyString,
    nObs: { type: "integer", minimum: 0 },
    batchKey: { type: "string" },
    labelKey: { type: "string" },
    model: slug,
    modelVersion: nonEmptyString,
    contractVersion: { type: "string" },
    image: {
      type: "object",
      additionalProperties: false,
      required: ["reference", "kind", "digest"],
      properties: {
        reference: nonEmptyString,
        kind: { type: "string", enum: ["registry", "unverified_local", "local_process"] },
        digest: { type: "string" },
        sifDigest: sha256Digest,
      },
    },
    params: { type: "object" },
    paramsHash: nonEmptyString,
    seed,
    preprocessing: { type: "object" },
    backend,
    gpu: { type: "boolean" },
    memLimitBytes: { type: "integer", minimum: 1 },
    cpus: { type: "number", exclusiveMinimum: 0 },
    validators,
    strict: { type: "boolean" },
    experimentName: { type: "string" },
    layout: { type: "string", enum: ["store", "simple"] },
    retries: { type: "integer", minimum: 0 },
    oomRetries: { type: "integer", minimum: 0 },
    timeoutSeconds: { type: "integer", minimum: 1 },
    outputLimits: {
      type: "object",
      additionalProperties: false,
      properties: {
        maxTotalBytes: { type: "integer", minimum: 1 },
        maxFiles: { type: "integer", minimum: 1 },
        maxFileBytes: { type: "integer", minimum: 1 },
        maxDepth: { type: "integer", minimum: 1 },
        maxMetricsBytes: { type: "integer", minimum: 1 },
        maxMetricsKeys: { type: "integer", minimum: 1 },
      },
    },
    entrypoint: stringList,
    modelDirectory: { type: "string" },
    tracking: trackingSettingsSchema,
    slurm: slurmSettingsSchema,
  },
};

export const RESOURCE_SCHEMAS: Record<"Dataset" | "Model" | "Benchmark" | "Run", JsonSchema> = {
  Dataset: resource("Dataset", datasetSpecSchema),
  Model: resource("Model", modelSpecSchema),
  Benchmark: resource("Benchmark", benchmarkSpecSchema),
  Run: resource("Run", runSpecSchema, runStatusSchema),
};

export const SPEC_SCHEMAS = { Dataset: datasetSpecSchema, Model: modelSpecSchema, Benchmark: benchmarkSpecSchema, Run: runSpecSchema };
export { memLimit as memLimitSchema };
