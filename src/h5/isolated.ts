/**
 * Reads of files that may be damaged or hostile (datasets from users, embeddings from model containers) run in
 * a worker thread with its own h5wasm instance. A corrupt file can make HDF5 abort inside WebAssembly; after
 * that the instance's state is unreliable (later damaged files abort where they would have given a clean
 * error) and Emscripten prints on stderr. A fresh worker per read contains both, and long scans of a large
 * latent do not block the caller's event loop.
 */
import { Worker } from "node:worker_threads";
import { Errors, isMultiverseError } from "../domain/errors.js";
import type { H5muSummary } from "./read-h5mu.js";
import { CorruptHdf5Error, type LatentSummary, type ReadLatentOptions } from "./read-latent.js";
import { deserializeError, type H5Request, type H5Response } from "./worker-protocol.js";

const WORKER_URL = new URL("./h5-worker.js", import.meta.url);
/** Two cores on the reference machine: more concurrent readers only compete for them. */
const MAX_WORKERS = 2;
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
const STDERR_KEEP = 2000;

let running = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<() => void> {
  if (running >= MAX_WORKERS) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  return () => {
    running -= 1;
    waiting.shift()?.();
  };
}

class WorkerCrash extends Error {}

async function runInWorker(request: H5Request, timeoutMs: number): Promise<unknown> {
  const release = await slot();
  try {
    const response = await new Promise<H5Response>((resolve, reject) => {
      const worker = new Worker(WORKER_URL, { workerData: request, stdout: true, stderr: true, execArgv: [] });
      let stderr = "";
      worker.stdout.resume();
      worker.stderr.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_KEEP);
      });
      let settled = false;
      const finish = (action: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        action();
      };
      const timer = setTimeout(() => finish(() => reject(new WorkerCrash(`reading took longer than ${Math.round(timeoutMs / 1000)} s`))), timeoutMs);
      worker.on("message", (message: H5Response) => finish(() => resolve(message)));
      worker.on("error", (error) => finish(() => reject(new WorkerCrash(`the HDF5 reader crashed: ${error.message}`))));
      worker.on("exit", (code) => {
        const tail = stderr.trim().split("\n").slice(-1)[0];
        finish(() => reject(new WorkerCrash(`the HDF5 reader stopped (exit ${code})${tail ? `: ${tail}` : ""}`)));
      });
    });
    if (response.ok) return response.result;
    throw deserializeError(response.error);
  } finally {
    release();
  }
}

/** Modalities, cells, features, obs names and columns of a .h5mu; Errors.badDataset naming the file and the problem. */
export async function readH5muSummary(path: string, options: { timeoutMs?: number } = {}): Promise<H5muSummary> {
  try {
    return (await runInWorker({ op: "h5mu-summary", path }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)) as H5muSummary;
  } catch (error) {
    if (isMultiverseError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw Errors.badDataset(`${path} cannot be read as MuData: ${reason}`, { location: { file: path } });
  }
}

/**
 * Top-level dataset names, shape and dtype of `latent` (or `name`), and NaN/Inf count when asked (scanned in row
 * blocks). A file that is not readable HDF5 is a CorruptHdf5Error.
 */
export async function readLatent(path: string, options: ReadLatentOptions & { timeoutMs?: number }): Promise<LatentSummary> {
  const { timeoutMs, ...readOptions } = options;
  try {
    return (await runInWorker({ op: "latent", path, options: readOptions }, timeoutMs ?? DEFAULT_TIMEOUT_MS)) as LatentSummary;
  } catch (error) {
    if (error instanceof CorruptHdf5Error) throw error;
    throw new CorruptHdf5Error(error instanceof Error ? error.message : String(error));
  }
}
