/**
 * Reads of files that may be damaged or hostile (datasets from users, embeddings from model containers) run in
 * an HDF5 worker thread (reader-pool.ts): an abort inside WebAssembly takes that worker down, never the caller,
 * and long scans of a large latent do not block the caller's event loop.
 */
import { Errors, isMultiverseError } from "../domain/errors.js";
import type { H5muSummary } from "./read-h5mu.js";
import type { LatentSummary, ReadLatentOptions } from "./read-latent.js";
import { CorruptHdf5Error, NotSelfContainedError } from "./h5-errors.js";
import { H5ReaderPool } from "./reader-pool.js";
import { deserializeError, type H5Request } from "./worker-protocol.js";

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

let shared: H5ReaderPool | undefined;

/** The process-wide pool of HDF5 workers. */
export function h5ReaderPool(): H5ReaderPool {
  shared ??= new H5ReaderPool();
  return shared;
}

interface ReadOptions {
  timeoutMs?: number;
  /** Another pool than the shared one (benches compare a fresh pool per read with a reused one). */
  pool?: H5ReaderPool;
}

async function runInWorker(request: H5Request, options: ReadOptions): Promise<unknown> {
  const response = await (options.pool ?? h5ReaderPool()).run(request, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (response.ok) return response.result;
  throw deserializeError(response.error);
}

/** Modalities, cells, features, obs names and columns of a .h5mu; Errors.badDataset naming the file and the problem. */
export async function readH5muSummary(path: string, options: ReadOptions = {}): Promise<H5muSummary> {
  try {
    return (await runInWorker({ op: "h5mu-summary", path }, options)) as H5muSummary;
  } catch (error) {
    if (isMultiverseError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw Errors.badDataset(`${path} cannot be read as MuData: ${reason}`, { location: { file: path } });
  }
}

/**
 * Top-level dataset names, shape and dtype of `latent` (or `name`), and NaN/Inf count when asked (scanned in row
 * blocks). A file that is not readable HDF5 is a CorruptHdf5Error; one that refers to other files (external
 * links, virtual or externally stored datasets) a NotSelfContainedError naming the object.
 */
export async function readLatent(path: string, options: ReadLatentOptions & ReadOptions): Promise<LatentSummary> {
  const { timeoutMs, pool, ...readOptions } = options;
  try {
    return (await runInWorker({ op: "latent", path, options: readOptions }, { timeoutMs, pool })) as LatentSummary;
  } catch (error) {
    if (error instanceof CorruptHdf5Error || error instanceof NotSelfContainedError) throw error;
    throw new CorruptHdf5Error(error instanceof Error ? error.message : String(error));
  }
}
