import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { admit, demandOf, neverFits, type Capacity, type Reservation } from "../../../reconcilers/broker.js";

const GiB = 1024 ** 3;
const capacity: Capacity = { cpus: 4, memBytes: 8 * GiB, gpus: 1, maxConcurrent: 3 };
const r = (runId: string, cpus: number, memGb = 0, gpus = 0): Reservation => ({ runId, demand: { cpus, memBytes: memGb * GiB, gpus } });

describe("broker", () => {
  test("admits what fits when first in line", () => {
    assert.deepEqual(admit({ runId: "a", demand: r("a", 2, 4).demand }, capacity, [r("x", 2, 4)], ["a"]), { verdict: "admit" });
  });

  test("waits when CPUs, memory, GPUs or the concurrency limit are used up", () => {
    assert.equal(admit({ runId: "a", demand: r("a", 1).demand }, capacity, [r("x", 4)], ["a"]).verdict, "wait");
    assert.match((admit({ runId: "a", demand: r("a", 1, 2).demand }, capacity, [r("x", 1, 7)], ["a"]) as { message: string }).message, /needs 2\.0 GiB, 1\.0 GiB free/);
    assert.match((admit({ runId: "a", demand: r("a", 1, 0, 1).demand }, capacity, [r("x", 1, 0, 1)], ["a"]) as { message: string }).message, /GPU/);
    assert.match((admit({ runId: "a", demand: r("a", 0).demand }, capacity, [r("x", 0), r("y", 0), r("z", 0)], ["a"]) as { message: string }).message, /3 of 3 concurrent/);
  });

  test("FIFO: a run never overtakes an older one, even when it would fit", () => {
    const verdict = admit({ runId: "small", demand: r("small", 1).demand }, capacity, [r("x", 2)], ["big", "small"]);
    assert.deepEqual(verdict, { verdict: "wait", message: "1 run(s) ahead in the admission queue" });
  });

  test("a demand beyond the whole capacity is refused, naming every resource that cannot fit", () => {
    const verdict = admit({ runId: "huge", demand: r("huge", 8, 16, 2).demand }, capacity, [], ["huge"]);
    assert.equal(verdict.verdict, "never");
    assert.match((verdict as { message: string }).message, /8 CPUs requested, 4 available.*16\.0 GiB of memory requested, 8\.0 GiB.*2 GPU\(s\) requested, 1 available/);
    assert.equal(neverFits(r("ok", 4, 8, 1).demand, capacity), undefined);
  });

  test("demand defaults: one CPU, no memory claim, a GPU only when asked", () => {
    assert.deepEqual(demandOf({ gpu: false }), { cpus: 1, memBytes: 0, gpus: 0 });
    assert.deepEqual(demandOf({ cpus: 2, memLimitBytes: GiB, gpu: true }), { cpus: 2, memBytes: GiB, gpus: 1 });
  });
});
