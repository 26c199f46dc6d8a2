/** The status API over real HTTP on loopback, against a real journal and a real SQLite index. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Journal } from "../../../src/journal/journal.js";
import type { JournalRecord, NewJournalRecord } from "../../../src/journal/records.js";
import { indexPath, RunIndex } from "../../../src/index/run-index.js";
import { createApiServer, type ApiServer } from "../../../src/api/server.js";
import type { ControllerPort } from "../../../src/status/controller-port.js";
import { MANIFEST_FILE, MANIFEST_SHA_FILE, manifestShaLine } from "../../../src/artifacts/manifest.js";
import { sha256Hex } from "../../../src/identity/hash.js";
import { launch, move, plan, steppingClock } from "../index/fixtures.js";
import { waitFor } from "../../helpers/wait.js";

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
  const manifest = `${JSON.stringify({ schema_version: "1", logical_run_id: RUN_A, physical_run_id: ATTEMPT_A, job_name: "pca", artifacts: [{ path: "embeddings.h5", role: "embeddings", size_bytes: 10, sha256: "f".repeat(64) }] }, null, 2)}\n`;
  writeFileSync(join(bundle, MANIFEST_FILE), manifest);
  writeFileSync(join(bundle, MANIFEST_SHA_FILE), manifestShaLine(manifest));
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

/** Polls until `condition` holds (the shared helper, with its generous deadline). */
async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  await waitFor(what, condition, 20_000, 10);
}

async function getJson<T>(path: string, status = 200): Promise<T> {
  const response = await fetch(`${base}${path}`);
  const body = (await response.json()) as T;
  assert.equal(response.status, status, `${path}: ${JSON.stringify(body)}`);
  return body;
}

describe("status API", { timeout: 30_000 }, () => {
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

  test("runs by cursor: the same runs as by offset, nextCursor null on the last page, bad combinations refused", async () => {
    type Page = { items: { runId: string }[]; total: number; offset: number | null; next: number | null; nextCursor: string | null };
    const all = await getJson<Page>("/api/v1/runs?benchmark=bulk&limit=100");
    assert.equal(all.nextCursor, null);
    const seen: string[] = [];
    let page = await getJson<Page>("/api/v1/runs?benchmark=bulk&limit=10");
    seen.push(...page.items.map((r) => r.runId));
    while (page.nextCursor) {
      page = await getJson<Page>(`/api/v1/runs?benchmark=bulk&limit=10&cursor=${page.nextCursor}`);
      assert.equal(page.offset, null);
      assert.equal(page.total, 25);
      seen.push(...page.items.map((r) => r.runId));
    }
    assert.deepEqual(seen, all.items.map((r) => r.runId));
    const first = await getJson<Page>("/api/v1/runs?benchmark=bulk&limit=10");
    const both = await getJson<{ error: { message: string } }>(`/api/v1/runs?benchmark=bulk&offset=10&cursor=${first.nextCursor}`, 400);
    assert.match(both.error.message, /either offset or cursor/);
    const elsewhere = await getJson<{ error: { message: string } }>(`/api/v1/runs?benchmark=demo&cursor=${first.nextCursor}`, 400);
    assert.match(elsewhere.error.message, /cursor belongs to a listing of benchmark "bulk"/);
    assert.match((await getJson<{ error: { message: string } }>("/api/v1/runs?cursor=bm90LWEtY3Vyc29y", 400)).error.message, /querystring\.cursor/);
    assert.match((await getJson<{ error: { message: string } }>("/api/v1/runs?cursor=has%20space", 400)).error.message, /cursor/);
  });

  for (const [query, field] of [["limit=-1", "limit"], ["limit=abc", "limit"], ["limit=5000", "limit"], ["phase=SLEEPING", "phase"], ["offset=-3", "offset"], ["colour=red", "colour"]] as const) {
    test(`a bad query (${query}) is a 400 naming the field`, async () => {
      const body = await getJson<{ error: { code: string; message: string; details: string[] } }>(`/api/v1/runs?${query}`, 400);
      assert.equal(body.error.code, "MV_BAD_REQUEST");
      assert.match(JSON.stringify(body.error), new RegExp(field));
    });
  }

  test("a run's MLflow projection state per attempt: pending with why, then synced with its MLflow ids", async () => {
    const projection = (state: "pending" | "synced", message: string, ids: { experimentId?: string; mlflowRunId?: string } = {}): NewJournalRecord => ({
      type: "TRACKING_PROJECTION",
      runId: RUN_B,
      attemptId: `${RUN_B.slice(0, 12)}-own1-a1`,
      target: "mlflow",
      state,
      trackingUri: "http://127.0.0.1:25000",
      experimentName: "demo",
      ...ids,
      message,
    });
    type Detail = { tracking: { attemptId: string; state: string; experimentId: string | null; mlflowRunId: string | null; message: string }[] };
    assert.deepEqual((await getJson<Detail>(`/api/v1/runs/${RUN_B}`)).tracking, []);
    controller.append([projection("pending", "MLflow run opened", { experimentId: "7", mlflowRunId: "abc" }), projection("pending", "connection refused; retrying in 5 s")]);
    let tracking = (await getJson<Detail>(`/api/v1/runs/${RUN_B}`)).tracking;
    assert.equal(tracking.length, 1);
    assert.deepEqual([tracking[0]!.state, tracking[0]!.message, tracking[0]!.mlflowRunId, tracking[0]!.experimentId], ["pending", "connection refused; retrying in 5 s", "abc", "7"], "a later record without ids keeps the ids learnt");
    controller.append([projection("synced", "updated: 12 metric points")]);
    tracking = (await getJson<Detail>(`/api/v1/runs/${RUN_B}`)).tracking;
    assert.deepEqual([tracking[0]!.state, tracking[0]!.mlflowRunId], ["synced", "abc"]);
  });

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
    const promoted = await getJson<{ artifacts: { path: string; sha256: string; size_bytes: number }[]; manifestSha256: string; manifestMatchesSidecar: boolean; artifactProblems: string[] }>(`/api/v1/runs/${RUN_A}`);
    assert.deepEqual(promoted.artifacts, [{ path: "embeddings.h5", role: "embeddings", size_bytes: 10, sha256: "f".repeat(64) }]);
    assert.equal(promoted.manifestSha256, sha256Hex(readFileSync(join(root, "artifacts", ATTEMPT_A, MANIFEST_FILE))));
    assert.equal(promoted.manifestMatchesSidecar, true);
    assert.deepEqual(promoted.artifactProblems, []);
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
    const pending = (t: string) => Number(/^multiverse_runs\{phase="PENDING"\} (\d+)$/m.exec(t)![1]);
    controller.append([plan("6".repeat(24), { benchmark: "metrics", jobName: "m" })]);
    assert.equal(pending(await (await fetch(`${base}/metrics`)).text()), pending(text) + 1, "counts follow the index");
  });

  test("the OpenAPI document lists every route with its parameters", async () => {
    const doc = await getJson<{ openapi: string; paths: Record<string, Record<string, { parameters: { name: string }[] }>> }>("/openapi.json");
    assert.equal(doc.openapi, "3.1.0");
    for (const path of ["/healthz", "/readyz", "/metrics", "/api/v1/benchmarks", "/api/v1/runs", "/api/v1/runs/{id}", "/api/v1/runs/{id}/logs", "/api/v1/events", "/api/v1/runs/{id}/cancel"]) {
      assert.ok(doc.paths[path], path);
    }
    assert.deepEqual(doc.paths["/api/v1/runs"]!.get!.parameters.map((p) => p.name).sort(), ["benchmark", "cursor", "limit", "offset", "phase"]);
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
    // Each line is appended once the client has seen the previous one, so the follow really streams appended lines.
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    const readUntil = async (line: string) => {
      while (!received.includes(line)) {
        const { value, done } = await reader.read();
        if (done) assert.fail(`the follow ended before it sent ${JSON.stringify(line)}; it sent ${JSON.stringify(received)}`);
        received += decoder.decode(value);
      }
    };
    await readUntil("start\n");
    appendFileSync(join(wsC, "run.log"), "epoch 2\n");
    await readUntil("epoch 2\n");
    appendFileSync(join(wsC, "run.log"), "done\n");
    controller.append([move(runC, "RUNNING", "FAILED", "EXITED_FAILED", { attempt: 1, attemptId: attemptC, reason: "nonzero_exit" })]);
    const body = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return received;
        received += decoder.decode(value);
      }
    })();
    assert.equal(await body, "start\nepoch 2\ndone\n", "the stream ends by itself once the run is terminal");
  });

  test("one benchmark by name; an ambiguous run prefix is a 409 listing the candidates", async () => {
    const demo = await getJson<{ name: string; generation: number; runIds: string[]; phaseCounts: Record<string, number> }>("/api/v1/benchmarks/demo");
    assert.equal(demo.name, "demo");
    assert.equal(demo.generation, 1);
    assert.deepEqual(demo.runIds, [RUN_A, RUN_B]);
    const ambiguous = await getJson<{ error: { code: string; details: string[] } }>("/api/v1/runs/j1", 409);
    assert.equal(ambiguous.error.code, "MV_AMBIGUOUS");
    assert.ok(ambiguous.error.details.length >= 2 && ambiguous.error.details.every((d) => /\bj1\d?-s/.test(d)), ambiguous.error.details.join("; "));
    const byName = await getJson<{ run: { name: string } }>("/api/v1/runs/j12-s12");
    assert.match(byName.run.name, /^j12-s12-/);
    const cancelUnknown = await fetch(`${base}/api/v1/runs/nothing-like-it/cancel`, { method: "POST", headers: { authorization: "Bearer s3cret" } });
    assert.equal(cancelUnknown.status, 404);
    assert.equal(((await cancelUnknown.json()) as { error: { code: string } }).error.code, "MV_NOT_FOUND");
  });

  test("logs: each source by name, a chosen attempt, and a 404 naming a log that is not written yet", async () => {
    writeFileSync(join(workspace, "container.log"), "container says hi\n");
    const container = await fetch(`${base}/api/v1/runs/${RUN_A}/logs?source=container`);
    assert.equal(container.status, 200);
    assert.match(container.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(await container.text(), "container says hi\n");
    assert.equal(await (await fetch(`${base}/api/v1/runs/${RUN_A}/logs?source=model&attempt=1`)).text(), "epoch 1\n");
    assert.equal((await fetch(`${base}/api/v1/runs/${RUN_A}/logs?attempt=7`)).status, 404);
    const missing = await getJson<{ error: { code: string; message: string } }>(`/api/v1/runs/${RUN_A}/logs?source=orchestrator`, 404);
    assert.match(missing.error.message, /orchestrator\.log does not exist \(yet\)/);
    assert.equal((await fetch(`${base}/api/v1/runs/${RUN_A}/logs?follow=maybe`)).status, 400);
  });

  test("log follow of a run that already ended sends the whole log and ends at once", async () => {
    const started = Date.now();
    const response = await fetch(`${base}/api/v1/runs/${RUN_A}/logs?follow=true`);
    assert.equal(await response.text(), "epoch 1\n");
    assert.ok(Date.now() - started < 1000);
  });

  test("log follow waits for a log that does not exist yet; a client that leaves is unsubscribed", async () => {
    const runD = "8".repeat(24);
    const attemptD = `${runD.slice(0, 12)}-own1-a1`;
    const wsD = join(root, "workspaces", attemptD);
    mkdirSync(wsD, { recursive: true });
    controller.append([
      plan(runD, { benchmark: "follow", jobName: "late" }),
      move(runD, "PENDING", "ADMITTED", "ADMIT", { attempt: 1, attemptId: attemptD }),
      { ...launch(runD, attemptD), workspaceDir: wsD } as NewJournalRecord,
      move(runD, "ADMITTED", "RUNNING", "STARTED", { attempt: 1, attemptId: attemptD }),
    ]);
    const listenersBefore = controller.listeners.size;
    const abort = new AbortController();
    const response = await fetch(`${base}/api/v1/runs/${runD}/logs?follow=true&source=container`, { signal: abort.signal });
    assert.equal(response.status, 200);
    assert.equal(controller.listeners.size, listenersBefore + 1);
    const reader = response.body!.getReader();
    writeFileSync(join(wsD, "container.log"), "appeared\n");
    let text = "";
    const decoder = new TextDecoder();
    while (!text.includes("appeared\n")) text += decoder.decode((await reader.read()).value);
    abort.abort();
    await waitUntil(() => controller.listeners.size === listenersBefore, "the follow unsubscribes when its client leaves");
  });

  test("SSE: since= replays like Last-Event-ID; an id beyond the journal does not hold back live records; leaving unsubscribes", async () => {
    const listenersBefore = controller.listeners.size;
    const last = controller.journal.lastSeq;
    const since = await fetch(`${base}/api/v1/events?since=${last - 2}`);
    const reader = since.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while ([...text.matchAll(/^id: /gm)].length < 2) text += decoder.decode((await reader.read()).value);
    assert.deepEqual([...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])), [last - 1, last]);
    await reader.cancel();

    const ahead = await fetch(`${base}/api/v1/events`, { headers: { "last-event-id": String(last + 1000) } });
    const reader2 = ahead.body!.getReader();
    const [live] = controller.append([plan("7".repeat(24), { benchmark: "live", jobName: "after-reset" })]);
    let text2 = "";
    while (!text2.includes(`id: ${live!.seq}\n`)) text2 += decoder.decode((await reader2.read()).value);
    await reader2.cancel();
    assert.equal((await fetch(`${base}/api/v1/events?since=-1`)).status, 400);
    await waitUntil(() => controller.listeners.size === listenersBefore, "SSE clients that left are unsubscribed");
  });

  test("off loopback with a token the server starts; reads are open, the cancel needs the token", async () => {
    const open = await createApiServer({ stateRoot: root, controller, host: "0.0.0.0", port: 0, token: "t0ken" });
    try {
      const port = new URL(open.address).port;
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/runs/${RUN_B}/cancel`, { method: "POST" })).status, 401);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/runs/${RUN_B}/cancel`, { method: "POST", headers: { authorization: "Bearer t0ken" } })).status, 202);
    } finally {
      await open.close();
    }
  });

  test("off loopback without a token the server refuses to start", async () => {
    await assert.rejects(createApiServer({ stateRoot: root, controller, host: "0.0.0.0", port: 0 }), /off loopback: give a bearer token/);
  });
});

