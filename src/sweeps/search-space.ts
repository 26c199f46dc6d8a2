/**
 * A sweep's search space checked against the model's hyperparameter schema (pure). Only fields the schema marks
 * `x-sweepable: true` may be swept; every dimension must sample values the schema accepts (its type, its
 * minimum/maximum, its enum), so a trial can never be refused after Optuna chose it. The result is the normalised
 * space that becomes Optuna distributions (IntDistribution, FloatDistribution, CategoricalDistribution).
 */
import { Errors, type MultiverseError } from "../domain/errors.js";
import type { SearchDimensionSpec } from "../domain/resources.js";
import { compile } from "../schemas/ajv.js";
import { suggest, type SchemaIssue } from "../schemas/error-messages.js";
import { sweepableFields } from "../schemas/hyperparameters.js";
import type { JsonSchema } from "../schemas/resources.js";

export type CategoricalChoice = string | number | boolean | null;

export type Dimension =
  | { type: "int"; low: number; high: number; step: number; log: boolean }
  | { type: "float"; low: number; high: number; step?: number; log: boolean }
  | { type: "categorical"; choices: CategoricalChoice[] };

/** Normalised search space, keys sorted (so that its JSON is canonical). */
export type SearchSpace = Record<string, Dimension>;

export interface SearchSpaceContext {
  /** e.g. `jobs[0] (pca-sweep)`, for messages. */
  job: string;
  /** e.g. `jobs[0].search_space`, the field prefix of every issue. */
  field: string;
  model: string;
  file?: string;
}

type PropertySchema = Record<string, unknown>;

function typesOf(def: PropertySchema): string[] {
  if (typeof def.type === "string") return [def.type];
  if (Array.isArray(def.type)) return def.type.filter((t): t is string => typeof t === "string");
  const values = Array.isArray(def.enum) ? def.enum : def.const !== undefined ? [def.const] : [];
  return [...new Set(values.map((v) => (v === null ? "null" : Number.isInteger(v) ? "integer" : typeof v)))];
}

function describeType(def: PropertySchema): string {
  const types = typesOf(def);
  if (Array.isArray(def.enum)) return `one of ${def.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  return types.length > 0 ? types.join(" or ") : "any value";
}

/** The schema's numeric range of a property, as text ("2..200", ">= 0"), or undefined when it has none. */
function rangeText(def: PropertySchema): string | undefined {
  const lower = typeof def.minimum === "number" ? `${def.minimum}` : typeof def.exclusiveMinimum === "number" ? `>${def.exclusiveMinimum}` : undefined;
  const upper = typeof def.maximum === "number" ? `${def.maximum}` : typeof def.exclusiveMaximum === "number" ? `<${def.exclusiveMaximum}` : undefined;
  if (lower && upper) return `${lower}..${upper}`;
  if (lower) return `>= ${lower}`;
  if (upper) return `<= ${upper}`;
  return undefined;
}

function boundIssue(def: PropertySchema, value: number, bound: "low" | "high"): string | undefined {
  const range = rangeText(def);
  const inRange = `the schema allows ${range ?? "(no range)"}`;
  if (typeof def.minimum === "number" && value < def.minimum) return `${bound} ${value} is below the schema's minimum ${def.minimum} (${inRange})`;
  if (typeof def.exclusiveMinimum === "number" && value <= def.exclusiveMinimum) return `${bound} ${value} must be above the schema's exclusiveMinimum ${def.exclusiveMinimum} (${inRange})`;
  if (typeof def.maximum === "number" && value > def.maximum) return `${bound} ${value} is above the schema's maximum ${def.maximum} (${inRange})`;
  if (typeof def.exclusiveMaximum === "number" && value >= def.exclusiveMaximum) return `${bound} ${value} must be below the schema's exclusiveMaximum ${def.exclusiveMaximum} (${inRange})`;
  return undefined;
}

/** Whether the property's own schema accepts a value (type, enum, multipleOf, ...). */
function accepts(def: PropertySchema, value: unknown): boolean {
  return compile(def as JsonSchema)(value) === true;
}

interface Checked {
  dimension?: Dimension;
  issues: SchemaIssue[];
}

function checkRange(name: string, spec: SearchDimensionSpec, def: PropertySchema, at: string, path: (string | number)[]): Checked {
  const issues: SchemaIssue[] = [];
  const push = (key: string | undefined, message: string) =>
    issues.push({ path: key ? [...path, key] : path, field: key ? `${at}.${key}` : at, message });
  const isInt = spec.type === "int";
  const log = spec.type === "loguniform" ? true : spec.log === true;
  if (spec.type === "loguniform" && spec.log === false) push("log", "type loguniform samples on a log scale; remove log: false or use type float");
  if (spec.choices !== undefined) push("choices", `choices belong to type categorical, not ${spec.type}`);
  if (spec.low === undefined || spec.high === undefined) {
    push(undefined, `type ${spec.type} needs low and high`);
    return { issues };
  }
  const { low, high } = spec;
  const types = typesOf(def);
  if (isInt && !types.includes("integer") && !types.includes("number")) {
    push("type", `"${name}" is ${describeType(def)} in the model's schema; an int range cannot sample it (use type: categorical)`);
    return { issues };
  }
  if (!isInt && !types.includes("number")) {
    const hint = types.includes("integer") ? " (it is an integer: use type: int)" : " (use type: categorical)";
    push("type", `"${name}" is ${describeType(def)} in the model's schema; a ${spec.type} range cannot sample it${hint}`);
    return { issues };
  }
  if (isInt && !Number.isInteger(low)) push("low", `low must be an integer for type int, got ${low}`);
  if (isInt && !Number.isInteger(high)) push("high", `high must be an integer for type int, got ${high}`);
  if (low > high) push("high", `high ${high} is below low ${low}`);
  if (log && isInt && low < 1) push("low", `a log-scaled int range needs low >= 1, got ${low}`);
  if (log && !isInt && low <= 0) push("low", `a log-scaled range needs low > 0, got ${low}`);
  const step = spec.step ?? (isInt ? 1 : undefined);
  if (step !== undefined) {
    if (isInt && !Number.isInteger(step)) push("step", `step must be an integer for type int, got ${step}`);
    if (log && step !== 1) push("step", "a log-scaled range cannot have a step (Optuna samples it continuously)");
    else if (!log && issues.length === 0) {
      const intervals = (high - low) / step;
      if (Math.abs(intervals - Math.round(intervals)) > 1e-9) push("high", `high - low (${high - low}) is not a multiple of step ${step}`);
    }
  }
  if (issues.length > 0) return { issues };
  for (const [bound, value] of [["low", low], ["high", high]] as const) {
    const outside = boundIssue(def, value, bound);
    if (outside) push(bound, `${outside}`);
    else if (!accepts(def, value)) push(bound, `${bound} ${value} is not a value "${name}" accepts (${describeType(def)}${rangeText(def) ? `, ${rangeText(def)}` : ""})`);
  }
  if (issues.length > 0) return { issues };
  const dimension: Dimension = isInt
    ? { type: "int", low, high, step: step ?? 1, log }
    : { type: "float", low, high, log, ...(step !== undefined ? { step } : {}) };
  return { dimension, issues };
}

function checkCategorical(name: string, spec: SearchDimensionSpec, def: PropertySchema, at: string, path: (string | number)[]): Checked {
  const issues: SchemaIssue[] = [];
  for (const key of ["low", "high", "step", "log"] as const) {
    if (spec[key] !== undefined) issues.push({ path: [...path, key], field: `${at}.${key}`, message: `${key} belongs to a range (type int or float), not to type categorical` });
  }
  const choices = spec.choices;
  if (!choices || choices.length === 0) {
    issues.push({ path, field: at, message: "type categorical needs a non-empty list of choices" });
    return { issues };
  }
  const seen = new Set<string>();
  choices.forEach((choice, i) => {
    const where = { path: [...path, "choices", i], field: `${at}.choices[${i}]` };
    if (choice !== null && !["string", "number", "boolean"].includes(typeof choice)) {
      issues.push({ ...where, message: `a choice must be a string, number, boolean or null (Optuna's categorical values), got ${Array.isArray(choice) ? "a list" : typeof choice}` });
      return;
    }
    const key = JSON.stringify(choice);
    if (seen.has(key)) issues.push({ ...where, message: `choice ${key} is listed twice` });
    seen.add(key);
    if (!accepts(def, choice)) issues.push({ ...where, message: `${key} is not a value "${name}" accepts (${describeType(def)}${rangeText(def) ? `, ${rangeText(def)}` : ""})` });
  });
  if (issues.length > 0) return { issues };
  return { dimension: { type: "categorical", choices: choices as CategoricalChoice[] }, issues };
}

/** All problems of a declared search space, in declaration order; empty when it is valid. */
export function searchSpaceIssues(
  declared: Record<string, SearchDimensionSpec>,
  schema: JsonSchema,
  fixedParams: Record<string, unknown>,
  ctx: Pick<SearchSpaceContext, "field" | "model">,
): { space: SearchSpace; issues: SchemaIssue[] } {
  const issues: SchemaIssue[] = [];
  const space: SearchSpace = {};
  const properties = (schema.properties ?? {}) as Record<string, PropertySchema>;
  const declaredNames = Object.keys(properties);
  const sweepable = sweepableFields(schema);
  const names = Object.keys(declared);
  if (names.length === 0) issues.push({ path: [], field: ctx.field, message: "the search space is empty: name at least one x-sweepable hyperparameter" });
  for (const name of names) {
    const at = `${ctx.field}.${name}`;
    const path = [name];
    const def = properties[name];
    if (!def) {
      const hint = suggest(name, declaredNames);
      issues.push({ path, field: at, message: `unknown hyperparameter "${name}" of model ${ctx.model}${hint ? ` (did you mean "${hint}"?)` : ""}; sweepable: ${sweepable.join(", ") || "(none)"}` });
      continue;
    }
    if (!sweepable.includes(name)) {
      issues.push({
        path,
        field: at,
        message: `"${name}" is not sweepable: model ${ctx.model}'s hyperparameter schema does not mark it x-sweepable; sweepable: ${sweepable.join(", ") || "(none)"}`,
      });
      continue;
    }
    if (name in fixedParams) {
      issues.push({ path, field: at, message: `"${name}" is both fixed in model_params and swept in search_space; keep it in one of them` });
      continue;
    }
    const spec = declared[name]!;
    const checked = spec.type === "categorical" ? checkCategorical(name, spec, def, at, path) : checkRange(name, spec, def, at, path);
    issues.push(...checked.issues);
    if (checked.dimension) space[name] = checked.dimension;
  }
  const sorted: SearchSpace = {};
  for (const name of Object.keys(space).sort()) sorted[name] = space[name]!;
  return { space: sorted, issues };
}

/** The checked search space, or a MultiverseError (exit 2) naming the file and the first offending field. */
export function checkSearchSpace(
  declared: Record<string, SearchDimensionSpec>,
  schema: JsonSchema,
  fixedParams: Record<string, unknown>,
  ctx: SearchSpaceContext,
): SearchSpace {
  const { space, issues } = searchSpaceIssues(declared, schema, fixedParams, ctx);
  const [first, ...rest] = issues;
  if (first) throw searchSpaceError(first, rest, ctx);
  return space;
}

function searchSpaceError(first: SchemaIssue, rest: SchemaIssue[], ctx: SearchSpaceContext): MultiverseError {
  return Errors.hyperparameters(`${ctx.job} model ${ctx.model}: ${first.message}`, {
    location: { file: ctx.file, field: first.field },
    details: rest.map((i) => `${i.field}: ${i.message}`),
  });
}

/** Whether a value lies in a dimension (a trial's parameter read back from a study, e.g. after a resume). */
export function withinDimension(dimension: Dimension, value: unknown): boolean {
  if (dimension.type === "categorical") return dimension.choices.some((c) => c === value);
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  if (dimension.type === "int" && !Number.isInteger(value)) return false;
  return value >= dimension.low && value <= dimension.high;
}
