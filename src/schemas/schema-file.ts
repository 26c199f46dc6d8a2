/**
 * A hyperparameter schema kept in its own JSON file (model.yaml's hyperparameters_schema, or a simple manifest's
 * model.hyperparameters_schema). Read with bounds, and errors never echo the file's content (a path pointed at
 * a private file must not leak it through a JSON parse message).
 */
import { readFileSync, statSync } from "node:fs";

export const MAX_SCHEMA_FILE_BYTES = 1024 * 1024;

export type SchemaFileResult = { ok: true; schema: Record<string, unknown> } | { ok: false; reason: string };

export function readSchemaFile(path: string): SchemaFileResult {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return { ok: false, reason: `${path} is not a regular file` };
    size = stat.size;
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    return { ok: false, reason: code === "ENOENT" ? `${path} does not exist` : `${path} cannot be read (${code || "error"})` };
  }
  if (size > MAX_SCHEMA_FILE_BYTES) return { ok: false, reason: `${path} is ${size} bytes; a hyperparameter schema is at most ${MAX_SCHEMA_FILE_BYTES}` };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    return { ok: false, reason: `${path} cannot be read (${code || "error"})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    return { ok: false, reason: `${path} is not valid JSON${position !== undefined ? ` (at character ${position})` : ""}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { ok: false, reason: `${path} must be a JSON object (a JSON Schema)` };
  return { ok: true, schema: value as Record<string, unknown> };
}
