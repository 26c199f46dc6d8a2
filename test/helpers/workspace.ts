/** Builds model output workspaces on disk for validation and promotion tests. */
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { join } from "node:path";
import { writeLatent } from "../../src/h5/index.js";

function crc32(buffer: Buffer): number {
  let crc = ~0;
  for (const byte of buffer) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** A valid 1x1 RGB PNG built by hand. */
export function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header[8] = 8;
  header[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(Buffer.from([0, 255, 0, 0]))), chunk("IEND", Buffer.alloc(0))]);
}

export async function goodWorkspace(dir: string, nObs: number, cols = 4): Promise<void> {
  await writeLatent(join(dir, "embeddings.h5"), nObs, cols);
  writeFileSync(join(dir, "metrics.json"), JSON.stringify({ model_metrics: { loss: 0.5, n: 3 }, history: { epoch: [1, 2], loss: [1, 0.5] } }));
  writeFileSync(join(dir, "umap.png"), tinyPng());
  writeFileSync(join(dir, "run.log"), "started\ndone\n");
  writeFileSync(join(dir, "job_spec.json"), JSON.stringify({ seed: 0 }));
  writeFileSync(join(dir, "container.log"), "stdout line\n");
}
