/** Replaying the real journal after a seq: only the needed segments, torn tails, corruption, and yielding while it reads. */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { Journal, readJournal } from "../../../src/journal/journal.js";
import type { JournalRecord } from "../../../src/journal/records.js";
import { journalDir, listSegments } from "../../../src/journal/segments.js";
import { replayJournal } from "../../../src/api/journal-replay.js";
import { isMultiverseError } from "../../../src/domain/errors.js";
import { tempDir } from "../../helpers/fixtures.js";
import { plan } from "../index/fixtures.js";

async function collect(stateRoot: string, afterSeq: number): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  for await (const batch of replayJournal(stateRoot, afterSeq)) out.push(...batch);
  return out;
}

function runId(n: number): string {
  return n.toString(16).padStart(24, "0");
}

describe("replayJournal", () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir("replay"));
  });
  afterEach(() => cleanup());

  /** 120 records in one-record batches over segments of about 2 KiB (each record is roughly 1 KiB). */
  function writeSegmented(count = 120): JournalRecord[] {
    const journal = Journal.open(root, { segmentBytes: 2048 });
    const written: JournalRecord[] = [];
    for (let i = 0; i < count; i += 1) written.push(journal.appendOne(plan(runId(i), { seed: i })));
    journal.close();
    assert.ok(listSegments(journalDir(root)).length > 10, "the records span many segments");
    return written;
  }

  test("returns exactly the records after the seq, in order, across segments, equal to what readJournal reads", async () => {
    const written = writeSegmented();
    assert.deepEqual(await collect(root, 0), readJournal(root).records);
    for (const after of [1, 37, 38, 64, 119]) {
      const replayed = await collect(root, after);
      assert.deepEqual(replayed.map((r) => r.seq), written.filter((r) => r.seq > after).map((r) => r.seq), `after ${after}`);
      assert.deepEqual(replayed, readJournal(root).records.filter((r) => r.seq > after));
    }
    assert.deepEqual(await collect(root, 120), []);
    assert.deepEqual(await collect(root, 5000), []);
  });

  test("segments before the one holding afterSeq + 1 are not read (a damaged old segment does not matter)", async () => {
    writeSegmented();
    const segments = listSegments(journalDir(root));
    const first = segments[0]!.file;
    writeFileSync(first, readFileSync(first, "utf8").replace(/"seed":0/, '"seed":9'));
    const late = await collect(root, 110);
    assert.deepEqual(late.map((r) => r.seq), [111, 112, 113, 114, 115, 116, 117, 118, 119, 120]);
    await assert.rejects(collect(root, 0), (error: unknown) => isMultiverseError(error) && error.code === "MV_JOURNAL_CORRUPT" && error.location?.file === first && error.location.line === 1);
  });

  test("a torn last line (crash or an append being written) ends the replay without an error", async () => {
    const journal = Journal.open(root);
    journal.append([plan(runId(1)), plan(runId(2))]);
    journal.close();
    const [segment] = listSegments(journalDir(root));
    appendFileSync(segment!.file, '{"seq":3,"ts":"2026-01-01T00:00:00.000Z","type":"RUN_PL');
    assert.deepEqual((await collect(root, 0)).map((r) => r.seq), [1, 2]);
    assert.deepEqual((await collect(root, 2)).map((r) => r.seq), []);
  });

  test("a damaged line with good lines after it is corruption, named by file and line", async () => {
    const journal = Journal.open(root);
    journal.append([plan(runId(1)), plan(runId(2)), plan(runId(3))]);
    journal.close();
    const [segment] = listSegments(journalDir(root));
    const lines = readFileSync(segment!.file, "utf8").split("\n");
    lines[1] = lines[1]!.replace('"seq":2', '"seq":2 ');
    writeFileSync(segment!.file, lines.join("\n"));
    await assert.rejects(collect(root, 0), (error: unknown) => isMultiverseError(error) && error.code === "MV_JOURNAL_CORRUPT" && error.location?.line === 2);
  });

  test("an empty or missing journal replays nothing", async () => {
    assert.deepEqual(await collect(root, 0), []);
    Journal.open(root).close();
    assert.deepEqual(await collect(root, 0), []);
  });

  test("a long replay yields to the event loop between chunks instead of holding it", async () => {
    const journal = Journal.open(root);
    for (let b = 0; b < 4; b += 1) journal.append(Array.from({ length: 5000 }, (_, i) => plan(runId(b * 5000 + i), { seed: i })));
    journal.close();
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 0);
    try {
      const records = await collect(root, 0);
      assert.equal(records.length, 20_000);
    } finally {
      clearInterval(ticker);
    }
    assert.ok(ticks >= 3, `timers ran ${ticks} times during the replay`);
  });
});
