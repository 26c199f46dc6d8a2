/** Schema validation of one YAML document; every issue carries file, line, column and field. */
import { Errors, type MultiverseError } from "../domain/errors.js";
import { compile } from "../schemas/ajv.js";
import { issuesFromAjv, type SchemaIssue } from "../schemas/error-messages.js";
import type { JsonSchema } from "../schemas/resources.js";
import { locate, type LoadedDocument } from "./yaml-documents.js";

export type { SchemaIssue };

/** Problems of a file found one by one (after schema validation); thrown together by `throwIssues`. */
export type IssueList = SchemaIssue[];

export function validateDocument(doc: LoadedDocument, schema: JsonSchema, what: string): void {
  const validate = compile(schema);
  if (validate(doc.value)) return;
  throwIssues(doc, issuesFromAjv(validate.errors, doc.value), what);
}

/** One error for all the issues of a document: the first (in file order) as the message, the others as details. */
export function throwIssues(doc: LoadedDocument, issues: SchemaIssue[], what: string): void {
  if (issues.length === 0) return;
  const located = issues.map((issue) => ({ ...issue, ...locate(doc, issue.path) })).sort((a, b) => a.line - b.line || a.column - b.column);
  const first = located[0]!;
  const more = located.length - 1;
  throw Errors.schema(`${first.message}${more > 0 ? ` (and ${more} more problem${more > 1 ? "s" : ""} in this ${what})` : ""}`, {
    location: { file: doc.file, line: first.line, column: first.column, field: first.field },
    details: located.slice(1).map((i) => `${doc.file}:${i.line}:${i.column}: ${i.field}: ${i.message}`),
  });
}

export function fieldError(doc: LoadedDocument, path: (string | number)[], field: string, message: string): MultiverseError {
  const { line, column } = locate(doc, path);
  return Errors.schema(message, { location: { file: doc.file, line, column, field } });
}
