/** `-o json|yaml|wide|table` for list and describe commands. */
import { stringify } from "yaml";
import { json } from "./output.js";

export type OutputFormat = "json" | "yaml" | "wide" | "table" | "text";
export const LIST_FORMATS = ["table", "wide", "json", "yaml"] as const;

/** Structured output, or undefined when the caller prints its own table/text. */
export function structured(format: OutputFormat | undefined, value: unknown): string | undefined {
  if (format === "json") return json(value);
  if (format === "yaml") return stringify(value).trimEnd();
  return undefined;
}
