/** Schemas of the seeds' two manifest formats: run_manifest.yaml and the simple-mode manifest. */
import { backend, jobName, memLimitSchema, nonEmptyString, seed, sha256Digest, slug, stringList, validators, type JsonSchema } from "./resources.js";
import { slurmManifestSchema } from "./slurm-settings.js";
import { sweepManifestJobFields } from "./sweep.js";

const contractVersion = { type: ["string", "integer"] };

export const runManifestSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["globals", "jobs"],
  properties: {
    schema_version: contractVersion,
    globals: {
      type: "object",
      additionalProperties: false,
      required: ["experiment_name"],
      properties: {
        experiment_name: nonEmptyString,
        random_seed: seed,
        skip_completed: { type: "boolean" },
        backend,
        metrics: stringList,
        host_ram_gb: { type: "number", exclusiveMinimum: 0 },
        strict: { type: "boolean" },
        validators,
        mv_contract_version: contractVersion,
        run_gridsearch: { type: "boolean" },
        mlflow_tracking_uri: { type: "string", pattern: "^https?://[^/\\s]+" },
        mlflow_experiment_name: nonEmptyString,
        mlflow_log_embeddings: { type: "boolean" },
        mlflow_max_artifact_mb: { type: "number", exclusiveMinimum: 0 },
        mlflow_container_network: { type: "boolean" },
        slurm: slurmManifestSchema,
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
          name: jobName,
          dataset_slug: slug,
          model_name: slug,
          models: { type: "array", items: slug, minItems: 1 },
          model_params: { type: "object" },
          seeds: { type: "array", items: seed, minItems: 1 },
          gpu: { type: "boolean" },
          mem_limit: memLimitSchema,
          cpus: { type: "number", exclusiveMinimum: 0 },
          preprocessing: { type: "object" },
          metrics: stringList,
          mode: { type: "string", enum: ["train", "sweep"] },
          backend,
          retries: { type: "integer", minimum: 0 },
          oom_retries: { type: "integer", minimum: 0 },
          timeout_seconds: { type: "integer", minimum: 1 },
          output_limits: {
            type: "object",
            additionalProperties: false,
            properties: {
              max_total_bytes: { type: "integer", minimum: 1 },
              max_files: { type: "integer", minimum: 1 },
              max_file_bytes: { type: "integer", minimum: 1 },
              max_depth: { type: "integer", minimum: 1 },
              max_metrics_bytes: { type: "integer", minimum: 1 },
              max_metrics_keys: { type: "integer", minimum: 1 },
            },
          },
          slurm: slurmManifestSchema,
          image_sif: { type: "string", minLength: 1 },
          image_digest: sha256Digest,
          ...sweepManifestJobFields,
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
    schema_version: contractVersion,
    simple: { type: "boolean" },
    globals: {
      type: "object",
      additionalProperties: false,
      properties: {
        mv_contract_version: contractVersion,
        experiment_name: nonEmptyString,
        validators,
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
          name: jobName,
          model: {
            type: "object",
            additionalProperties: false,
            required: ["slug", "version", "image"],
            properties: {
              slug,
              version: nonEmptyString,
              image: nonEmptyString,
              image_digest: sha256Digest,
              gpu: { type: "boolean" },
              hyperparameters_schema: { type: "string", minLength: 1 },
            },
          },
          dataset: {
            type: "object",
            additionalProperties: false,
            required: ["slug", "path"],
            properties: {
              slug,
              path: { type: "string", minLength: 1 },
              n_obs: { type: "integer", minimum: 1 },
            },
          },
          params: { type: "object" },
          seed,
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
    name: slug,
    version: nonEmptyString,
    contract_version: contractVersion,
    description: { type: "string" },
    supported_omics: stringList,
    required_modalities: stringList,
    runtime: {
      type: "object",
      additionalProperties: false,
      required: ["image"],
      properties: {
        image: nonEmptyString,
        image_digest: sha256Digest,
        entrypoint: { type: "array", items: { type: "string" }, minItems: 1 },
      },
    },
    hyperparameters_schema: { anyOf: [{ type: "string", minLength: 1 }, { type: "object" }] },
    resources: {
      type: "object",
      additionalProperties: false,
      properties: {
        cpus: { type: "number", exclusiveMinimum: 0 },
        mem_gb: { type: "number", exclusiveMinimum: 0 },
        gpu: { type: "boolean" },
        output_limits: {
            type: "object",
            additionalProperties: false,
            properties: {
              max_total_bytes: { type: "integer", minimum: 1 },
              max_files: { type: "integer", minimum: 1 },
              max_file_bytes: { type: "integer", minimum: 1 },
              max_depth: { type: "integer", minimum: 1 },
              max_metrics_bytes: { type: "integer", minimum: 1 },
              max_metrics_keys: { type: "integer", minimum: 1 },
            },
          },
      },
    },
    build: {
      type: "object",
      additionalProperties: false,
      properties: { context: { type: "string" }, dockerfile: { type: "string" }, def_file: { type: "string" }, unavailable: { type: "string", minLength: 1 } },
    },
  },
};
