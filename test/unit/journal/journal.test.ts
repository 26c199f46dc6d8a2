import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Journal, readJournal } from "../../../src/journal/journal.js";
import type { NewJournalRecord } from "../../../src/journal/records.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { planned, tempDir, transition } from "../../helpers/fixtures.js";

let root: string;
let cleanup: () => void;
const journalDir = () => join(root, "journal");
const segment = (n = 1) => join(journalDir(), `segment-${String(n).padStart(6, "0")}.jsonl`);
const segmentFiles = () => readdirSync(journalDir()).filter((f) => f.endsWith(".jsonl")).sort();
const corrupt = (file: string, line: number) => (error: unknown) =>
  error instanceof MultiverseError && error.code === "MV_JOURNAL_CORRUPT" && error.location.file === file && error.location.line === line;

beforeEach(() => ({ dir: root, cleanup } = tempDir("journal")));
afterEach(() => cleanup());

function writeThree(): void {
  const journal = Journal.open(root);
  journal.append([planned("r1"), planned("r2"), planned("r3")]);
  journal.close();
}

describe("journal append and read", () => {
  test("round trip: records come back in order with seq and ts from the clock", () => {
    const clock = () => new Date("2026-01-01T00:00:00Z");
    const journal = Journal.open(root, { clock });
    const written = journal.append([planned("r1"), planned("r2")]);
    const one = journal.appendOne(transition("r1", "PENDING", "ADMITTED", "ADMIT", { attemptId: "r1-a1" }));
    assert.equal(journal.lastSeq, 3);
    journal.close();
    assert.deepEqual(written.map((r) => r.seq), [1, 2]);
    assert.equal(one.seq, 3);
    const { records, tornTail } = readJournal(root);
    assert.equal(tornTail, undefined);
    assert.deepEqual(records.map((r) => [r.seq, r.type, r.ts]), [
      [1, "RUN_PLANNED", "2026-01-01T00:00:00.000Z"],
      [2, "RUN_PLANNED", "2026-01-01T00:00:00.000Z"],
      [3, "RUN_TRANSITION", "2026-01-01T00:00:00.000Z"],
    ]);
    assert.deepEqual(records[0], JSON.parse(JSON.stringify(written[0])), "the record read back equals the record returned");
  });

  test("each line is the record's JSON with crc = first 16 hex of sha256 of that JSON appended last", () => {
    writeThree();
    const lines = readFileSync(segment(), "utf8").split("\n");
    assert.equal(lines.pop(), "", "every line ends with a newline");
    assert.equal(lines.length, 3);
    for (const line of lines) {
      const { crc, ...record } = JSON.parse(line) as { crc: string };
      assert.deepEqual(Object.keys(JSON.parse(line)).slice(0, 3), ["seq", "ts", "type"]);
      assert.equal(Object.keys(JSON.parse(line)).at(-1), "crc");
      assert.equal(crc, createHash("sha256").update(JSON.stringify(record)).digest("hex").slice(0, 16));
    }
  });

  test("seq and ts in the input cannot override the journal's own", () => {
    const journal = Journal.open(root);
    const sneaky: NewJournalRecord = Object.assign(planned("r1"), { seq: 99, ts: "yesterday" });
    const [record] = journal.append([sneaky]);
    journal.close();
    assert.equal(record?.seq, 1);
    assert.notEqual(record?.ts, "yesterday");
    assert.equal(readJournal(root).records[0]?.seq, 1);
  });

  test("sequence numbers continue after reopening; an empty batch writes nothing", () => {
    const first = Journal.open(root);
    first.append([planned("r1")]);
    assert.deepEqual(first.append([]), []);
    first.close();
    const again = Journal.open(root);
    assert.equal(again.lastSeq, 1);
    assert.equal(again.appendOne(planned("r2")).seq, 2);
    again.close();
    assert.deepEqual(readJournal(root).records.map((r) => r.seq), [1, 2]);
    assert.throws(() => again.appendOne(planned("r3")), /closed/);
  });

  test("a batch is one group: 1,000 records in one append are contiguous and all durable", () => {
    const journal = Journal.open(root);
    const written = journal.append(Array.from({ length: 1000 }, (_, i) => planned(`run${i}`)));
    journal.close();
    assert.deepEqual(written.map((r) => r.seq), Array.from({ length: 1000 }, (_, i) => i + 1));
    assert.equal(new Set(written.map((r) => r.ts)).size, 1, "one ts for the batch");
    assert.equal(readJournal(root).records.length, 1000);
  });

  test("segments rotate past the size limit, lines are never split, seq continues across them and after reopen", () => {
    const journal = Journal.open(root, { segmentBytes: 1500 });
    for (let i = 0; i < 12; i += 1) journal.append([planned(`run${i}`)]);
    journal.close();
    const files = segmentFiles();
    assert.ok(files.length >= 3, `rotated into ${files.length} segments`);
    assert.equal(files[0], "segment-000001.jsonl");
    for (const f of files) assert.ok(readFileSync(join(journalDir(), f), "utf8").endsWith("\n"));
    assert.deepEqual(readJournal(root).records.map((r) => r.seq), Array.from({ length: 12 }, (_, i) => i + 1));
    const reopened = Journal.open(root, { segmentBytes: 1500 });
    assert.equal(reopened.appendOne(planned("run12")).seq, 13);
    reopened.close();
    assert.equal(readJournal(root).records.at(-1)?.seq, 13);
  });

  test("a missing journal directory reads as empty and is not created by reading", () => {
    assert.deepEqual(readJournal(join(root, "nothing-here")), { records: [] });
    assert.equal(existsSync(join(root, "nothing-here")), false);
  });
});

describe("journal damage", () => {
  const tears: [string, (file: string) => void, string][] = [
    ["a last line without its newline", (file) => appendFileSync(file, '{"seq":3,"ts":"x","type":"RUN_PLANNED"'), "no trailing newline"],
    ["a last line cut in the middle", (file) => truncateSync(file, statSync(file).size - 20), "no trailing newline"],
    ["a last line that is not JSON", (file) => appendFileSync(file, "\0\0\0garbage\n"), "no checksum"],
    ["a last line with a bad checksum", (file) => {
      const text = readFileSync(file, "utf8");
      const at = text.lastIndexOf('"crc":"') + 7;
      writeFileSync(file, text.slice(0, at) + (text[at] === "0" ? "1" : "0") + text.slice(at + 1));
    }, "checksum mismatch"],
  ];
  for (const [what, tear, reason] of tears) {
    test(`torn tail (${what}): ignored and reported; reopen cuts it, keeps the bytes, and appends read back`, () => {
      const journal = Journal.open(root);
      journal.append([planned("r1")]);
      journal.append([planned("r2")]);
      journal.close();
      const intact = readFileSync(segment());
      tear(segment());
      const damaged = readFileSync(segment());
      const goodPrefix = damaged.subarray(0, damaged.lastIndexOf(0x0a, damaged.length - 2) + 1);

      const read = readJournal(root);
      assert.ok(read.tornTail, "torn tail reported");
      assert.deepEqual(read.tornTail, { file: segment(), offset: goodPrefix.length, reason });
      const kept = read.records.length;
      assert.ok(kept >= 1 && kept <= 2);
      assert.deepEqual(readFileSync(segment()), damaged, "reading does not repair");

      const reopened = Journal.open(root);
      assert.equal(reopened.lastSeq, kept);
      const next = reopened.appendOne(planned("r3"));
      reopened.close();
      assert.equal(next.seq, kept + 1);
      const after = readJournal(root);
      assert.equal(after.tornTail, undefined, "no garbage left after reopen");
      assert.deepEqual(after.records.map((r) => r.seq), Array.from({ length: kept + 1 }, (_, i) => i + 1));
      assert.deepEqual(readFileSync(segment()).subarray(0, goodPrefix.length), goodPrefix);

      const evidence = readdirSync(journalDir()).filter((f) => f.startsWith("torn-"));
      assert.deepEqual(evidence, [`torn-segment-000001-${goodPrefix.length}.bin`]);
      assert.deepEqual(readFileSync(join(journalDir(), evidence[0]!)), damaged.subarray(goodPrefix.length), "torn bytes kept exactly");
      assert.ok(intact.length > 0);
    });
  }

  test("a second tear at the same offset keeps both copies", () => {
    const journal = Journal.open(root);
    journal.append([planned("r1")]);
    journal.close();
    for (const junk of ["first-junk", "second-junk"]) {
      appendFileSync(segment(), junk);
      Journal.open(root).close();
    }
    const evidence = readdirSync(journalDir()).filter((f) => f.startsWith("torn-")).sort();
    assert.equal(evidence.length, 2);
    assert.deepEqual(evidence.map((f) => readFileSync(join(journalDir(), f), "utf8")).sort(), ["first-junk", "second-junk"]);
  });

  test("damage in the middle of a segment is corruption, naming the file and line", () => {
    writeThree();
    const lines = readFileSync(segment(), "utf8").split("\n");
    lines[1] = lines[1]!.replace("RUN_PLANNED", "RUN_PLANNEX");
    writeFileSync(segment(), lines.join("\n"));
    assert.throws(() => readJournal(root), corrupt(segment(), 2));
    assert.throws(() => Journal.open(root), corrupt(segment(), 2));
  });

  test("a damaged last line of an earlier segment is corruption, not a torn tail", () => {
    const journal = Journal.open(root, { segmentBytes: 100 });
    journal.append([planned("r1")]);
    journal.append([planned("r2")]);
    journal.close();
    assert.equal(segmentFiles().length, 2);
    truncateSync(segment(1), statSync(segment(1)).size - 5);
    assert.throws(() => readJournal(root), corrupt(segment(1), 1));
  });

  test("a sequence gap is corruption", () => {
    writeThree();
    const lines = readFileSync(segment(), "utf8").split("\n");
    writeFileSync(segment(), [lines[0], lines[2], ""].join("\n"));
    assert.throws(() => readJournal(root), (e: unknown) => corrupt(segment(), 2)(e) && /jumps from 1 to 3/.test((e as Error).message));
    assert.throws(() => Journal.open(root), /jumps from 1 to 3/);
  });

  test("a repeated sequence number is corruption, also across segments", () => {
    writeThree();
    const lines = readFileSync(segment(), "utf8").split("\n");
    writeFileSync(segment(2), `${lines[2]}\n`);
    assert.throws(() => readJournal(root), (e: unknown) => corrupt(segment(2), 1)(e) && /repeats/.test((e as Error).message));
  });

  test("a missing segment shows up as a sequence gap", () => {
    const journal = Journal.open(root, { segmentBytes: 100 });
    for (let i = 0; i < 3; i += 1) journal.append([planned(`r${i}`)]);
    journal.close();
    assert.equal(segmentFiles().length, 3);
    writeFileSync(segment(2), "");
    assert.throws(() => readJournal(root), /jumps from 1 to 3/);
  });
});
