import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "../../helpers/wait.js";
import { SamplingLoop, sampleFromDockerStats, systemMetrics, type ResourceSample, type ResourceSampler } from "../../../src/tracking/system-metrics.js";

describe("docker stats to samples", () => {
  test("CPU percent as docker stats computes it, memory without inactive file pages", () => {
    const sample = sampleFromDockerStats(
      {
        cpu_stats: { cpu_usage: { total_usage: 3_000_000 }, system_cpu_usage: 20_000_000, online_cpus: 2 },
        precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 10_000_000 },
        memory_stats: { usage: 300 * 1024 * 1024, limit: 1024 * 1024 * 1024, stats: { inactive_file: 100 * 1024 * 1024 } },
      },
      42,
    );
    assert.deepEqual(sample, { timestamp: 42, cpuPercent: 40, memoryBytes: 200 * 1024 * 1024, memoryLimitBytes: 1024 * 1024 * 1024 });
  });
  test("the first reading (no previous CPU sample) has no CPU percent", () => {
    const sample = sampleFromDockerStats({ cpu_stats: { cpu_usage: { total_usage: 5 }, system_cpu_usage: 10 }, precpu_stats: {} }, 1);
    assert.equal(sample.cpuPercent, undefined);
  });
});

describe("samples to MLflow system metrics", () => {
  test("MLflow's system metric names, one step per sample, offset by the first step", () => {
    const samples: ResourceSample[] = [
      { timestamp: 10, cpuPercent: 50, memoryBytes: 512 * 1024 * 1024, memoryLimitBytes: 1024 * 1024 * 1024 },
      { timestamp: 20, cpuPercent: 25, gpus: [{ index: 0, utilizationPercent: 90, memoryUsedMb: 100 }] },
    ];
    assert.deepEqual(
      systemMetrics(samples, 3).map((m) => [m.key, m.value, m.step, m.timestamp]),
      [
        ["system/cpu_utilization_percentage", 50, 3, 10],
        ["system/system_memory_usage_megabytes", 512, 3, 10],
        ["system/system_memory_usage_percentage", 50, 3, 10],
        ["system/cpu_utilization_percentage", 25, 4, 20],
        ["system/gpu_0_utilization_percentage", 90, 4, 20],
        ["system/gpu_0_memory_usage_megabytes", 100, 4, 20],
      ],
    );
  });
});

/**
 * Waits (on observed state, however slow the machine) until the sampler has been asked `calls` times, then lets ten
 * more of the loop's 1 ms intervals pass: enough for a loop that failed to stop to ask once more. That pause decides
 * nothing for a loop that works: it only gives a broken one the chance to show itself.
 */
async function sampledTimes(sampler: ScriptedSampler, calls: number): Promise<void> {
  await waitFor(`${calls} calls of the sampler`, () => sampler.calls >= calls, 30_000, 5);
  for (let i = 0; i < 10; i += 1) await sleep(1);
}

class ScriptedSampler implements ResourceSampler {
  readonly source = "script";
  calls = 0;
  constructor(private readonly script: (ResourceSample | "gone" | undefined)[]) {}
  async sample(): Promise<ResourceSample | "gone" | undefined> {
    const next = this.script[this.calls];
    this.calls += 1;
    return next === undefined && this.calls > this.script.length ? "gone" : next;
  }
}

describe("sampling loop", () => {
  test("samples until the attempt is gone, hands full groups to onSamples, returns everything on stop", async () => {
    const sampler = new ScriptedSampler([undefined, { timestamp: 1 }, { timestamp: 2 }, { timestamp: 3 }, "gone", { timestamp: 99 }]);
    const groups: [number[], number][] = [];
    const loop = new SamplingLoop(sampler, "a", { intervalMs: 1, flushEvery: 2, onSamples: (s, first) => groups.push([s.map((x) => x.timestamp), first]) });
    loop.start();
    await sampledTimes(sampler, 5);
    const result = loop.stop();
    assert.deepEqual(groups, [[[1, 2], 0]]);
    assert.deepEqual(result.samples.map((s) => s.timestamp), [3]);
    assert.equal(result.firstStep, 2);
    assert.deepEqual(result.all.map((s) => s.timestamp), [1, 2, 3]);
    assert.equal(sampler.calls, 5, "no sample after the attempt is gone");
  });
  test("an attempt never seen running is given up after maxMissing tries", async () => {
    const sampler = new ScriptedSampler(Array.from({ length: 50 }, () => undefined));
    const loop = new SamplingLoop(sampler, "a", { intervalMs: 1, flushEvery: 10, maxMissing: 3 });
    loop.start();
    await sampledTimes(sampler, 4);
    assert.equal(sampler.calls, 4);
    assert.deepEqual(loop.stop().all, []);
  });
});
