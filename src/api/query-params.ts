/**
 * Query parameters as written, checked before Ajv coerces them (a preValidation hook, against the route's own
 * schema, so each route declares its parameters once): every declared parameter at most once, and integers in
 * decimal digits within the declared range. Ajv's coercion would take "1e2", "0x10", " " or "+5" for numbers and
 * pass 1e20 on to SQLite (a 500 "datatype mismatch"), and call a repeated parameter "must be string".
 */
import type { FastifyRequest } from "fastify";
import { Errors } from "../domain/errors.js";

interface QueryProperty {
  type?: unknown;
  minimum?: number;
  maximum?: number;
}

const DIGITS = /^(0|-?[1-9][0-9]*)$/;

function isInteger(property: QueryProperty): boolean {
  return property.type === "integer" || (Array.isArray(property.type) && property.type.includes("integer"));
}

function shown(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

/** The problems of the parameters of `query` under `schema` ("querystring.limit: expected ..."). */
export function queryProblems(schema: unknown, query: unknown, context = "querystring"): string[] {
  if (typeof schema !== "object" || schema === null || typeof query !== "object" || query === null) return [];
  const properties = (schema as { properties?: Record<string, QueryProperty> }).properties ?? {};
  const given = query as Record<string, unknown>;
  const problems: string[] = [];
  for (const [name, property] of Object.entries(properties)) {
    if (!Object.hasOwn(given, name)) continue;
    const raw = given[name];
    if (Array.isArray(raw) && property.type !== "array") {
      problems.push(`${context}.${name}: given ${raw.length} times; give it once`);
      continue;
    }
    if (!isInteger(property)) continue;
    const minimum = property.minimum ?? Number.MIN_SAFE_INTEGER;
    const maximum = Math.min(property.maximum ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const expected = `expected an integer from ${minimum} to ${maximum} in decimal digits`;
    if (typeof raw === "string" && (!DIGITS.test(raw) || Number(raw) < minimum || Number(raw) > maximum)) {
      problems.push(`${context}.${name}: ${expected}, got ${shown(raw)}`);
    }
  }
  return problems;
}

/** preValidation hook: a 400 naming every parameter given twice and every integer that is not one. */
export async function checkQuery(request: FastifyRequest): Promise<void> {
  const problems = queryProblems(request.routeOptions.schema?.querystring, request.query);
  if (problems.length > 0) throw Errors.badRequest(problems[0]!, { details: problems });
}
