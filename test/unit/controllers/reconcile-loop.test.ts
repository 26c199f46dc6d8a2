import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ReconcileLoop, type ReconcileResult } from "../../../controllers/loop/reconcile-loop.js";
import { ExponentialBackoff, type RateLimiter } from "../../../src/util/rate-limiter.js";
import type { Timers } from "../../../controllers/loop/work-queue.js";

/** Manual timers: delayed requeues happen only when the test says time passed. */
class ManualTimers implements Timers {
  private pending: { due: number; callback: () => void; id: number }[] = [];
  private now = 0;
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
    const due = this.pending.filter((p) => p.due <= this.now);
    this.pending = this.pending.filter((p) => p.due > this.now);
    for (const p of due) p.callback();
  }
  get delays(): number[] {
    return this.pending.map((p) => p.due - this.now);
  }
}

/** Resolves when `check` holds, re-checking after every microtask turn (the loop is all promises). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 10_000; turn++) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`never: ${what}`);
}

function scripted(results: Map<string, (ReconcileResult | Error)[]>, seen: string[]) {
  return {
    reconcile: async (key: string): Promise<ReconcileResult> => {
      seen.push(key);
      const next = results.get(key)?.shift();
      if (next instanceof Error) throw next;
      return next ?? {};
    },
  };
}

describe("ReconcileLoop", () => {
  test("a key reconciled without requeue is done; the result counts as a success", async () => {
    const seen: string[] = [];
    const loop = new ReconcileLoop({ name: "t", reconciler: scripted(new Map(), seen), timers: new ManualTimers() });
    loop.enqueue("a");
    loop.enqueue("a");
    loop.start(2);
    await until(() => loop.metrics().reconciles.success === 1, "one success");
    await loop.stop();
    assert.deepEqual(seen, ["a"], "a queued key is deduplicated");
    assert.equal(loop.metrics().duration.count, 1);
  });

  test("requeue looks again now; requeueAfterMs waits for the timer", async () => {
    const seen: string[] = [];
    const timers = new ManualTimers();
    const loop = new ReconcileLoop({ name: "t", reconciler: scripted(new Map([["a", [{ requeue: true }, { requeueAfterMs: 500 }, {}]]]), seen), timers });
    loop.start(1);
    loop.enqueue("a");
    await until(() => seen.length === 2 && timers.delays.length === 1, "requeued now, then after 500 ms");
    assert.deepEqual(timers.delays, [500]);
    timers.advance(500);
    await until(() => loop.metrics().reconciles.success === 1, "done after the delay");
    await loop.stop();
    assert.deepEqual(loop.metrics().reconciles, { success: 1, error: 0, requeue: 1, requeueAfter: 1 });
  });

  test("an error requeues the key with the rate limiter's backoff, reset after a success", async () => {
    const seen: string[] = [];
    const timers = new ManualTimers();
    const errors: string[] = [];
    const loop = new ReconcileLoop({
      name: "t",
      reconciler: scripted(new Map([["a", [new Error("boom 1"), new Error("boom 2"), {}]]]), seen),
      rateLimiter: new ExponentialBackoff<string>(10, 1000),
      timers,
      onError: (key, error) => errors.push(`${key}: ${(error as Error).message}`),
    });
    loop.start(1);
    loop.enqueue("a");
    await until(() => timers.delays.length === 1, "first backoff");
    assert.deepEqual(timers.delays, [10]);
    timers.advance(10);
    await until(() => timers.delays.length === 1 && seen.length === 2, "second backoff");
    assert.deepEqual(timers.delays, [20], "the backoff doubles");
    timers.advance(20);
    await until(() => loop.metrics().reconciles.success === 1, "success");
    await loop.stop();
    assert.deepEqual(errors, ["a: boom 1", "a: boom 2"]);
    assert.equal(loop.metrics().retries, 2);
    assert.equal(loop.metrics().reconciles.error, 2);
  });

  test("a custom rate limiter is asked for every error and forgotten after success", async () => {
    const calls: string[] = [];
    const limiter: RateLimiter<string> = { when: (k) => (calls.push(`when ${k}`), 1), forget: (k) => void calls.push(`forget ${k}`), retries: () => 0 };
    const timers = new ManualTimers();
    const loop = new ReconcileLoop({ name: "t", reconciler: scripted(new Map([["k", [new Error("x"), {}]]]), []), rateLimiter: limiter, timers });
    loop.start(1);
    loop.enqueue("k");
    await until(() => timers.delays.length === 1, "backoff");
    timers.advance(1);
    await until(() => loop.metrics().reconciles.success === 1, "success");
    await loop.stop();
    assert.deepEqual(calls, ["when k", "forget k"]);
  });

  test("one key is never reconciled by two workers at once; a key added meanwhile is looked at again after", async () => {
    let inside = 0;
    let most = 0;
    let release: () => void = () => undefined;
    let calls = 0;
    const loop = new ReconcileLoop<string>({
      name: "t",
      reconciler: {
        reconcile: async () => {
          calls += 1;
          inside += 1;
          most = Math.max(most, inside);
          if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
          inside -= 1;
          return {};
        },
      },
      timers: new ManualTimers(),
    });
    loop.start(4);
    loop.enqueue("a");
    await until(() => calls === 1, "first reconcile holds the key");
    loop.enqueue("a");
    loop.enqueue("a");
    assert.equal(loop.metrics().active, 1);
    release();
    await until(() => calls === 2 && loop.metrics().active === 0, "looked at once more");
    await loop.stop();
    assert.equal(most, 1);
  });

  test("stop waits for the key in hand and takes no more", async () => {
    let release: () => void = () => undefined;
    let finished = false;
    const loop = new ReconcileLoop<string>({
      name: "t",
      reconciler: {
        reconcile: async () => {
          await new Promise<void>((resolve) => (release = resolve));
          finished = true;
          return {};
        },
      },
      timers: new ManualTimers(),
    });
    loop.start(1);
    loop.enqueue("a");
    await until(() => loop.metrics().active === 1, "reconciling");
    const stopped = loop.stop();
    loop.enqueue("b");
    release();
    await stopped;
    assert.equal(finished, true);
    assert.equal(loop.metrics().reconciles.success, 1, "b was never taken");
  });

  test("durations land in cumulative histogram buckets", async () => {
    const loop = new ReconcileLoop({ name: "t", reconciler: scripted(new Map(), []), timers: new ManualTimers() });
    loop.start(1);
    for (const key of ["a", "b", "c"]) loop.enqueue(key);
    await until(() => loop.metrics().reconciles.success === 3, "three done");
    await loop.stop();
    const { duration } = loop.metrics();
    assert.equal(duration.count, 3);
    assert.equal(duration.buckets.at(-1), 3, "every fast reconcile is under the largest bound");
    for (let i = 1; i < duration.buckets.length; i++) assert.ok(duration.buckets[i]! >= duration.buckets[i - 1]!, "cumulative");
    assert.equal(loop.recentDurations().length, 3);
  });
});

describe("ExponentialBackoff", () => {
  test("doubles from the base per key, caps at the maximum, resets on forget", () => {
    const backoff = new ExponentialBackoff<string>(5, 30);
    assert.deepEqual([backoff.when("a"), backoff.when("a"), backoff.when("a"), backoff.when("a")], [5, 10, 20, 30]);
    assert.equal(backoff.when("b"), 5, "per key");
    assert.equal(backoff.retries("a"), 4);
    backoff.forget("a");
    assert.equal(backoff.retries("a"), 0);
    assert.equal(backoff.when("a"), 5);
  });
});
