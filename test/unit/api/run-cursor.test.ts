/** Keyset paging: cursors round-trip, bad ones are refused, and pages by cursor equal pages by offset on a real index. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeCursor, encodeCursor } from "../../../src/api/run-cursor.js";
import { toApiError } from "../../../src/api/errors.js";
import { isMultiverseError } from "../../../src/domain/errors.js";
import { RunIndex, type RunFilter } from "../../../src/index/run-index.js";
import type { JournalRecord } from "../../../src/journal/records.js";
import { move, plan } from "../index/fixtures.js";

describe("run cursors", () => {
  test("encode and decode round-trip, in URL-safe characters", () => {
    const position = { benchmark: "b/é", jobName: "job+1", seed: -3, runId: "f".repeat(24) };
    const text = encodeCursor(position);
    assert.match(text, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(text), position);
  });

  test("anything else is a 400 naming the parameter", () => {
    for (const bad of ["", "!!", Buffer.from("[1,2]").toString("base64url"), Buffer.from('["a","b",1.5,"r"]').toString("base64url"), Buffer.from('{"a":1}').toString("base64url")]) {
      assert.throws(() => decodeCursor(bad), (e: unknown) => isMultiverseError(e) && toApiError(e).status === 400 && /querystring\.cursor/.test(e.message), bad);
    }
  });

  test("paging by cursor yields exactly the offset listing, with and without the benchmark and phase filters", () => {
    const index = RunIndex.openInMemory();
    const records: JournalRecord[] = [];
    let seq = 0;
    const add = (r: object) => records.push({ seq: ++seq, ts: "2026-03-01T10:00:00.000Z", ...r } as JournalRecord);
    for (let i = 0; i < 60; i += 1) {
      const runId = (i * 7919).toString(16).padStart(24, "0");
      // Equal job names and seeds across benchmarks, so every column of the order matters.
      add(plan(runId, { benchmark: `b${i % 3}`, jobName: `j${i % 4}`, seed: i % 5 }));
      if (i % 2 === 0) add(move(runId, "PENDING", "ADMITTED", "ADMIT", { attempt: 1 }));
    }
    index.apply(records);
    const filters: RunFilter[] = [{}, { benchmark: "b1" }, { phase: "ADMITTED" }, { benchmark: "b2", phase: "PENDING" }];
    for (const filter of filters) {
      const all = index.listRuns(filter);
      assert.ok(all.length >= 7, JSON.stringify(filter));
      const paged = [];
      let after: ReturnType<typeof decodeCursor> | undefined;
      for (;;) {
        const page = index.listRuns({ ...filter, limit: 4, ...(after ? { after } : {}) });
        paged.push(...page);
        if (page.length < 4) break;
        after = decodeCursor(encodeCursor(page[page.length - 1]!));
      }
      assert.deepEqual(paged.map((r) => r.runId), all.map((r) => r.runId), JSON.stringify(filter));
    }
    index.close();
  });
});
