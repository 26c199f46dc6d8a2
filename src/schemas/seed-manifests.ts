/** Schemas of the seeds' two manifest formats: run_manifest.yaml and the simple-mode manifest. */
import { memLimitSchema, type JsonSchema } from "./resources.js";

const backend = { type: "string", enum: ["docker", "local", "slurm", "kubernetes"] };

export const runManifestSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["globals", "jobs"],
  properties: {
    schema_version: { type: ["string", "integer"] },
    globals: {
      type: "object",
      additionalProperties: false,
      required: ["experiment_name"],
      properties: {
        experiment_name: { type: "string", minLength: 1 },
        random_seed: { type: "integer" },
        skip_completed: { type: "boolean" },
        backend,
        metrics: { type: "array", items: { type: "string" } },
        host_ram_gb: { type: "number", exclusiveMinimum: 0 },
        strict: { type: "boolean" },
        validators: { type: "string", enum: ["basic", "strict", "developer"] },
        mv_contract_version: { type: ["string", "integer"] },
        run_gridsearch: { type: "boolean" },
      },
    },
    datasets: {
      type: "object",
      propertyNames: { pattern: "^[a-z0-9][a-z0-9._-]{0,62}$" },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["path"],
        properties: { path: { type: "string", minLength: 1 }, batch_key: { type: "string" }, label_key: { type: "string" } },
      },
    },
    jobs: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["dataset_slug"],
        properties: {
          name: { type: "string", minLength: 1, pattern: "^[A-Za-z0-9._-]+$" },
          dataset_slug: { type: "string", minLength: 1 },
          model_name: { type: "string", minLength: 1 },
          models: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
          model_params: { type: "object" },
          seeds: { type: "array", items: { type: "integer" }, minItems: 1 },
          gpu: { type: "boolean" },
          mem_limit: memLimitSchema,
          cpus: { type: "number", exclusiveMinimum: 0 },
          preprocessing: { type: "object" },
          metrics: { type: "array", items: { type: "string" } },
          mode: { type: "string", enum: ["train", "sweep"] },
          backend,
          retries: { type: "integer", minimum: 0 },
          timeout_seconds: { type: "integer", minimum: 1 },
        },
      },
    },
  },
};

export const simpleManifestSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["jobs"],
  properties: {
    schema_version: { type: ["string", "integer"] },
    simple: { type: "boolean" },
    globals: {
      type: "object",
      additionalProperties: false,
      properties: {
        mv_contract_version: { type: ["string", "integer"] },
        experiment_name: { type: "string", minLength: 1 },
        validators: { type: "string", enum: ["basic", "strict", "developer"] },
      },
    },
    jobs: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "model", "dataset"],
        properties: {
          name: { type: "string", pattern: "^[A-Za-z0-9._-]+$" },
          model: {
            type: "object",
            additionalProperties: false,
            required: ["slug", "version", "image"],
            properties: {
              slug: { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,62}$" },
              version: { type: "string", minLength: 1 },
              image: { type: "string", minLength: 1 },
              image_digest: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
              gpu: { type: "boolean" },
            },
          },
          dataset: {
            type: "object",
            additionalProperties: false,
            required: ["slug", "path"],
            properties: {
              slug: { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,62}$" },
              path: { type: "string", minLength: 1 },
              n_obs: { type: "integer", minimum: 1 },
            },
          },
          params: { type: "object" },
          seed: { type: "integer" },
          mem_limit: memLimitSchema,
        },
      },
    },
  },
};

/** model.yaml (store/models/<slug>/model.yaml), snake_case as in the seeds. */
export const modelYamlSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "version", "runtime"],
  properties: {
    name: { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,62}$" },
    version: { type: "string", minLength: 1 },
    contract_version: { type: ["string", "integer"] },
    description: { type: "string" },
    supported_omics: { type: "array", items: { type: "string" } },
    required_modalities: { type: "array", items: { type: "string" } },
    runtime: {
      type: "object",
      additionalProperties: false,
      required: ["image"],
      properties: {
        image: { type: "string", minLength: 1 },
        image_digest: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
        entrypoint: { type: "array", items: { type: "string" }, minItems: 1 },
      },
    },
    hyperparameters_schema: { anyOf: [{ type: "string", minLength: 1 }, { type: "object" }] },
    resources: {
      type: "object",
      additionalProperties: false,
      properties: { cpus: { type: "number", exclusiveMinimum: 0 }, mem_gb: { type: "number", exclusiveMinimum: 0 }, gpu: { type: "boolean" } },
    },
    build: {
      type: "object",
      additionalProperties: false,
      properties: { context: { type: "string" }, dockerfile: { type: "string" }, def_file: { type: "string" } },
    },
  },
};
