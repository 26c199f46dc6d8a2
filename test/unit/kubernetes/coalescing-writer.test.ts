import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CoalescingWriter, type WriteStep } from "../../../src/status/kubernetes/coalescing-writer.js";
import { ExponentialBackoff } from "../../../src/util/rate-limiter.js";

/** A write that completes only when released, recording what it wrote. */
function gate() {
  const written: string[] = [];
  const pending: (() => void)[] = [];
  let failNext: unknown;
  const step = (slot: string, key: string): WriteStep => ({
    slot,
    key,
    write: () =>
      new Promise<void>((resolve, reject) => {
        pending.push(() => {
          if (failNext !== undefined) {
            const error = failNext;
            failNext = undefined;
            reject(error);
            return;
          }
          written.push(`${slot}=${key}`);
          resolve();
        });
      }),
  });
  const releaseAll = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { written, pending, step, releaseAll, fail: (error: unknown) => void (failNext = error) };
}

describe("CoalescingWriter", () => {
  test("a burst for one object is one write in flight, then the latest body only", async () => {
    const g = gate();
    const writer = new CoalescingWriter();
    writer.start();
    writer.put("Run/ns/a", [g.step("status", "1")]);
    writer.put("Run/ns/a", [g.step("status", "2")]);
    writer.put("Run/ns/a", [g.step("status", "3")]);
    assert.equal(g.pending.length, 1, "one write per object in flight");
    await g.releaseAll();
    await writer.idle();
    assert.deepEqual(g.written, ["status=1", "status=3"]);
    assert.equal(writer.writes, 2);
  });

  test("a body equal to the last written is not written again; steps are skipped one by one", async () => {
    const g = gate();
    const writer = new CoalescingWriter();
    writer.start();
    writer.put("Run/ns/a", [g.step("object", "o1"), g.step("status", "s1")]);
    await g.releaseAll();
    await writer.idle();
    writer.put("Run/ns/a", [g.step("object", "o1"), g.step("status", "s1")]);
    assert.equal(g.pending.length, 0);
    writer.put("Run/ns/a", [g.step("object", "o1"), g.step("status", "s2")]);
    await g.releaseAll();
    await writer.idle();
    assert.deepEqual(g.written, ["object=o1", "status=s1", "status=s2"]);
  });

  test("objects are written concurrently up to the limit", async () => {
    const g = gate();
    const writer = new CoalescingWriter({ concurrency: 2 });
    writer.start();
    for (const name of ["a", "b", "c"]) writer.put(`Run/ns/${name}`, [g.step("status", name)]);
    assert.equal(g.pending.length, 2);
    await g.releaseAll();
    await writer.idle();
    assert.deepEqual(g.written.sort(), ["status=a", "status=b", "status=c"]);
  });

  test("a failed write is retried with backoff; an object that is gone (404) is dropped", async () => {
    const g = gate();
    const lines: string[] = [];
    const writer = new CoalescingWriter({ backoff: new ExponentialBackoff<string>(1, 5), log: (l) => lines.push(l) });
    writer.start();
    g.fail(Object.assign(new Error("etcd timeout"), { code: 500 }));
    writer.put("Benchmark/ns/x", [g.step("status", "1")]);
    await g.releaseAll();
    for (let i = 0; i < 50 && g.pending.length === 0; i += 1) await new Promise((r) => setTimeout(r, 5));
    await g.releaseAll();
    await writer.idle();
    assert.deepEqual(g.written, ["status=1"]);
    assert.match(lines[0]!, /Benchmark\/ns\/x: etcd timeout; retrying in \d+ ms/);
    g.fail(Object.assign(new Error("not found"), { code: 404 }));
    writer.put("Benchmark/ns/x", [g.step("status", "2")]);
    await g.releaseAll();
    await writer.idle();
    assert.equal(g.pending.length, 0, "not retried");
    assert.deepEqual(g.written, ["status=1"]);
  });

  test("nothing is written before start; what was put meanwhile is written then", async () => {
    const g = gate();
    const writer = new CoalescingWriter();
    writer.put("Run/ns/a", [g.step("status", "1")]);
    assert.equal(g.pending.length, 0);
    writer.start();
    assert.equal(g.pending.length, 1);
    await g.releaseAll();
    await writer.idle();
    assert.deepEqual(g.written, ["status=1"]);
  });
});

describe("CoalescingWriter: urgent objects", () => {
  test("an urgent object is written before the others waiting", async () => {
    const g = gate();
    const writer = new CoalescingWriter({ concurrency: 1 });
    writer.start();
    for (const name of ["r1", "r2", "r3"]) writer.put(`Run/ns/${name}`, [g.step("status", name)]);
    writer.put("Benchmark/ns/b", [g.step("status", "b")], { urgent: true });
    await g.releaseAll();
    await writer.idle();
    assert.deepEqual(g.written, ["status=r1", "status=b", "status=r2", "status=r3"]);
  });
});
