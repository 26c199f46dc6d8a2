import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { Journal, readJournal } from "../../../src/journal/journal.js";
import { JournalWriter } from "../../../src/journal/journal-writer.js";
import { indexPath } from "../../../src/index/run-index.js";
import { ReopeningIndex } from "../../../src/index/reopening-index.js";
import { planned, tempDir } from "../../helpers/fixtures.js";

describe("ReopeningIndex", () => {
  test("a deleted index file is made again from the journal at the next write, and readers follow it", () => {
    const { dir, cleanup } = tempDir("reopen");
    const journal = Journal.open(dir);
    const reopened: string[] = [];
    const projection = new ReopeningIndex(indexPath(dir), () => readJournal(dir).records, (why) => reopened.push(why));
    const writer = new JournalWriter(journal, projection);
    try {
      writer.append([planned("a".repeat(32)), planned("b".repeat(32))]);
      const reader = ReopeningIndex.reader(indexPath(dir));
      assert.equal(reader.current.listRuns().length, 2);
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${indexPath(dir)}${suffix}`, { force: true });
      assert.equal(reader.current.listRuns().length, 2, "a reader keeps its open file while none is there");
      writer.append([planned("c".repeat(32))]);
      assert.ok(existsSync(indexPath(dir)));
      assert.equal(projection.current.listRuns().length, 3, "rebuilt from the journal, nothing skipped");
      assert.equal(projection.lastAppliedSeq, 3);
      assert.match(reopened[0]!, /multiverse_state\.db was deleted: reopened and rebuilt from the journal \(3 records\)/);
      assert.equal(reader.current.listRuns().length, 3, "the reader is on the new file");
      reader.close();
    } finally {
      projection.close();
      journal.close();
      cleanup();
    }
  });
});
