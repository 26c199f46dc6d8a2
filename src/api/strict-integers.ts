/**
 * Integer query parameters as written: decimal digits, once, within the declared range. Ajv's coercion would take
 * "1e2", "0x10", " " or "+5" for numbers and pass 1e20 on to SQLite (a 500 "datatype mismatch"); this check runs
 * before it (a preValidation hook) against the same schema, so each route declares its integers once.
 */
import type { FastifyRequest } from "fastify";
import { Errors } from "../domain/errors.js";

interface IntegerProperty {
  type?: unknown;
  minimum?: number;
  maximum?: number;
}

const DIGITS = /^(0|-?[1-9][0-9]*)$/;

function isInteger(property: IntegerProperty): boolean {
  return property.type === "integer" || (Array.isArray(property.type) && property.type.includes("integer"));
}

function shown(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

/** The problems of the integer parameters of `query` under `schema` ("querystring.limit: expected ..."). */
export function integerProblems(schema: unknown, query: unknown, context = "querystring"): string[] {
  if (typeof schema !== "object" || schema === null || typeof query !== "object" || query === null) return [];
  const properties = (schema as { properties?: Record<string, IntegerProperty> }).properties ?? {};
  const given = query as Record<string, unknown>;
  const problems: string[] = [];
  for (const [name, property] of Object.entries(properties)) {
    if (!isInteger(property) || !Object.hasOwn(given, name)) continue;
    const raw = given[name];
    const minimum = property.minimum ?? Number.MIN_SAFE_INTEGER;
    const maximum = Math.min(property.maximum ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const expected = `expected an integer from ${minimum} to ${maximum} in decimal digits`;
    if (Array.isArray(raw)) {
      problems.push(`${context}.${name}: given ${raw.length} times; give it once`);
    } else if (typeof raw === "string" && (!DIGITS.test(raw) || Number(raw) < minimum || Number(raw) > maximum)) {
      problems.push(`${context}.${name}: ${expected}, got ${shown(raw)}`);
    }
  }
  return problems;
}

/** preValidation hook: a 400 naming every integer parameter that is not one. */
export async function checkIntegerQuery(request: FastifyRequest): Promise<void> {
  const problems = integerProblems(request.routeOptions.schema?.querystring, request.query);
  if (problems.length > 0) throw Errors.badRequest(problems[0]!, { details: problems });
}
