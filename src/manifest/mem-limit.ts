/** Docker-style memory sizes: "512m", "4g", "1.5g", "100k", "2Gi", "1024" (bytes). */
import { Errors } from "../domain/errors.js";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function parseMemLimit(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value <= 0) throw Errors.schema(`mem_limit must be a positive number of bytes, got ${value}`);
    return value;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value) ?? /^\s*(\d+(?:\.\d+)?)\s*(b)\s*$/i.exec(value);
  if (!match) throw Errors.schema(`mem_limit "${value}" is not a size: use e.g. 512m, 4g, 1.5g or a number of bytes`);
  const bytes = Math.round(Number(match[1]) * UNITS[(match[2] ?? "").toLowerCase()]!);
  if (bytes < 4 * 1024 * 1024) throw Errors.schema(`mem_limit "${value}" is below the 4 MiB a container engine accepts`);
  return bytes;
}

export function formatMemLimit(bytes: number): string {
  for (const [unit, size] of [["g", 1024 ** 3], ["m", 1024 ** 2], ["k", 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
