/**
 * Status API: GET /api/v1/runs?limit=100 with 100,000 runs in the index, over loopback, measured with autocannon.
 * Target: over 2,000 requests/s and p99 under 20 ms on the 2-core reference machine.
 *
 * The server runs in a child process (as it would inside `multiverse controller`), so the load generator does not
 * share its event loop. Scenarios: one page polled over and over (a dashboard; served from the page cache until the
 * index changes), the same while the index is written 20 times a second (every write invalidates the cache), pages
 * at random offsets and at random cursors (every request a query), a filtered listing, and run lookups by id prefix. The server also
 * reports its worst event-loop delay, which is what the reconcile loop sharing the process would feel.
 */
import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { Journal } from "../src/journal/journal.js";
import type { NewJournalRecord } from "../src/journal/records.js";
import { indexPath, RunIndex } from "../src/index/run-index.js";
import { createApiServer } from "../src/api/server.js";
import { runSpec } from "../test/helpers/fixtures.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 10;
const FILL_BATCH = 100_000;

type ToServer = { type: "write"; perSecond: number } | { type: "delay-reset" } | { type: "delay-read" } | { type: "stop" };
type FromServer = { type: "ready"; address: string; fillSeconds: number } | { type: "delay"; p99ms: number; maxMs: number };

/** Hash-like ids, as real run ids are (a 12-character prefix is unique). */
function runId(n: number): string {
  return createHash("sha256").update(String(n)).digest("hex").slice(0, 24);
}

/** The child: fills the journal and the index in batches (an append and an index transaction each), then serves. */
async function serve(root: string): Promise<void> {
  const journal = Journal.open(root);
  const index = RunIndex.open(indexPath(root));
  const fillStart = performance.now();
  // In batches: one append of a million records would be a string longer than V8 allows.
  for (let start = 0; start < RUNS; start += FILL_BATCH) {
    const records: NewJournalRecord[] = [];
    for (let n = start; n < Math.min(RUNS, start + FILL_BATCH); n += 1) {
      records.push({ type: "RUN_PLANNED", runId: runId(n), name: `job-${n % 100}-s${n}-${runId(n).slice(-8)}`, spec: runSpec({ benchmark: `bench-${n % 10}`, jobName: `job-${n % 100}`, seed: n }) });
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
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let writer: ReturnType<typeof setInterval> | undefined;
  let n = RUNS;
  const send = (message: FromServer) => process.send!(message);
  process.on("message", (message: ToServer) => {
    if (message.type === "write") {
      clearInterval(writer);
      writer = message.perSecond > 0
        ? setInterval(() => {
            const id = runId(n++);
            index.apply(journal.append([{ type: "RUN_PLANNED", runId: id, name: `w-${n}`, spec: runSpec({ benchmark: "writes", jobName: "w", seed: n }) }]));
          }, 1000 / message.perSecond)
        : undefined;
    } else if (message.type === "delay-reset") delay.reset();
    else if (message.type === "delay-read") send({ type: "delay", p99ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 });
    else {
      clearInterval(writer);
      delay.disable();
      void server.close().then(() => {
        index.close();
        journal.close();
        process.exit(0);
      });
    }
  });
  send({ type: "ready", address: server.address, fillSeconds });
}

async function measure(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "mv-bench-api-"));
  const child = fork(fileURLToPath(import.meta.url), ["serve", root], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const next = <T extends FromServer["type"]>(type: T) =>
    new Promise<Extract<FromServer, { type: T }>>((resolve, reject) => {
      const onMessage = (message: FromServer) => {
        if (message.type !== type) return;
        child.off("message", onMessage);
        resolve(message as Extract<FromServer, { type: T }>);
      };
      child.on("message", onMessage);
      child.once("exit", (code) => reject(new Error(`the API server exited (${code})`)));
    });
  try {
    const { address, fillSeconds } = await next("ready");
    const load = async (label: string, options: Partial<autocannon.Options>) => {
      child.send({ type: "delay-reset" } satisfies ToServer);
      const result = await autocannon({ url: address, connections: CONNECTIONS, duration: SECONDS, ...options });
      child.send({ type: "delay-read" } satisfies ToServer);
      const delay = await next("delay");
      return {
        scenario: label,
        requestsPerSecond: Math.round(result.requests.average),
        p50ms: result.latency.p50,
        p99ms: result.latency.p99,
        errors: result.errors + result.non2xx + result.timeouts,
        serverEventLoopDelayP99ms: +delay.p99ms.toFixed(1),
        serverEventLoopDelayMaxMs: +delay.maxMs.toFixed(1),
      };
    };
    const randomPage = (request: autocannon.Request) => ({ ...request, path: `/api/v1/runs?limit=100&offset=${Math.floor(Math.random() * (RUNS - 100))}` });
    const randomPrefix = (request: autocannon.Request) => ({ ...request, path: `/api/v1/runs/${runId(Math.floor(Math.random() * RUNS)).slice(0, 12)}` });
    // Cursors of pages all through the listing, collected by walking it once (as a client paging by cursor would).
    const cursors: string[] = [];
    for (let cursor: string | null = null, i = 0; i < 100 && (i === 0 || cursor); i += 1) {
      const response: Response = await fetch(`${address}/api/v1/runs?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
      cursor = ((await response.json()) as { nextCursor: string | null }).nextCursor;
      if (cursor) cursors.push(cursor);
    }
    const randomCursor = (request: autocannon.Request) => ({ ...request, path: `/api/v1/runs?limit=100&cursor=${cursors[Math.floor(Math.random() * cursors.length)]}` });
    const results = [];
    results.push(await load("same page (dashboard poll)", { url: `${address}/api/v1/runs?limit=100&offset=500` }));
    child.send({ type: "write", perSecond: 20 } satisfies ToServer);
    results.push(await load("same page, index written 20/s", { url: `${address}/api/v1/runs?limit=100&offset=500` }));
    child.send({ type: "write", perSecond: 0 } satisfies ToServer);
    results.push(await load("random offsets (no cache hits)", { requests: [{ setupRequest: randomPage }] }));
    results.push(await load("random cursors (keyset, no cache hits)", { requests: [{ setupRequest: randomCursor }] }));
    results.push(await load("filtered benchmark+phase", { url: `${address}/api/v1/runs?limit=100&benchmark=bench-3&phase=PENDING` }));
    results.push(await load("run detail by id prefix", { requests: [{ setupRequest: randomPrefix }] }));
    child.send({ type: "stop" } satisfies ToServer);
    await new Promise((resolve) => child.once("exit", resolve));
    const headline = results[0]!;
    const worst = results.slice(0, 5).reduce((a, b) => (b.p99ms > a.p99ms ? b : a));
    process.stdout.write(
      `${JSON.stringify({
        bench: "api-throughput",
        runsInIndex: RUNS,
        fillSeconds: +fillSeconds.toFixed(1),
        connections: CONNECTIONS,
        secondsPerScenario: SECONDS,
        requestsPerSecond: headline.requestsPerSecond,
        p99ms: headline.p99ms,
        worstListingP99ms: worst.p99ms,
        target: { requestsPerSecond: 2000, p99ms: 20 },
        scenarios: results,
      })}\n`,
    );
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === "serve") await serve(process.argv[3]!);
else await measure();
