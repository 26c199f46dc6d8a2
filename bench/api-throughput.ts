/**
 * Status API: GET /api/v1/runs?limit=100 with 100,000 runs in the index, over loopback, measured with
 * autocannon. Target: over 2,000 requests/s and p99 under 20 ms on the 2-core reference machine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { Journal } from "../src/journal/journal.js";
import type { NewJournalRecord } from "../src/journal/records.js";
import { indexPath, RunIndex } from "../src/index/run-index.js";
import { createApiServer } from "../src/api/server.js";
import { runSpec } from "../test/helpers/fixtures.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const root = mkdtempSync(join(tmpdir(), "mv-bench-api-"));
try {
  const journal = Journal.open(root);
  const index = RunIndex.open(indexPath(root));
  const fillStart = performance.now();
  for (let batch = 0; batch < RUNS / 10_000; batch += 1) {
    const records: NewJournalRecord[] = [];
    for (let i = 0; i < 10_000; i += 1) {
      const n = batch * 10_000 + i;
      const runId = n.toString(16).padStart(24, "0");
      records.push({ type: "RUN_PLANNED", runId, name: `job-${n % 100}-s${n}-${runId.slice(0, 8)}`, spec: runSpec({ benchmark: `bench-${n % 10}`, jobName: `job-${n % 100}`, seed: n }) });
    }
    index.apply(journal.append(records));
  }
  const fillSeconds = (performance.now() - fillStart) / 1000;
  const port = {
    ready: () => true,
    metrics: () => ({ queueDepth: 0, reconcileSeconds: [], journalSeq: journal.lastSeq, indexSeq: index.lastAppliedSeq }),
    subscribe: () => () => undefined,
    cancelRun: async () => ({ runId: "", phase: "" }),
  };
  const server = await createApiServer({ stateRoot: root, controller: port, port: 0 });
  const result = await autocannon({ url: `${server.address}/api/v1/runs?limit=100&offset=500`, connections: 10, duration: SECONDS });
  // The same load while the controller writes to the index 20 times a second (every write invalidates cached pages).
  let n = RUNS;
  const writer = setInterval(() => {
    const runId = (n++).toString(16).padStart(24, "0");
    index.apply(journal.append([{ type: "RUN_PLANNED", runId, name: `w-${n}`, spec: runSpec({ benchmark: "writes", jobName: "w", seed: n }) }]));
  }, 50);
  const writing = await autocannon({ url: `${server.address}/api/v1/runs?limit=100&offset=500`, connections: 10, duration: Math.max(3, SECONDS / 2) });
  clearInterval(writer);
  const filtered = await autocannon({ url: `${server.address}/api/v1/runs?limit=100&benchmark=bench-3&phase=PENDING`, connections: 10, duration: Math.max(3, SECONDS / 2) });
  await server.close();
  index.close();
  journal.close();
  process.stdout.write(
    `${JSON.stringify({
      bench: "api-throughput",
      runsInIndex: RUNS,
      fillSeconds: +fillSeconds.toFixed(1),
      requestsPerSecond: Math.round(result.requests.average),
      p50ms: result.latency.p50,
      p99ms: result.latency.p99,
      errors: result.errors + result.non2xx + writing.errors + writing.non2xx,
      whileWritingRequestsPerSecond: Math.round(writing.requests.average),
      whileWritingP99ms: writing.latency.p99,
      filteredRequestsPerSecond: Math.round(filtered.requests.average),
      filteredP99ms: filtered.latency.p99,
      target: { requestsPerSecond: 2000, p99ms: 20 },
    })}\n`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
