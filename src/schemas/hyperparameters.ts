/**
 * Hyperparameters are validated against the model's JSON Schema with its defaults applied (the original never
 * validated them). Keys a schema does not declare are refused; an empty schema `{}` accepts anything.
 */
import { Errors } from "../domain/errors.js";
import { compile } from "./ajv.js";
import { issuesFromAjv, suggest } from "./error-messages.js";
import type { JsonSchema } from "./resources.js";

export interface HyperparameterContext {
  model: string;
  job: string;
  file?: string;
  line?: number;
}

function declaredProperties(schema: JsonSchema): string[] | undefined {
  const props = schema.properties;
  return props && typeof props === "object" ? Object.keys(props) : undefined;
}

export function resolveHyperparameters(schema: JsonSchema, params: Record<string, unknown>, where: HyperparameterContext): Record<string, unknown> {
  const location = { file: where.file, line: where.line, field: "model_params" };
  if (!schema || Object.keys(schema).length === 0) return structuredClone(params);
  const declared = declaredProperties(schema);
  if (declared) {
    const unknown = Object.keys(params).filter((k) => !declared.includes(k));
    if (unknown.length > 0) {
      const key = unknown[0]!;
      const hint = suggest(key, declared);
      throw Errors.hyperparameters(
        `${where.job} model ${where.model}: unknown hyperparameter "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}; the model accepts: ${declared.join(", ")}`,
        { location: { ...location, field: `model_params.${key}` } },
      );
    }
  }
  const resolved = structuredClone(params);
  const validate = compile({ ...schema, type: schema.type ?? "object" }, { useDefaults: true });
  if (!validate(resolved)) {
    const issues = issuesFromAjv(validate.errors, resolved);
    const first = issues[0]!;
    throw Errors.hyperparameters(`${where.job} model ${where.model}: ${first.field}: ${first.message}`, {
      location: { ...location, field: `model_params.${first.field}` },
      details: issues.slice(1).map((i) => `${i.field}: ${i.message}`),
    });
  }
  return resolved;
}

/** Fields a sweep may vary: those the schema marks `x-sweepable: true`. */
export function sweepableFields(schema: JsonSchema): string[] {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(props)
    .filter(([, def]) => def && def["x-sweepable"] === true)
    .map(([name]) => name);
}
