/**
 * Schemas of a sweep job's study: the seed manifest's snake_case fields (search_space, optimize_metric, ...) and
 * the Benchmark resource's camelCase `sweep` object. The shapes only; src/sweeps/search-space.ts checks each
 * dimension against the model's hyperparameter schema (x-sweepable, types, bounds) at plan time.
 */
type JsonSchema = Record<string, unknown>;

const text = { type: "string", minLength: 1 };

export const searchDimensionSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type"],
  properties: {
    type: { type: "string", enum: ["int", "float", "loguniform", "categorical"] },
    low: { type: "number" },
    high: { type: "number" },
    step: { type: "number", exclusiveMinimum: 0 },
    log: { type: "boolean" },
    choices: { type: "array", minItems: 1, items: { type: ["string", "number", "boolean", "null"] } },
  },
};

export const searchSpaceSchema: JsonSchema = { type: "object", minProperties: 1, additionalProperties: searchDimensionSchema };
export const directionSchema: JsonSchema = { type: "string", enum: ["minimize", "maximize"] };
export const samplerSchema: JsonSchema = { type: "string", enum: ["tpe", "random"] };
export const nTrialsSchema: JsonSchema = { type: "integer", minimum: 1, maximum: 10000 };

/** run_manifest.yaml job fields of `mode: sweep` (the loader refuses them on other modes). */
export const sweepManifestJobFields: Record<string, JsonSchema> = {
  search_space: searchSpaceSchema,
  optimize_metric: text,
  direction: directionSchema,
  n_trials: nTrialsSchema,
  study_storage: text,
  study_name: text,
  sampler: samplerSchema,
};

/** Benchmark resource: spec.jobs[].sweep. */
export const sweepSpecSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["searchSpace", "direction", "nTrials"],
  properties: {
    searchSpace: searchSpaceSchema,
    optimizeMetric: text,
    direction: directionSchema,
    nTrials: nTrialsSchema,
    storage: text,
    studyName: text,
    sampler: samplerSchema,
  },
};
