/**
 * The API's streams over real HTTP with a journal of many segments: SSE replay of thousands of missed records in
 * order, a damaged journal reported as an event, and log follow driven by file events and journal records alone
 * (its fallback poll set to a minute).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Journal } from "../../../src/journal/journal.js";
import type { JournalRecord, NewJournalRecord } from "../../../src/journal/records.js";
import { journalDir, listSegments } from "../../../src/journal/segments.js";
import { indexPath, RunIndex } from "../../../src/index/run-index.js";
import { createApiServer, type ApiServer } from "../../../src/api/server.js";
import type { ControllerPort } from "../../../src/status/controller-port.js";
import { tempDir } from "../../helpers/fixtures.js";
import { launch, move, plan } from "../index/fixtures.js";

/** Appends to the real journal and index, then tells subscribers, as the controller session does. */
class JournalingPort implements ControllerPort {
  readonly listeners = new Set<(records: readonly JournalRecord[]) => void>();
  constructor(readonly journal: Journal, readonly index: RunIndex) {}
  append(records: NewJournalRecord[]): JournalRecord[] {
    const written = this.journal.append(records);
    this.index.apply(written);
    for (const listener of this.listeners) listener(written);
    return written;
  }
  ready() {
    return true;
  }
  metrics() {
    return { queueDepth: 0, reconcileSeconds: [], journalSeq: this.journal.lastSeq, indexSeq: this.index.lastAppliedSeq };
  }
  subscribe(listener: (records: readonly JournalRecord[]) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async cancelRun(idOrName: string) {
    const row = this.index.getRun(idOrName);
    return { runId: row.runId, phase: row.phase };
  }
}

function runId(n: number): string {
  return n.toString(16).padStart(24, "0");
}

/** Reads an SSE response until `done` says so; returns the ids and event names seen. */
async function readEvents(response: Response, done: (ids: number[], text: string) => boolean): Promise<{ ids: number[]; events: string[]; text: string }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let ids: number[] = [];
  for (;;) {
    const { value, done: ended } = await reader.read();
    if (value) text += decoder.decode(value, { stream: true });
    ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    if (ended || done(ids, text)) break;
  }
  await reader.cancel();
  return { ids, events: [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]!), text };
}

describe("API streams", { timeout: 60_000 }, () => {
  let root: string;
  let cleanup: () => void;
  let port: JournalingPort;
  let server: ApiServer;

  before(async () => {
    ({ dir: root, cleanup } = tempDir("api-streams"));
    port = new JournalingPort(Journal.open(root, { segmentBytes: 256 * 1024 }), RunIndex.open(indexPath(root)));
    for (let b = 0; b < 6; b += 1) port.append(Array.from({ length: 500 }, (_, i) => plan(runId(b * 500 + i), { benchmark: "many", seed: b * 500 + i })));
    assert.ok(listSegments(journalDir(root)).length >= 4, "the journal has several segments");
    server = await createApiServer({ stateRoot: root, controller: port, port: 0, followIntervalMs: 60_000, heartbeatMs: 60_000 });
  });

  after(async () => {
    await server.close();
    port.index.close();
    port.journal.close();
    cleanup();
  });

  test("a reconnect with Last-Event-ID from an old segment gets every missed record once, in order, then the live ones", async () => {
    const response = await fetch(`${server.address}/api/v1/events`, { headers: { "last-event-id": "250" } });
    const last = port.journal.lastSeq;
    const pending = readEvents(response, (ids) => ids.length > 0 && ids[ids.length - 1]! >= last + 1);
    // Appended while the replay may still be running: buffered and sent after it, never twice.
    await new Promise((r) => setTimeout(r, 5));
    const [live] = port.append([plan(runId(999_999), { benchmark: "live" })]);
    const { ids } = await pending;
    assert.equal(live!.seq, last + 1);
    assert.deepEqual(ids, Array.from({ length: last + 1 - 250 }, (_, i) => 251 + i));
  });

  test("log follow is driven by file events and the run's terminal transition (no polling)", async () => {
    const id = "f".repeat(24);
    const attemptId = `${id.slice(0, 12)}-own1-a1`;
    const workspace = join(root, "workspaces", attemptId);
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, "run.log"), "epoch 1\n");
    port.append([
      plan(id, { benchmark: "follow" }),
      move(id, "PENDING", "ADMITTED", "ADMIT", { attempt: 1, attemptId }),
      { ...launch(id, attemptId), workspaceDir: workspace } as NewJournalRecord,
      move(id, "ADMITTED", "RUNNING", "STARTED", { attempt: 1, attemptId }),
    ]);
    const started = Date.now();
    const response = await fetch(`${server.address}/api/v1/runs/${id}/logs?follow=true`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("epoch 1\n")) text += decoder.decode((await reader.read()).value);
    appendFileSync(join(workspace, "run.log"), "epoch 2\n");
    while (!text.includes("epoch 2\n")) text += decoder.decode((await reader.read()).value);
    appendFileSync(join(workspace, "run.log"), "last words\n");
    port.append([move(id, "RUNNING", "CANCEL_REQUESTED", "CANCEL", { attempt: 1, attemptId })]);
    port.append([move(id, "CANCEL_REQUESTED", "CANCELLED", "STOPPED", { attempt: 1, attemptId, reason: "cancelled" })]);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    assert.equal(text, "epoch 1\nepoch 2\nlast words\n");
    assert.ok(Date.now() - started < 10_000, "well before the one-minute fallback poll");
  });

  test("a damaged journal segment ends a replay with a STREAM_ERROR event naming the problem", async () => {
    const segments = listSegments(journalDir(root));
    const second = segments[1]!.file;
    const original = readFileSync(second, "utf8");
    const lines = original.split("\n");
    lines[3] = lines[3]!.replace('"benchmark":"many"', '"benchmark":"mony"');
    writeFileSync(second, lines.join("\n"));
    try {
      const response = await fetch(`${server.address}/api/v1/events?since=0`);
      const { events, text } = await readEvents(response, (_ids, t) => t.includes("event: STREAM_ERROR"));
      assert.ok(events.includes("STREAM_ERROR"));
      const data = JSON.parse(/event: STREAM_ERROR\ndata: (.*)\n/.exec(text)![1]!) as { error: { code: string; message: string } };
      assert.equal(data.error.code, "MV_JOURNAL_CORRUPT");
      assert.match(data.error.message, /journal line 4 is damaged/);
    } finally {
      writeFileSync(second, original);
    }
  });
});
