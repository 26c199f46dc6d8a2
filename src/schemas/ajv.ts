/** One configured ajv instance: draft 2020-12, all errors, `x-` annotation keywords allowed. */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { JsonSchema } from "./resources.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

function create(useDefaults: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults, allowUnionTypes: true, verbose: true });
  addFormats(ajv);
  for (const keyword of ["x-sweepable", "x-description", "x-unit"]) ajv.addKeyword({ keyword, schemaType: ["boolean", "string", "number", "object"] });
  return ajv;
}

interface Compiler {
  ajv: Ajv2020;
  byObject: WeakMap<JsonSchema, ValidateFunction>;
  /**
   * Model schemas are re-read from disk as new objects on every catalog listing: keyed by content, each distinct
   * schema is compiled once (ajv itself keeps every compiled object forever and refuses a second schema with the
   * same `$id`).
   */
  byContent: Map<string, ValidateFunction>;
}

const compilers = new Map<boolean, Compiler>();

function compiler(useDefaults: boolean): Compiler {
  let entry = compilers.get(useDefaults);
  if (!entry) {
    entry = { ajv: create(useDefaults), byObject: new WeakMap(), byContent: new Map() };
    compilers.set(useDefaults, entry);
  }
  return entry;
}

export function compile(schema: JsonSchema, options: { useDefaults?: boolean } = {}): ValidateFunction {
  const { ajv, byObject, byContent } = compiler(options.useDefaults === true);
  const known = byObject.get(schema);
  if (known) return known;
  const key = JSON.stringify(schema);
  let fn = byContent.get(key);
  if (!fn) {
    // a changed schema that keeps its `$id` replaces the earlier one
    if (typeof schema.$id === "string" && ajv.getSchema(schema.$id)) ajv.removeSchema(schema.$id);
    fn = ajv.compile(schema);
    byContent.set(key, fn);
  }
  byObject.set(schema, fn);
  return fn;
}

export type { ErrorObject };
