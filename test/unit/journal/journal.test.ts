import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readdirSync, readFileSync, truncateSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Journal, readJournal } from "../../../src/journal/journal.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { planned, tempDir, transition } from "../../helpers/fixtures.js";

let root: string;
let cleanup: () => void;
const segment = () => join(root, "journal", "segment-000001.jsonl");

beforeEach(() => ({ dir: root, cleanup } = tempDir("journal")));
afterEach(() => cleanup());

describe("journal", () => {
  test("round trip: records come back in order with seq and ts assigned", () => {
    const clock = () => new Date("2026-01-01T00:00:00Z");
    const journal = Journal.open(root, { clock });
    const written = journal.append([planned("r1"), planned("r2")]);
    journal.appendOne(transition("r1", "PENDING", "ADMITTED", "ADMIT", { attemptId: "r1-a1" }));
    journal.close();
    assert.deepEqual(written.map((r) => r.seq), [1, 2]);
    const { records, tornTail } = readJournal(root);
    assert.equal(tornTail, undefined);
    assert.deepEqual(records.map((r) => [r.seq, r.type, r.ts]), [
      [1, "RUN_PLANNED", "2026-01-01T00:00:00.000Z"],
      [2, "RUN_PLANNED", "2026-01-01T00:00:00.000Z"],
      [3, "RUN_TRANSITION", "2026-01-01T00:00:00.000Z"],
    ]);
  });

  test("every line carries a checksum; a batch is one write", () => {
    const journal = Journal.open(root);
    journal.append([planned("r1"), planned("r2"), planned("r3")]);
    journal.close();
    const lines = readFileSync(segment(), "utf8").trimEnd().split("\n");
    assert.equal(lines.length, 3);
    for (const line of lines) assert.match(line, /,"crc":"[0-9a-f]{16}"\}$/);
  });

  test("sequence numbers continue after reopening", () => {
    Journal.open(root).append([planned("r1")]);
    const again = Journal.open(root);
    assert.equal(again.lastSeq, 1);
    assert.equal(again.appendOne(planned("r2")).seq, 2);
    again.close();
    assert.deepEqual(readJournal(root).records.map((r) => r.seq), [1, 2]);
  });

  test("segments rotate and are read across", () => {
    const journal = Journal.open(root, { segmentBytes: 600 });
    for (let i = 0; i < 10; i += 1) journal.append([planned(`run${i}`)]);
    journal.close();
    const segments = readdirSync(join(root, "journal")).filter((f) => f.endsWith(".jsonl"));
    assert.ok(segments.length > 1, `rotated into ${segments.length} segments`);
    assert.deepEqual(readJournal(root).records.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const reopened = Journal.open(root, { segmentBytes: 600 });
    assert.equal(reopened.appendOne(planned("run10")).seq, 11);
    reopened.close();
  });

  const tears: [string, (file: string) => void][] = [
    ["a line without its newline", (file) => appendFileSync(file, '{"seq":3,"ts":"x","type":"RUN_PLANNED"')],
    ["a line cut in the middle", (file) => truncateSync(file, statSync(file).size - 20)],
    ["a last line with a bad checksum", (file) => {
      const text = readFileSync(file, "utf8");
      writeFileSync(file, text.replace(/"crc":"([0-9a-f])/g, (_m, c: string, offset: number) => (offset > text.length - 40 ? `"crc":"${c === "0" ? "1" : "0"}` : `"crc":"${c}`)));
    }],
  ];
  for (const [what, tear] of tears) {
    test(`a torn tail (${what}) is ignored and reported, then cut on reopen with its bytes kept`, () => {
      const journal = Journal.open(root);
      journal.append([planned("r1")]);
      journal.append([planned("r2")]);
      journal.close();
      tear(segment());
      const read = readJournal(root);
      assert.ok(read.tornTail, "torn tail reported");
      assert.equal(read.tornTail.file, segment());
      assert.ok(read.records.length >= 1 && read.records.length <= 2);
      const kept = read.records.length;
      const reopened = Journal.open(root);
      const next = reopened.appendOne(planned("r3"));
      reopened.close();
      assert.equal(next.seq, kept + 1);
      const after = readJournal(root);
      assert.equal(after.tornTail, undefined, "no garbage left after reopen");
      assert.deepEqual(after.records.map((r) => r.seq), [...Array(kept).keys()].map((i) => i + 1).concat(kept + 1));
      const evidence = readdirSync(join(root, "journal")).filter((f) => f.startsWith("torn-"));
      assert.equal(evidence.length, 1, "torn bytes kept as evidence");
    });
  }

  test("damage in the middle is corruption: an error naming the file and line", () => {
    const journal = Journal.open(root);
    journal.append([planned("r1"), planned("r2"), planned("r3")]);
    journal.close();
    const lines = readFileSync(segment(), "utf8").split("\n");
    lines[1] = lines[1]!.replace("RUN_PLANNED", "RUN_PLANNEX");
    writeFileSync(segment(), lines.join("\n"));
    assert.throws(
      () => readJournal(root),
      (error: unknown) => error instanceof MultiverseError && error.code === "MV_JOURNAL_CORRUPT" && error.location.line === 2 && error.location.file === segment(),
    );
    assert.throws(() => Journal.open(root), /damaged/);
  });

  test("a sequence gap is corruption", () => {
    const journal = Journal.open(root);
    journal.append([planned("r1"), planned("r2"), planned("r3")]);
    journal.close();
    const lines = readFileSync(segment(), "utf8").split("\n");
    writeFileSync(segment(), [lines[0], lines[2], ""].join("\n"));
    assert.throws(() => readJournal(root), /sequence jumps from 1 to 3/);
  });

  test("a missing journal reads as empty", () => {
    assert.deepEqual(readJournal(join(root, "nothing-here")).records, []);
    assert.equal(existsSync(join(root, "nothing-here")), false);
  });
});
