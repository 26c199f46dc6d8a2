/**
 * The HDF5 worker thread: one h5wasm instance, kept across reads, answering one request at a time. Every read is
 * confined to its own file (file-jail.ts). After a failed read the worker asks to be replaced: HDF5 may have
 * aborted inside WebAssembly, and an instance that aborted once is not trusted with the next file.
 */
import "./quiet-stdio.js";
import { parentPort } from "node:worker_threads";
import { confineTo } from "./file-jail.js";
import { readH5muSummaryInThread } from "./read-h5mu.js";
import { readLatentInThread } from "./read-latent.js";
import { serializeError, type H5Envelope, type H5Reply, type H5Request } from "./worker-protocol.js";

async function handle(request: H5Request): Promise<unknown> {
  confineTo(request.path);
  if (request.op === "h5mu-summary") return readH5muSummaryInThread(request.path);
  return readLatentInThread(request.path, request.options);
}

parentPort?.on("message", (envelope: H5Envelope) => {
  void handle(envelope.request).then(
    (result) => parentPort?.postMessage({ id: envelope.id, recycle: false, response: { ok: true, result } } satisfies H5Reply),
    (error: unknown) => parentPort?.postMessage({ id: envelope.id, recycle: true, response: { ok: false, error: serializeError(error) } } satisfies H5Reply),
  );
});
