/** The asynchronous, chunked tail behind log follow, and which records end a follow. */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AsyncLogTail, endsFollow, recordEndsFollow } from "../../../src/api/log-stream.js";
import { RUN_PHASES } from "../../../src/domain/run-states.js";
import type { JournalRecord } from "../../../src/journal/records.js";
import { tempDir } from "../../helpers/fixtures.js";
import { move, plan } from "../index/fixtures.js";

function collector(): { chunks: Buffer[]; text: () => string; write: (chunk: Buffer) => Promise<void> } {
  const chunks: Buffer[] = [];
  return { chunks, text: () => Buffer.concat(chunks).toString("utf8"), write: async (chunk) => void chunks.push(chunk) };
}

describe("AsyncLogTail", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("tail")));
  afterEach(() => cleanup());

  test("sends what was appended since the last pump; a missing file sends nothing until it appears", async () => {
    const file = join(dir, "run.log");
    const out = collector();
    const tail = new AsyncLogTail(file, out.write);
    await tail.pump();
    assert.equal(out.text(), "");
    writeFileSync(file, "one\n");
    await tail.pump();
    appendFileSync(file, "two\n");
    await tail.pump();
    await tail.pump();
    assert.equal(out.text(), "one\ntwo\n");
  });

  test("a large file is sent in chunks of at most 64 KiB, complete and in order", async () => {
    const file = join(dir, "container.log");
    const body = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}\n`).join("");
    writeFileSync(file, body);
    const out = collector();
    await new AsyncLogTail(file, out.write).pump();
    assert.ok(out.chunks.length > 5, `${out.chunks.length} chunks`);
    assert.ok(out.chunks.every((c) => c.length <= 64 * 1024));
    assert.equal(out.text(), body);
  });

  test("overlapping pumps never send a byte twice", async () => {
    const file = join(dir, "run.log");
    writeFileSync(file, "a".repeat(200_000));
    const out = collector();
    const tail = new AsyncLogTail(file, out.write);
    const pumps = [tail.pump(), tail.pump(), tail.pump()];
    appendFileSync(file, "tail\n");
    pumps.push(tail.pump());
    await Promise.all(pumps);
    assert.equal(out.text(), `${"a".repeat(200_000)}tail\n`);
  });

  test("a truncated or replaced file is read again from its start", async () => {
    const file = join(dir, "run.log");
    writeFileSync(file, "first version, long\n");
    const out = collector();
    const tail = new AsyncLogTail(file, out.write);
    await tail.pump();
    writeFileSync(file, "second\n");
    await tail.pump();
    assert.equal(out.text(), "first version, long\nsecond\n");
  });
});

describe("which phases end a follow", () => {
  test("terminal phases and RECOVERY_PENDING end it; the others and unknown text do not", () => {
    const ending = RUN_PHASES.filter(endsFollow);
    assert.deepEqual(ending, ["ARTIFACT_SUCCESS", "FAILED", "CANCELLED", "RECOVERY_PENDING"]);
    assert.equal(endsFollow("SOMETHING"), false);
  });

  test("only a transition of the followed run into such a phase ends it", () => {
    const runId = "a".repeat(24);
    const asRecord = (r: object, seq = 1) => ({ seq, ts: "t", ...r }) as JournalRecord;
    assert.equal(recordEndsFollow(asRecord(move(runId, "RUNNING", "FAILED", "EXITED", { attempt: 1, reason: "nonzero_exit" })), runId), true);
    assert.equal(recordEndsFollow(asRecord(move(runId, "RUNNING", "RECOVERY_PENDING", "LOST", { attempt: 1 })), runId), true);
    assert.equal(recordEndsFollow(asRecord(move(runId, "RUNNING", "CANCEL_REQUESTED", "CANCEL", { attempt: 1 })), runId), false);
    assert.equal(recordEndsFollow(asRecord(move("b".repeat(24), "RUNNING", "FAILED", "EXITED", { attempt: 1 })), runId), false);
    assert.equal(recordEndsFollow(asRecord(plan(runId)), runId), false);
  });
});
