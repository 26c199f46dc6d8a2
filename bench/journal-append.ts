/** Journal group-commit throughput: 10,000 records in one batch, then 10,000 in batches of 100 (one fsync each). */
import { performance } from "node:perf_hooks";
import { Journal, readJournal } from "../src/journal/journal.js";
import { planned, tempDir } from "../test/helpers/fixtures.js";

const { dir, cleanup } = tempDir("bench-journal");
try {
  const journal = Journal.open(dir);
  const batch = Array.from({ length: 10_000 }, (_, i) => planned(`run${String(i).padStart(10, "0")}`));
  let start = performance.now();
  journal.append(batch);
  const oneBatchMs = performance.now() - start;
  start = performance.now();
  for (let i = 0; i < 100; i += 1) journal.append(batch.slice(i * 100, i * 100 + 100));
  const hundredBatchesMs = performance.now() - start;
  journal.close();
  start = performance.now();
  const read = readJournal(dir).records.length;
  const readMs = performance.now() - start;
  process.stdout.write(`${JSON.stringify({ bench: "journal-append", records: 20_000, oneBatchOf10kMs: +oneBatchMs.toFixed(1), hundredBatchesOf100Ms: +hundredBatchesMs.toFixed(1), readAllMs: +readMs.toFixed(1), recordsRead: read })}\n`);
} finally {
  cleanup();
}
