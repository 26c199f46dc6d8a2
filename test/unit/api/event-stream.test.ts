/** Server-Sent Event framing and where a replay starts. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatEvent, replayStart } from "../../../src/api/event-stream.js";
import type { JournalRecord } from "../../../src/journal/records.js";
import { plan } from "../index/fixtures.js";

describe("SSE framing", () => {
  test("one event per record: id = seq, event = type, data = the record on one line, a blank line after", () => {
    const record = { seq: 42, ts: "2026-03-01T10:00:00.000Z", ...plan("a".repeat(24), { params: { note: "two\nlines" } }) } as JournalRecord;
    const frame = formatEvent(record);
    const lines = frame.split("\n");
    assert.deepEqual(lines.slice(0, 2), ["id: 42", "event: RUN_PLANNED"]);
    assert.ok(lines[2]!.startsWith("data: "));
    assert.deepEqual(JSON.parse(lines[2]!.slice("data: ".length)), record);
    assert.deepEqual(lines.slice(3), ["", ""], "a newline inside the record does not split the data line");
  });

  test("Last-Event-ID wins over since=; a header that is not a seq is ignored", () => {
    assert.equal(replayStart("17", 3), 17);
    assert.equal(replayStart(" 17 ", undefined), 17);
    assert.equal(replayStart("0", undefined), 0);
    assert.equal(replayStart("abc", 3), 3);
    assert.equal(replayStart("-4", undefined), undefined);
    assert.equal(replayStart(["5", "6"], 2), 2);
    assert.equal(replayStart(undefined, undefined), undefined);
  });
});
