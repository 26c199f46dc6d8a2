import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Journal, readJournal } from "../../../src/journal/journal.js";
import { JournalWriter, type JournalProjection } from "../../../src/journal/journal-writer.js";
import type { JournalRecord } from "../../../src/journal/records.js";
import { tempDir } from "../../helpers/fixtures.js";

const status = (name: string) => ({ type: "BENCHMARK_STATUS" as const, name, observedGeneration: 1, conditions: [], runIds: [] });

class RecordingProjection implements JournalProjection {
  lastAppliedSeq = 0;
  constructor(private readonly events: string[], private readonly fail = false) {}
  apply(records: readonly JournalRecord[]): void {
    if (this.fail) throw new Error("index is read-only");
    this.events.push(`index ${records.map((r) => r.seq).join(",")}`);
    this.lastAppliedSeq = records.at(-1)?.seq ?? this.lastAppliedSeq;
  }
}

describe("JournalWriter", () => {
  test("journals first (durable, in seq order), then projects, then tells subscribers in order", () => {
    const { dir, cleanup } = tempDir("writer");
    const journal = Journal.open(dir);
    try {
      const events: string[] = [];
      const writer = new JournalWriter(journal, new RecordingProjection(events));
      writer.subscribe((records) => events.push(`first ${records.length} (on disk: ${readJournal(dir).records.length})`));
      writer.subscribe((records) => events.push(`second ${records.map((r) => r.type).join(",")}`));
      const written = writer.append([status("a"), status("b")]);
      assert.deepEqual(written.map((r) => r.seq), [1, 2]);
      assert.deepEqual(events, ["index 1,2", "first 2 (on disk: 2)", "second BENCHMARK_STATUS,BENCHMARK_STATUS"]);
      assert.equal(writer.lastSeq, 2);
      assert.equal(writer.projectedSeq, 2);
      assert.deepEqual(writer.append([]), [], "an empty batch writes nothing");
      assert.equal(events.length, 3);
    } finally {
      journal.close();
      cleanup();
    }
  });

  test("a failing projection or subscriber never fails the append, and later subscribers still hear of it", () => {
    const { dir, cleanup } = tempDir("writer");
    const journal = Journal.open(dir);
    try {
      const errors: string[] = [];
      const heard: number[] = [];
      const writer = new JournalWriter(journal, new RecordingProjection([], true), (error) => errors.push((error as Error).message));
      writer.subscribe(() => {
        throw new Error("subscriber broke");
      });
      writer.subscribe((records) => heard.push(records.length));
      writer.append([status("a")]);
      assert.deepEqual(heard, [1]);
      assert.deepEqual(errors, ["subscriber broke"]);
      assert.equal(readJournal(dir).records.length, 1, "the record is in the journal");
    } finally {
      journal.close();
      cleanup();
    }
  });

  test("an unsubscribed listener hears nothing more", () => {
    const { dir, cleanup } = tempDir("writer");
    const journal = Journal.open(dir);
    try {
      const writer = new JournalWriter(journal);
      const heard: number[] = [];
      const unsubscribe = writer.subscribe((records) => heard.push(records[0]!.seq));
      writer.append([status("a")]);
      unsubscribe();
      writer.append([status("b")]);
      assert.deepEqual(heard, [1]);
    } finally {
      journal.close();
      cleanup();
    }
  });
});
