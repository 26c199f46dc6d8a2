/**
 * A 256 MiB run.log (sparse, so the test costs no disk) is read in pieces of at most LOG_CHUNK_BYTES, and the
 * process's buffers do not grow with the file: before, LogTail.read returned the whole rest of the file at once.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drainLog, LOG_CHUNK_BYTES, LogTail } from "../../../src/services/run-logs.js";

const MiB = 1024 * 1024;

describe("LogTail", () => {
  test("a 256 MiB log is read in bounded chunks with bounded memory, then only what is appended", () => {
    const dir = mkdtempSync(join(tmpdir(), "mv-logtail-"));
    const file = join(dir, "run.log");
    try {
      writeFileSync(file, "first line\n");
      truncateSync(file, 256 * MiB);
      const tail = new LogTail(file);
      const before = process.memoryUsage().arrayBuffers;
      let peak = 0;
      let total = 0;
      let largest = 0;
      let chunks = 0;
      let head = "";
      drainLog(tail, (chunk) => {
        if (chunks === 0) head = chunk.subarray(0, 11).toString();
        chunks += 1;
        total += chunk.length;
        largest = Math.max(largest, chunk.length);
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      });
      assert.equal(head, "first line\n");
      assert.equal(total, 256 * MiB);
      assert.equal(largest, LOG_CHUNK_BYTES);
      assert.ok(chunks >= 256, `${chunks} chunks`);
      assert.ok(peak < 64 * MiB, `buffers grew by ${(peak / MiB).toFixed(1)} MiB while reading a 256 MiB log`);
      assert.equal(tail.read().length, 0, "nothing new");
      appendFileSync(file, "more\n");
      assert.equal(tail.read().toString(), "more\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a truncated or replaced log is read again from its start; a missing one reads as nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "mv-logtail-"));
    const file = join(dir, "run.log");
    try {
      const tail = new LogTail(file, 4);
      assert.equal(tail.read().length, 0);
      writeFileSync(file, "abcdefghij");
      const pieces: string[] = [];
      drainLog(tail, (chunk) => pieces.push(chunk.toString()));
      assert.deepEqual(pieces, ["abcd", "efgh", "ij"]);
      writeFileSync(file, "xy");
      assert.equal(tail.read().toString(), "xy");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a log moved into its bundle while followed is read on from where it was: nothing lost, nothing twice", () => {
    const dir = mkdtempSync(join(tmpdir(), "mv-logtail-"));
    try {
      const workspace = join(dir, "run.log");
      const bundle = join(dir, "bundle-run.log");
      writeFileSync(workspace, "behavior sleep\n");
      const tail = new LogTail(workspace);
      let seen = "";
      drainLog(tail, (chunk) => (seen += chunk.toString()));
      appendFileSync(workspace, "done\n"); // written after the last read, then the file is promoted
      renameSync(workspace, bundle);
      drainLog(tail, (chunk) => (seen += chunk.toString()));
      assert.equal(seen, "behavior sleep\n", "the workspace file is gone: nothing to read there");
      tail.moveTo(bundle);
      drainLog(tail, (chunk) => (seen += chunk.toString()));
      assert.equal(seen, "behavior sleep\ndone\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
