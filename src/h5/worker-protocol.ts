/** Messages between isolated.ts and h5-worker.ts; errors cross the thread boundary as plain data. */
import { MultiverseError, type ErrorLocation } from "../domain/errors.js";
import { CorruptHdf5Error, NotSelfContainedError } from "./h5-errors.js";
import type { ReadLatentOptions } from "./read-latent.js";

export type H5Request = { op: "h5mu-summary"; path: string } | { op: "latent"; path: string; options: ReadLatentOptions };

/** One request to the long-lived worker, and its answer; `recycle` asks the pool for a fresh worker next time. */
export interface H5Envelope {
  id: number;
  request: H5Request;
}
export type H5Reply = { id: number; recycle: boolean; response: H5Response };

export type SerializedError =
  | { kind: "multiverse"; code: string; message: string; exitCode: number; location: ErrorLocation; details: string[] }
  | { kind: "corrupt"; message: string }
  | { kind: "not-self-contained"; objectPath: string; message: string }
  | { kind: "other"; message: string };

export type H5Response = { ok: true; result: unknown } | { ok: false; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof MultiverseError) {
    return { kind: "multiverse", code: error.code, message: error.message, exitCode: error.exitCode, location: error.location, details: error.details };
  }
  if (error instanceof CorruptHdf5Error) return { kind: "corrupt", message: error.message };
  if (error instanceof NotSelfContainedError) return { kind: "not-self-contained", objectPath: error.objectPath, message: error.message };
  return { kind: "other", message: error instanceof Error ? error.message : String(error) };
}

/** MultiverseError and CorruptHdf5Error come back as themselves; anything else as a plain Error. */
export function deserializeError(error: SerializedError): Error {
  if (error.kind === "multiverse") return new MultiverseError(error.code, error.message, { exitCode: error.exitCode, location: error.location, details: error.details });
  if (error.kind === "corrupt") return new CorruptHdf5Error(error.message);
  if (error.kind === "not-self-contained") return new NotSelfContainedError(error.objectPath, error.message);
  return new Error(error.message);
}
