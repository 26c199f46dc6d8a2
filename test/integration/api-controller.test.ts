/**
 * The status API on the real controller (in process, as `multiverse controller --listen` runs it): the real
 * ControllerPort behind readyz, metrics, SSE and cancel. A benchmark whose dataset cannot be resolved is applied
 * and reported on without running anything, so this needs no container engine.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApiServer } from "../../src/api/server.js";
import { createExecutor } from "../../src/executors/registry.js";
import { readJournal } from "../../src/journal/journal.js";
import { startController, type RunningController } from "../../src/services/controller-service.js";
import { FileSource } from "../../src/sources/file-source.js";
import { tempDir } from "../helpers/fixtures.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

describe("status API on the real controller", { timeout: TEST_HANG_GUARD_MS }, () => {
  let work: string;
  let cleanup: () => void;
  let stateRoot: string;
  let watchDir: string;
  let controller: RunningController;
  let base: string;

  before(async () => {
    ({ dir: work, cleanup } = tempDir("api-controller"));
    stateRoot = join(work, "state");
    watchDir = join(work, "watch");
    mkdirSync(watchDir, { recursive: true });
    controller = await startController({
      stateRoot,
      watchDir,
      source: new FileSource({ directory: watchDir, debounceMs: 50 }),
      makeExecutor: (backend, root) => createExecutor(backend, { stateRoot: root }),
      defaultBackend: "local",
      log: () => undefined,
      startApi: async (port) => {
        const server = await createApiServer({ stateRoot, controller: port, port: 0, heartbeatMs: 60_000 });
        return { address: server.address, close: () => server.close() };
      },
    });
    base = controller.apiAddress!;
  });

  after(async () => {
    await controller.stop();
    cleanup();
  });

  test("readyz, and metrics that agree with the journal", async () => {
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const text = await (await fetch(`${base}/metrics`)).text();
    const seq = Number(/^multiverse_journal_seq (\d+)$/m.exec(text)![1]);
    assert.equal(seq, readJournal(stateRoot).records.at(-1)?.seq ?? 0);
    assert.match(text, /^multiverse_journal_lag 0$/m);
  });

  test("a file drop reaches SSE clients as journal events, then the benchmark is listed with its status", async () => {
    const abort = new AbortController();
    const events = await fetch(`${base}/api/v1/events`, { signal: abort.signal });
    const reader = events.body!.getReader();
    writeFileSync(
      join(watchDir, "b.yaml"),
      [
        "apiVersion: multiverse.io/v1alpha1",
        "kind: Benchmark",
        "metadata: {name: api-demo}",
        "spec:",
        "  experimentName: api-demo",
        "  jobs:",
        "    - {name: j, dataset: nowhere, model: contract-test, seeds: [0]}",
        "",
      ].join("\n"),
    );
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("event: BENCHMARK_STATUS")) text += decoder.decode((await reader.read()).value);
    abort.abort();
    assert.match(text, /event: BENCHMARK_APPLIED\ndata: \{[^\n]*"name":"api-demo"/);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(ids, readJournal(stateRoot).records.filter((r) => r.seq >= ids[0]!).map((r) => r.seq), "every appended record, in order");

    const list = (await (await fetch(`${base}/api/v1/benchmarks`)).json()) as { items: { name: string; generation: number; conditions: { type: string; status: string }[] }[] };
    const demo = list.items.find((b) => b.name === "api-demo");
    assert.ok(demo, JSON.stringify(list));
    assert.equal(demo.generation, 1);
    assert.ok(demo.conditions.length > 0);
  });

  test("cancel goes through the controller: an unknown run is a 404 in the one error shape", async () => {
    const response = await fetch(`${base}/api/v1/runs/no-such-run/cancel`, { method: "POST" });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "MV_NOT_FOUND");
  });
});
