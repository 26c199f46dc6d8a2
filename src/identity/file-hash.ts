import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** "sha256:<hex>" of a file's content, streamed (datasets and embeddings can be gigabytes). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path, { highWaterMark: 1024 * 1024 })
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

export async function fingerprintFile(path: string): Promise<string> {
  return `sha256:${await sha256File(path)}`;
}
