/**
 * Opaque page cursors for GET /api/v1/runs: the last run's position in the listing order, base64url-encoded JSON.
 * Keyset paging reads the next page from the listing index directly, however deep it is (an offset is read past).
 */
import type { RunCursor, RunRow } from "../index/run-index.js";
import { Errors, type MultiverseError } from "../domain/errors.js";

export function encodeCursor(run: Pick<RunRow, "benchmark" | "jobName" | "seed" | "runId">): string {
  return Buffer.from(JSON.stringify([run.benchmark, run.jobName, run.seed, run.runId]), "utf8").toString("base64url");
}

/** The position a cursor names; a 400 naming the parameter when it is not one of ours. */
export function decodeCursor(text: string): RunCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== 4) throw badCursor();
  const [benchmark, jobName, seed, runId] = value as unknown[];
  if (typeof benchmark !== "string" || typeof jobName !== "string" || !Number.isSafeInteger(seed) || typeof runId !== "string") throw badCursor();
  return { benchmark, jobName, seed: seed as number, runId };
}

function badCursor(): MultiverseError {
  return Errors.badRequest("querystring.cursor: not a cursor returned by this API (use nextCursor from a previous page)");
}
