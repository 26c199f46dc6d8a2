import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BoundedLogFile } from "../../../src/artifacts/bounded-log.js";
import { tempDir } from "../../helpers/fixtures.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir("bounded-log")));
afterEach(() => cleanup());

const KiB = 1024;

function* lines(count: number): Generator<Buffer> {
  for (let i = 0; i < count; i += 1) yield Buffer.from(`line ${String(i).padStart(8, "0")}\n`);
}

test("a log larger than head + tail keeps both ends and says how much was left out", async () => {
  const file = join(dir, "container.log");
  await pipeline(Readable.from(lines(200_000)), new BoundedLogFile(file, 64 * KiB, 64 * KiB));
  const text = readFileSync(file, "utf8");
  assert.ok(statSync(file).size < 129 * KiB + 200, `size ${statSync(file).size}`);
  assert.ok(text.startsWith("line 00000000\n"));
  assert.ok(text.endsWith("line 00199999\n"));
  const total = 200_000 * 14;
  assert.match(text, new RegExp(`\\[multiverse: ${total - 128 * KiB} bytes of output left out here`));
});

test("a small log is written as it came", async () => {
  const file = join(dir, "container.log");
  await pipeline(Readable.from(lines(10)), new BoundedLogFile(file, 64 * KiB, 64 * KiB));
  assert.equal(readFileSync(file, "utf8"), [...lines(10)].map((b) => b.toString()).join(""));
});
