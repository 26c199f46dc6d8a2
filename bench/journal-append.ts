/**
 * Journal group-commit throughput: 10,000 RUN_PLANNED records in one batch, then 10,000 in batches of 100
 * (one write + one fsync per batch), then reading all 20,000 back. Target: the two appends well under 1 s.
 */
import { performance } from "node:perf_hooks";
import { Journal, readJournal } from "../src/journal/journal.js";
import { planned, tempDir } from "../test/helpers/fixtures.js";

const TARGET_MS = 1000;
const { dir, cleanup } = tempDir("bench-journal");
try {
  const journal = Journal.open(dir);
  const first = Array.from({ length: 10_000 }, (_, i) => planned(`run${String(i).padStart(10, "0")}`));
  const second = Array.from({ length: 10_000 }, (_, i) => planned(`run${String(10_000 + i).padStart(10, "0")}`));
  let start = performance.now();
  journal.append(first);
  const oneBatchMs = performance.now() - start;
  start = performance.now();
  for (let i = 0; i < second.length; i += 100) journal.append(second.slice(i, i + 100));
  const hundredBatchesMs = performance.now() - start;
  journal.close();
  start = performance.now();
  const recordsRead = readJournal(dir).records.length;
  const readAllMs = performance.now() - start;
  const appendTotalMs = oneBatchMs + hundredBatchesMs;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  process.stdout.write(
    `${JSON.stringify({
      bench: "journal-append",
      records: 20_000,
      oneBatchOf10kMs: round(oneBatchMs),
      hundredBatchesOf100Ms: round(hundredBatchesMs),
      appendTotalMs: round(appendTotalMs),
      targetMs: TARGET_MS,
      withinTarget: appendTotalMs < TARGET_MS,
      readAllMs: round(readAllMs),
      recordsRead,
    })}\n`,
  );
} finally {
  cleanup();
}
