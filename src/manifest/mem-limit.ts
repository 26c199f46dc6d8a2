/** Docker-style memory sizes: "512m", "4g", "1.5g", "100k", "2Gi", "1024" (bytes). Units are powers of 1024. */
import { Errors } from "../domain/errors.js";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
/** Docker refuses limits below 6 MiB on current engines and 4 MiB on old ones; below 4 MiB nothing can start. */
const MINIMUM = 4 * 1024 * 1024;

export function parseMemLimit(value: string | number): number {
  let bytes: number;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value <= 0) throw Errors.schema(`mem_limit must be a positive whole number of bytes, got ${value}`);
    bytes = value;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])i?)?b?\s*$/i.exec(value);
    if (!match) throw Errors.schema(`mem_limit ${JSON.stringify(value)} is not a size: use e.g. 512m, 4g, 1.5g or a number of bytes`);
    bytes = Math.round(Number(match[1]) * UNITS[(match[2] ?? "").toLowerCase()]!);
    if (!Number.isSafeInteger(bytes)) throw Errors.schema(`mem_limit ${JSON.stringify(value)} is too large`);
  }
  if (bytes < MINIMUM) throw Errors.schema(`mem_limit ${JSON.stringify(value)} is below the 4 MiB a container engine accepts`);
  return bytes;
}

/** The shortest exact Docker-style spelling: 2147483648 -> "2g", 1610612736 -> "1536m". */
export function formatMemLimit(bytes: number): string {
  for (const [unit, size] of [["g", 1024 ** 3], ["m", 1024 ** 2], ["k", 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
