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

const plain = create(false);
const withDefaults = create(true);
const cache = new WeakMap<JsonSchema, ValidateFunction>();
const defaultsCache = new WeakMap<JsonSchema, ValidateFunction>();

export function compile(schema: JsonSchema, options: { useDefaults?: boolean } = {}): ValidateFunction {
  const store = options.useDefaults ? defaultsCache : cache;
  let fn = store.get(schema);
  if (!fn) {
    fn = (options.useDefaults ? withDefaults : plain).compile(schema);
    store.set(schema, fn);
  }
  return fn;
}

export type { ErrorObject };
