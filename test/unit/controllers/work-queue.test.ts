import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { WorkQueue, type Timers } from "../../../controllers/loop/work-queue.js";

/** Manual timers: the test decides when time passes. */
class FakeTimers implements Timers {
  now = 0;
  private pending: { due: number; callback: () => void; id: number }[] = [];
  private next = 0;
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.push({ due: this.now + ms, callback, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }
  advance(ms: number): void {
    this.now += ms;
    const due = this.pending.filter((p) => p.due <= this.now).sort((a, b) => a.due - b.due);
    this.pending = this.pending.filter((p) => p.due > this.now);
    for (const p of due) p.callback();
  }
  get delays(): number[] {
    return this.pending.map((p) => p.due - this.now);
  }
}

describe("WorkQueue", () => {
  test("deduplicates keys that are queued", async () => {
    const q = new WorkQueue<string>();
    q.add("a");
    q.add("a");
    q.add("b");
    assert.equal(q.length, 2);
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), "b");
  });

  test("never hands out a key that is being processed; re-adds it after done when it became dirty", async () => {
    const q = new WorkQueue<string>();
    q.add("a");
    const key = await q.get();
    assert.equal(key, "a");
    q.add("a");
    assert.equal(q.length, 0, "a key in processing is not queued again");
    q.add("a");
    q.done("a");
    assert.equal(q.length, 1, "dirty key is queued once when done");
    assert.equal(await q.get(), "a");
    q.done("a");
    assert.equal(q.length, 0);
  });

  test("get waits for a key and is released by shutdown", async () => {
    const q = new WorkQueue<string>();
    const waiting = q.get();
    q.add("x");
    assert.equal(await waiting, "x");
    const blocked = q.get();
    q.shutDown();
    assert.equal(await blocked, undefined);
    q.add("y");
    assert.equal(q.length, 0, "a shut-down queue accepts nothing");
  });

  test("per-key exponential backoff, capped, reset by forget", () => {
    const timers = new FakeTimers();
    const q = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 40, timers });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => q.addRateLimited("a")), [5, 10, 20, 40, 40]);
    assert.equal(q.addRateLimited("b"), 5, "backoff is per key");
    q.forget("a");
    assert.equal(q.addRateLimited("a"), 5);
    assert.equal(q.numRequeues("a"), 1);
  });

  test("addAfter queues the key when its time comes; the earlier deadline wins", () => {
    const timers = new FakeTimers();
    const q = new WorkQueue<string>({ timers });
    q.addAfter("a", 100);
    q.addAfter("a", 50);
    q.addAfter("a", 200);
    assert.deepEqual(timers.delays, [50]);
    timers.advance(49);
    assert.equal(q.length, 0);
    timers.advance(1);
    assert.equal(q.length, 1);
    assert.equal(q.pendingDelayed, 0);
  });

  test("addAfter with zero delay queues at once; shutdown cancels delayed keys", () => {
    const timers = new FakeTimers();
    const q = new WorkQueue<string>({ timers });
    q.addAfter("now", 0);
    assert.equal(q.length, 1);
    q.addAfter("later", 10);
    q.shutDown();
    timers.advance(100);
    assert.equal(q.pendingDelayed, 0);
  });

  test("concurrent workers never process the same key twice at once", async () => {
    const q = new WorkQueue<number>();
    const active = new Set<number>();
    let overlaps = 0;
    let processed = 0;
    const worker = async () => {
      for (;;) {
        const key = await q.get();
        if (key === undefined) return;
        if (active.has(key)) overlaps += 1;
        active.add(key);
        await new Promise((r) => setImmediate(r));
        if (processed < 200) q.add(key % 3);
        processed += 1;
        active.delete(key);
        q.done(key);
      }
    };
    for (let i = 0; i < 3; i += 1) q.add(i);
    const workers = [worker(), worker(), worker(), worker()];
    while (processed < 200) await new Promise((r) => setImmediate(r));
    q.shutDown();
    await Promise.all(workers);
    assert.equal(overlaps, 0);
  });
});
