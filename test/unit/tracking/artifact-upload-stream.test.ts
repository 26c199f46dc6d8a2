/**
 * An artifact upload streams the file from disk: a 256 MiB (sparse) file reaches a real local HTTP server whole, with
 * its Content-Length, while the process's buffers stay far below the file's size. Before, the projection read the
 * file whole (and the client copied it once more into a Blob).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MlflowClient } from "../../../src/tracking/mlflow-client.js";

const MiB = 1024 * 1024;
const RUN = { runId: "r", runName: "", experimentId: "1", status: "RUNNING" as const, artifactUri: "mlflow-artifacts:/1/r/artifacts", lifecycleStage: "active" };

describe("MLflow artifact upload", () => {
  let server: Server;
  let uri: string;
  let received = { url: "", length: "", bytes: 0, head: "" };
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "mv-upload-"));
    server = createServer((req, res) => {
      received = { url: req.url ?? "", length: req.headers["content-length"] ?? "", bytes: 0, head: "" };
      req.on("data", (d: Buffer) => {
        if (received.bytes === 0) received.head = d.subarray(0, 5).toString();
        received.bytes += d.length;
      });
      req.on("end", () => res.end(""));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test("a 256 MiB file is sent whole with bounded memory", async () => {
    const file = join(dir, "embeddings.h5");
    writeFileSync(file, "HDF5!");
    truncateSync(file, 256 * MiB);
    const start = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - start)), 5);
    try {
      await new MlflowClient({ trackingUri: uri, retries: 0 }).uploadArtifactFile(RUN, "embeddings.h5", file);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - start);
    assert.equal(received.url, "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/embeddings.h5");
    assert.deepEqual([received.length, received.bytes, received.head], [String(256 * MiB), 256 * MiB, "HDF5!"]);
    assert.ok(peak < 64 * MiB, `buffers grew by ${(peak / MiB).toFixed(1)} MiB while uploading 256 MiB`);
  });
});
