/** The status API over real HTTP on loopback, against a real journal and a real SQLite index. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Journal } from "../../../src/journal/journal.js";
import type { JournalRecord, NewJournalRecord } from "../../../src/journal/records.js";
import { indexPath, RunIndex } from "../../../src/index/run-index.js";
import { createApiServer, type ApiServer } from "../../../src/api/server.js";
import type { ControllerPort } from "../../../src/api/controller-port.js";
import { launch, move, plan, steppingClock } from "../index/fixtures.js";

const RUN_A = "a".repeat(24);
const RUN_B = "b".repeat(24);
const ATTEMPT_A = `${RUN_A.slice(0, 12)}-own1-a1`;

/** The controller side for tests: appends to the real journal and index, and tells subscribers. */
class TestController implements ControllerPort {
  readonly listeners = new Set<(records: readonly JournalRecord[]) => void>();
  cancelled: string[] = [];
  isReady = true;
  constructor(readonly journal: Journal, readonly index: RunIndex) {}
  append(records: NewJournalRecord[]): JournalRecord[] {
    const written = this.journal.append(records);
    this.index.apply(written);
    for (const l of this.listeners) l(written);
    return written;
  }
  ready() {
    return this.isReady;
  }
  metrics() {
    return { queueDepth: 3, reconcileSeconds: [0.002, 0.02, 0.3], journalSeq: this.journal.lastSeq, indexSeq: this.index.lastAppliedSeq };
  }
  subscribe(listener: (records: readonly JournalRecord[]) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async cancelRun(idOrName: string) {
    const row = this.index.getRun(idOrName);
    this.cancelled.push(row.runId);
    return { runId: row.runId, phase: row.phase };
  }
}

let root: string;
let controller: TestController;
let server: ApiServer;
let base: string;
let workspace: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "mv-api-"));
  const journal = Journal.open(root, { clock: steppingClock() });
  const index = RunIndex.open(indexPath(root));
  controller = new TestController(journal, index);
  workspace = join(root, "workspaces", ATTEMPT_A);
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, "run.log"), "epoch 1\n");
  const bundle = join(root, "artifacts", ATTEMPT_A);
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, "artifact_manifest.json"), JSON.stringify({ artifacts: [{ path: "embeddings.h5", role: "embeddings", size_bytes: 10, sha256: "f".repeat(64) }] }));
  controller.append([
    { type: "BENCHMARK_APPLIED", name: "demo", generation: 1, specHash: "h", file: "/w/demo.yaml", line: 1, jobs: 1 },
    plan(RUN_A, { benchmark: "demo", jobName: "pca" }),
    plan(RUN_B, { benchmark: "demo", jobName: "mofa" }),
    move(RUN_A, "PENDING", "ADMITTED", "ADMIT", { attempt: 1, attemptId: ATTEMPT_A }),
    { ...launch(RUN_A, ATTEMPT_A), workspaceDir: workspace } as NewJournalRecord,
    move(RUN_A, "ADMITTED", "RUNNING", "STARTED", { attempt: 1, attemptId: ATTEMPT_A }),
    {
      type: "BENCHMARK_STATUS",
      name: "demo",
      observedGeneration: 1,
      conditions: [{ type: "Ready", status: "False", reason: "RunsInProgress", message: "0 of 2", lastTransitionTime: "t", observedGeneration: 1 }],
      runIds: [RUN_A, RUN_B],
    },
  ]);
  for (let i = 0; i < 25; i += 1) controller.append([plan(`${i.toString(16).padStart(2, "0")}${"c".repeat(22)}`, { benchmark: "bulk", jobName: `j${i}`, seed: i })]);
  server = await createApiServer({ stateRoot: root, controller, port: 0, token: "s3cret", heartbeatMs: 200, followIntervalMs: 50 });
  base = server.address;
});

after(async () => {
  await server.close();
  controller.index.close();
  controller.journal.close();
  rmSync(root, { recursive: true, force: true });
});

async function getJson<T>(path: string, status = 200): Promise<T> {
  const response = await fetch(`${base}${path}`);
  const body = (await response.json()) as T;
  assert.equal(response.status, status, `${path}: ${JSON.stringify(body)}`);
  return body;
}

describe("status API", () => {
  test("healthz and readyz", async () => {
    assert.deepEqual(await getJson("/healthz"), { status: "ok" });
    assert.deepEqual(await getJson("/readyz"), { status: "ready" });
    controller.isReady = false;
    const notReady = await getJson<{ error: { code: string } }>("/readyz", 503);
    assert.equal(notReady.error.code, "MV_NOT_READY");
    controller.isReady = true;
  });

  test("runs: filters, pagination with total and next, and the phase filter checked against the known phases", async () => {
    const page = await getJson<{ items: { runId: string; benchmark: string }[]; total: number; next: number | null }>("/api/v1/runs?benchmark=bulk&limit=10");
    assert.equal(page.items.length, 10);
    assert.equal(page.total, 25);
    assert.equal(page.next, 10);
    const last = await getJson<{ items: unknown[]; next: number | null }>("/api/v1/runs?benchmark=bulk&limit=10&offset=20");
    assert.equal(last.items.length, 5);
    assert.equal(last.next, null);
    const running = await getJson<{ items: { runId: string }[] }>("/api/v1/runs?phase=RUNNING");
    assert.deepEqual(running.items.map((r) => r.runId), [RUN_A]);
  });

  for (const [query, field] of [["limit=-1", "limit"], ["limit=abc", "limit"], ["limit=5000", "limit"], ["phase=SLEEPING", "phase"], ["offset=-3", "offset"], ["colour=red", "colour"]] as const) {
    test(`a bad query (${query}) is a 400 naming the field`, async () => {
      const body = await getJson<{ error: { code: string; message: string; details: string[] } }>(`/api/v1/runs?${query}`, 400);
      assert.equal(body.error.code, "MV_BAD_REQUEST");
      assert.match(JSON.stringify(body.error), new RegExp(field));
    });
  }

  test("a run by id, prefix or name, with attempts, transitions and its artifacts' checksums", async () => {
    const detail = await getJson<{ run: { runId: string; phase: string }; attempts: { attemptId: string }[]; transitions: unknown[]; artifacts: null }>(`/api/v1/runs/${RUN_A.slice(0, 10)}`);
    assert.equal(detail.run.runId, RUN_A);
    assert.equal(detail.run.phase, "RUNNING");
    assert.deepEqual(detail.attempts.map((a) => a.attemptId), [ATTEMPT_A]);
    assert.equal(detail.transitions.length, 2);
    assert.equal(detail.artifacts, null, "not promoted yet");
    controller.append([
      move(RUN_A, "RUNNING", "ARTIFACT_SUCCESS", "PROMOTED", { attempt: 1, attemptId: ATTEMPT_A, artifactDir: join(root, "artifacts", ATTEMPT_A) }),
    ]);
    const promoted = await getJson<{ artifacts: { sha256: string }[]; manifestSha256: string }>(`/api/v1/runs/${RUN_A}`);
    assert.equal(promoted.artifacts[0]!.sha256, "f".repeat(64));
    assert.match(promoted.manifestSha256, /^[0-9a-f]{64}$/);
    assert.equal((await getJson<{ error: { code: string } }>("/api/v1/runs/zzzz", 404)).error.code, "MV_NOT_FOUND");
  });

  test("benchmarks with conditions and phase counts", async () => {
    const list = await getJson<{ items: { name: string; observedGeneration: number; conditions: { reason: string }[]; phaseCounts: Record<string, number> }[] }>("/api/v1/benchmarks");
    const demo = list.items.find((b) => b.name === "demo")!;
    assert.equal(demo.observedGeneration, 1);
    assert.equal(demo.conditions[0]!.reason, "RunsInProgress");
    assert.equal(Object.values(demo.phaseCounts).reduce((a, b) => a + b, 0), 2);
    assert.equal((await getJson<{ error: { code: string } }>("/api/v1/benchmarks/nope", 404)).error.code, "MV_NOT_FOUND");
  });

  test("cancel needs the bearer token; with it, the controller is asked", async () => {
    const none = await fetch(`${base}/api/v1/runs/${RUN_B}/cancel`, { method: "POST" });
    assert.equal(none.status, 401);
    const wrong = await fetch(`${base}/api/v1/runs/${RUN_B}/cancel`, { method: "POST", headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 403);
    const ok = await fetch(`${base}/api/v1/runs/${RUN_B}/cancel`, { method: "POST", headers: { authorization: "Bearer s3cret" } });
    assert.equal(ok.status, 202);
    assert.deepEqual(await ok.json(), { runId: RUN_B, phase: "PENDING" });
    assert.deepEqual(controller.cancelled, [RUN_B]);
  });

  test("metrics in Prometheus text format", async () => {
    const response = await fetch(`${base}/metrics`);
    assert.match(response.headers.get("content-type") ?? "", /text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const line of text.trim().split("\n")) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[a-z]+="[^"]*"\})? [0-9.e+-]+)$/, line);
    assert.match(text, /multiverse_runs\{phase="PENDING"\} \d+/);
    assert.match(text, /multiverse_queue_depth 3/);
    assert.match(text, /multiverse_reconcile_duration_seconds_bucket\{le="0.005"\} 1/);
    assert.match(text, /multiverse_reconcile_duration_seconds_count 3/);
    assert.match(text, /multiverse_journal_lag 0/);
  });

  test("the OpenAPI document lists every route with its parameters", async () => {
    const doc = await getJson<{ openapi: string; paths: Record<string, Record<string, { parameters: { name: string }[] }>> }>("/openapi.json");
    assert.equal(doc.openapi, "3.1.0");
    for (const path of ["/healthz", "/readyz", "/metrics", "/api/v1/benchmarks", "/api/v1/runs", "/api/v1/runs/{id}", "/api/v1/runs/{id}/logs", "/api/v1/events", "/api/v1/runs/{id}/cancel"]) {
      assert.ok(doc.paths[path], path);
    }
    assert.deepEqual(doc.paths["/api/v1/runs"]!.get!.parameters.map((p) => p.name).sort(), ["benchmark", "limit", "offset", "phase"]);
  });

  test("SSE: live records as events, and a reconnect with Last-Event-ID gets the missed ones", async () => {
    const controllerAbort = new AbortController();
    const response = await fetch(`${base}/api/v1/events`, { signal: controllerAbort.signal });
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const [written] = controller.append([plan("d".repeat(24), { benchmark: "live", jobName: "x" })]);
    while (!text.includes(`id: ${written!.seq}\n`)) text += decoder.decode((await reader.read()).value);
    assert.match(text, new RegExp(`id: ${written!.seq}\\nevent: RUN_PLANNED\\ndata: \\{`));
    controllerAbort.abort();
    // Missed while disconnected:
    const missed = controller.append([plan("e".repeat(24), { benchmark: "live", jobName: "y" }), plan("f".repeat(24), { benchmark: "live", jobName: "z" })]);
    const again = await fetch(`${base}/api/v1/events`, { headers: { "last-event-id": String(written!.seq) } });
    const reader2 = again.body!.getReader();
    let text2 = "";
    while (!text2.includes(`id: ${missed[1]!.seq}\n`)) text2 += decoder.decode((await reader2.read()).value);
    const ids = [...text2.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(ids, missed.map((r) => r.seq), "exactly the missed records, in order, once");
    while (!text2.includes(": keep-alive")) text2 += decoder.decode((await reader2.read()).value);
    await reader2.cancel();
  });

  test("logs: the whole file, and follow streams appended lines until the run is terminal", async () => {
    const plain = await fetch(`${base}/api/v1/runs/${RUN_A}/logs`);
    assert.equal(await plain.text(), "epoch 1\n");
    assert.equal((await fetch(`${base}/api/v1/runs/${RUN_A}/logs?source=nope`)).status, 400);
    assert.equal((await fetch(`${base}/api/v1/runs/${RUN_B}/logs`)).status, 404, "not launched yet");

    // RUN_A is terminal by now (promoted above): use a fresh running run for follow.
    const runC = "9".repeat(24);
    const attemptC = `${runC.slice(0, 12)}-own1-a1`;
    const wsC = join(root, "workspaces", attemptC);
    mkdirSync(wsC, { recursive: true });
    writeFileSync(join(wsC, "run.log"), "start\n");
    controller.append([
      plan(runC, { benchmark: "follow", jobName: "f" }),
      move(runC, "PENDING", "ADMITTED", "ADMIT", { attempt: 1, attemptId: attemptC }),
      { ...launch(runC, attemptC), workspaceDir: wsC } as NewJournalRecord,
      move(runC, "ADMITTED", "RUNNING", "STARTED", { attempt: 1, attemptId: attemptC }),
    ]);
    const response = await fetch(`${base}/api/v1/runs/${runC}/logs?follow=true`);
    const body = response.text();
    await new Promise((r) => setTimeout(r, 150));
    appendFileSync(join(wsC, "run.log"), "epoch 2\n");
    await new Promise((r) => setTimeout(r, 150));
    appendFileSync(join(wsC, "run.log"), "done\n");
    controller.append([move(runC, "RUNNING", "FAILED", "EXITED_FAILED", { attempt: 1, attemptId: attemptC, reason: "nonzero_exit" })]);
    assert.equal(await body, "start\nepoch 2\ndone\n", "the stream ends by itself once the run is terminal");
  });

  test("off loopback without a token the server refuses to start", async () => {
    await assert.rejects(createApiServer({ stateRoot: root, controller, host: "0.0.0.0", port: 0 }), /off loopback: give a bearer token/);
  });
});

