/** Worker thread entry: one HDF5 read in a WebAssembly instance of its own, thrown away afterwards. */
import { parentPort, workerData } from "node:worker_threads";
import { readH5muSummaryInThread } from "./read-h5mu.js";
import { readLatentInThread } from "./read-latent.js";
import { serializeError, type H5Request, type H5Response } from "./worker-protocol.js";

async function handle(request: H5Request): Promise<unknown> {
  if (request.op === "h5mu-summary") return readH5muSummaryInThread(request.path);
  return readLatentInThread(request.path, request.options);
}

let response: H5Response;
try {
  response = { ok: true, result: await handle(workerData as H5Request) };
} catch (error) {
  response = { ok: false, error: serializeError(error) };
}
parentPort?.postMessage(response);
