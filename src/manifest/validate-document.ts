/** Schema validation of one YAML document; every issue carries file, line, column and field. */
import { Errors, type MultiverseError } from "../domain/errors.js";
import { compile } from "../schemas/ajv.js";
import { issuesFromAjv } from "../schemas/error-messages.js";
import type { JsonSchema } from "../schemas/resources.js";
import { locate, type LoadedDocument } from "./yaml-documents.js";

export function validateDocument(doc: LoadedDocument, schema: JsonSchema, what: string): void {
  const validate = compile(schema);
  if (validate(doc.value)) return;
  const issues = issuesFromAjv(validate.errors, doc.value);
  const located = issues.map((issue) => ({ ...issue, ...locate(doc, issue.path) })).sort((a, b) => a.line - b.line || a.column - b.column);
  const first = located[0]!;
  throw Errors.schema(`${first.message}${located.length > 1 ? ` (and ${located.length - 1} more problem${located.length > 2 ? "s" : ""} in this ${what})` : ""}`, {
    location: { file: doc.file, line: first.line, column: first.column, field: first.field },
    details: located.slice(1).map((i) => `${doc.file}:${i.line}:${i.column}: ${i.field}: ${i.message}`),
  });
}

export function fieldError(doc: LoadedDocument, path: (string | number)[], field: string, message: string): MultiverseError {
  const { line, column } = locate(doc, path);
  return Errors.schema(message, { location: { file: doc.file, line, column, field } });
}
