/** `-o json|yaml|wide|table` for list and describe commands. */
import { createRequire } from "node:module";
import type { stringify as yamlStringify } from "yaml";
import { json } from "./output.js";

export type OutputFormat = "json" | "yaml" | "wide" | "table" | "text";
export const LIST_FORMATS = ["table", "wide", "json", "yaml"] as const;

// The YAML library is loaded on the first `-o yaml` only: most listings are tables, and the CLI starts faster without it.
const require = createRequire(import.meta.url);
let stringify: typeof yamlStringify | undefined;

/** Structured output, or undefined when the caller prints its own table/text. */
export function structured(format: OutputFormat | undefined, value: unknown): string | undefined {
  if (format === "json") return json(value);
  if (format === "yaml") {
    stringify ??= (require("yaml") as { stringify: typeof yamlStringify }).stringify;
    return stringify(value).trimEnd();
  }
  return undefined;
}
