/**
 * Hyperparameters are validated against the model's JSON Schema with its defaults applied (the original never
 * validated them). Keys a schema does not declare are refused; an empty schema `{}` accepts anything.
 */
import { Errors, type ErrorLocation } from "../domain/errors.js";
import { compile } from "./ajv.js";
import { issuesFromAjv, suggest, type SchemaIssue } from "./error-messages.js";
import type { JsonSchema } from "./resources.js";

export interface HyperparameterContext {
  model: string;
  job: string;
  file?: string;
  line?: number;
  /** Where a parameter (its path under the job's params) is in the manifest, when the caller knows. */
  locate?: (path: (string | number)[]) => ErrorLocation;
}

/** The schema as validated: an object schema even when the model's file leaves `type` out. */
const prepared = new WeakMap<JsonSchema, JsonSchema>();

function objectSchema(schema: JsonSchema): JsonSchema {
  let out = prepared.get(schema);
  if (!out) {
    out = schema.type === undefined ? { ...schema, type: "object" } : schema;
    prepared.set(schema, out);
  }
  return out;
}

function declaredProperties(schema: JsonSchema): string[] | undefined {
  const props = schema.properties;
  return props && typeof props === "object" && !Array.isArray(props) ? Object.keys(props) : undefined;
}

function unknownKeyIssues(schema: JsonSchema, params: Record<string, unknown>): SchemaIssue[] {
  const declared = declaredProperties(schema);
  if (!declared) return [];
  return Object.keys(params)
    .filter((key) => !declared.includes(key))
    .map((key) => {
      const hint = suggest(key, declared);
      return {
        path: [key],
        field: key,
        message: `unknown hyperparameter "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}; the model accepts: ${declared.join(", ") || "(none)"}`,
      };
    });
}

export function resolveHyperparameters(schema: JsonSchema, params: Record<string, unknown>, where: HyperparameterContext): Record<string, unknown> {
  const prefix = `${where.job} model ${where.model}`;
  const location: ErrorLocation = where.locate?.([]) ?? { file: where.file, line: where.line, field: "model_params" };
  if (params === null || typeof params !== "object" || Array.isArray(params)) {
    throw Errors.hyperparameters(`${prefix}: the parameters must be a mapping of name to value`, { location });
  }
  if (!schema || Object.keys(schema).length === 0) return structuredClone(params);
  const unknown = unknownKeyIssues(schema, params);
  const resolved = structuredClone(params);
  const validate = compile(objectSchema(schema), { useDefaults: true });
  const valid = validate(resolved);
  // an undeclared key also fails `additionalProperties: false`; the unknown-key message (with its hint) says it better
  const issues = [
    ...unknown,
    ...(valid ? [] : issuesFromAjv(validate.errors, resolved)).filter((i) => !unknown.some((u) => u.field === i.field)),
  ];
  if (where.locate) {
    // in file order, as every other manifest error
    const place = (path: (string | number)[]) => where.locate!(path);
    issues.sort((a, b) => (place(a.path).line ?? 0) - (place(b.path).line ?? 0) || (place(a.path).column ?? 0) - (place(b.path).column ?? 0));
  }
  const first = issues[0];
  if (!first) return resolved;
  throw Errors.hyperparameters(`${prefix}: ${first.field}: ${first.message}`, {
    location: where.locate?.(first.path) ?? { ...location, field: `model_params.${first.field}` },
    details: issues.slice(1).map((i) => `${i.field}: ${i.message}`),
  });
}

/** Fields a sweep may vary: those the schema marks `x-sweepable: true`. */
export function sweepableFields(schema: JsonSchema): string[] {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(props)
    .filter(([, def]) => def && def["x-sweepable"] === true)
    .map(([name]) => name);
}
