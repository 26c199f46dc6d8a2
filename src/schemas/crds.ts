/**
 * CustomResourceDefinitions generated from the same JSON Schemas that validate files, so that a resource that
 * validates as a file validates in a cluster. crds/*.yaml are written by scripts/generate-crds.mjs; a unit test
 * fails when they drift from this function's output.
 */
import { stringify } from "yaml";
import { SPEC_SCHEMAS, benchmarkStatusSchema, conditionsSchema, runStatusSchema, type JsonSchema } from "./resources.js";

const GROUP = "multiverse.io";
const VERSION = "v1alpha1";

/**
 * OpenAPI v3 structural schemas: no `const`, `$schema`, `x-` annotations or draft-2020 `type` arrays, and never
 * `properties` next to `additionalProperties` (the API server refuses that; unknown fields are pruned instead).
 */
export function toStructural(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toStructural);
  if (!schema || typeof schema !== "object") return schema;
  const source = schema as JsonSchema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === "$schema" || key === "$id" || key.startsWith("x-") || key === "default") continue;
    if (key === "additionalProperties" && source.properties !== undefined) continue;
    if (key === "const") {
      out.enum = [value];
      if (source.type === undefined) out.type = typeof value === "number" ? "number" : typeof value;
      continue;
    }
    if (key === "exclusiveMinimum" && typeof value === "number") {
      out.minimum = value;
      out.exclusiveMinimum = true;
      continue;
    }
    if (key === "type" && Array.isArray(value)) {
      // int-or-string is the one union the API server knows; any wider union (a sweep's categorical choices) is kept as given
      if (value.every((t) => t === "string" || t === "integer")) out["x-kubernetes-int-or-string"] = true;
      else out["x-kubernetes-preserve-unknown-fields"] = true;
      continue;
    }
    if (key === "properties" && value && typeof value === "object") {
      out.properties = Object.fromEntries(Object.entries(value as JsonSchema).map(([name, sub]) => [name, toStructural(sub)]));
      continue;
    }
    out[key] = toStructural(value);
  }
  if (out.type === "object" && !out.properties && out.additionalProperties === undefined) out["x-kubernetes-preserve-unknown-fields"] = true;
  return out;
}

interface Column {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
}

/**
 * What controllers report for Datasets and Models: conditions (SourceValid, Ready), plus whatever a controller adds
 * (kept, not pruned).
 */
const sourceStatus: JsonSchema = {
  type: "object",
  "x-kubernetes-preserve-unknown-fields": true,
  properties: { observedGeneration: { type: "integer", minimum: 0 }, conditions: conditionsSchema },
};

const ready: Column = { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' };

const KINDS: { kind: keyof typeof SPEC_SCHEMAS; plural: string; shortNames: string[]; columns: Column[]; status: JsonSchema }[] = [
  {
    kind: "Dataset",
    plural: "datasets",
    shortNames: ["mvds"],
    columns: [
      ready,
      { name: "Cells", type: "integer", jsonPath: ".spec.nObs" },
      { name: "Modalities", type: "string", jsonPath: ".spec.modalities" },
      { name: "Path", type: "string", jsonPath: ".spec.path", priority: 1 },
    ],
    status: sourceStatus,
  },
  {
    kind: "Model",
    plural: "models",
    shortNames: ["mvmodel"],
    columns: [
      ready,
      { name: "Version", type: "string", jsonPath: ".spec.version" },
      { name: "Image", type: "string", jsonPath: ".spec.runtime.image" },
      { name: "GPU", type: "boolean", jsonPath: ".spec.resources.gpu", priority: 1 },
    ],
    status: sourceStatus,
  },
  {
    kind: "Benchmark",
    plural: "benchmarks",
    shortNames: ["mvbench"],
    columns: [
      ready,
      { name: "Runs", type: "integer", jsonPath: ".status.runs.total" },
      { name: "Succeeded", type: "integer", jsonPath: ".status.runs.succeeded" },
      { name: "Failed", type: "integer", jsonPath: ".status.runs.failed" },
      { name: "Running", type: "integer", jsonPath: ".status.runs.running", priority: 1 },
      { name: "Experiment", type: "string", jsonPath: ".spec.experimentName", priority: 1 },
    ],
    status: benchmarkStatusSchema,
  },
  {
    kind: "Run",
    plural: "runs",
    shortNames: ["mvrun"],
    columns: [
      { name: "Phase", type: "string", jsonPath: ".status.phase" },
      { name: "Reason", type: "string", jsonPath: ".status.reason" },
      { name: "Attempt", type: "integer", jsonPath: ".status.attempt" },
      { name: "Model", type: "string", jsonPath: ".spec.model" },
      { name: "Dataset", type: "string", jsonPath: ".spec.dataset" },
      { name: "Seed", type: "integer", jsonPath: ".spec.seed", priority: 1 },
      { name: "Bundle", type: "string", jsonPath: ".status.bundlePath", priority: 1 },
    ],
    status: runStatusSchema,
  },
];

/**
 * A status schema for the API server: structural, and its conditions a list map keyed by type, so that server-side
 * apply merges conditions by type (and a field manager owns each condition, not the whole list).
 */
function structuralStatus(status: JsonSchema): unknown {
  const out = toStructural(status) as { properties: Record<string, unknown>; "x-kubernetes-preserve-unknown-fields"?: boolean };
  if (status["x-kubernetes-preserve-unknown-fields"] === true) out["x-kubernetes-preserve-unknown-fields"] = true;
  out.properties.conditions = {
    ...(toStructural(conditionsSchema) as Record<string, unknown>),
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
  };
  return out;
}

export function renderCrds(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const { kind, plural, shortNames, columns, status } of KINDS) {
    const openAPIV3Schema = {
      type: "object",
      required: ["spec"],
      properties: {
        apiVersion: { type: "string" },
        kind: { type: "string" },
        metadata: { type: "object" },
        spec: toStructural(SPEC_SCHEMAS[kind]),
        status: structuralStatus(status),
      },
    };
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `${plural}.${GROUP}` },
      spec: {
        group: GROUP,
        names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames, categories: ["multiverse"] },
        scope: "Namespaced",
        versions: [
          {
            name: VERSION,
            served: true,
            storage: true,
            schema: { openAPIV3Schema },
            subresources: { status: {} },
            additionalPrinterColumns: [...columns, { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }],
          },
        ],
      },
    };
    files[`${kind.toLowerCase()}.yaml`] = `# Generated by scripts/generate-crds.mjs from src/schemas/resources.ts. Do not edit by hand.\n${stringify(crd)}`;
  }
  return files;
}
