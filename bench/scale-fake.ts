/**
 * Scale curves of the run machinery without an engine: a real state root (journal with fsync, SQLite index, run
 * store, Run controller) on the in-memory FakeExecutor, whose attempts write a real bundle (embeddings.h5,
 * metrics.json, umap.png) that is validated and promoted as any other. For 10, 100 and 1000 planned runs:
 * - planned per second: identity (logicalRunId) + applyPlan (RUN_PLANNED journaled and indexed);
 * - settled per second: launch, exit, validation, promotion, ARTIFACT_SUCCESS (4 at a time);
 * - the orchestrator's CPU per run, and where it goes (a CPU profile of the whole process, each sample charged to
 *   the nearest frame of the project's code: planning, hashing, journal, index, validation, promotion, ...), as
 *   shares of the main thread's busy time (see cpu-attribution.ts for what a sample counts).
 * Usage: node dist/bench/scale-fake.js [--sizes 10,100,1000] [--json]
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { logicalRunId, runName } from "../src/identity/run-identity.js";
import type { PlannedRun } from "../reconcilers/plan.js";
import { fakeWorld, N_OBS, openFakeSession } from "../test/helpers/fake-controller.js";
import { runSpec } from "../test/helpers/fixtures.js";
import { attribute, profiled, shares } from "./cpu-attribution.js";
import { parseBenchArgs } from "./bench-support.js";

interface Row {
  runs: number;
  plannedPerS: number;
  settledPerS: number;
  cpuMsPerRun: number;
  heapMiB: number;
  /** Percent of the main thread's busy samples per part of the code. */
  busySharePercent: Record<string, number>;
}

async function measure(size: number): Promise<Row> {
  const world = await fakeWorld("mv-bench-scale-");
  const session = openFakeSession(world, { maxConcurrent: 4 });
  try {
    const { result, profile } = await profiled(async () => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const planned: PlannedRun[] = Array.from({ length: size }, (_, seed) => {
        const spec = runSpec({ datasetPath: world.datasetPath, nObs: N_OBS, seed });
        const runId = logicalRunId({ datasetFingerprint: spec.datasetFingerprint, modelSlug: spec.model, modelVersion: spec.modelVersion, image: spec.image, params: spec.params, seed, preprocessing: spec.preprocessing, contractVersion: spec.contractVersion });
        return { runId, name: runName(spec.jobName, seed, runId), spec };
      });
      const entries = await session.controller.applyPlan(planned, { skipCompleted: false });
      const t1 = performance.now();
      const runs = await session.controller.runUntilSettled(entries.map((e) => e.runId));
      const t2 = performance.now();
      const cpu = process.cpuUsage(cpu0);
      const failed = runs.filter((r) => r.snapshot.value !== "ARTIFACT_SUCCESS");
      if (failed.length > 0) throw new Error(`${failed.length} of ${size} runs did not succeed: ${failed[0]!.snapshot.value} ${failed[0]!.snapshot.context.message ?? ""}`);
      return { planS: (t1 - t0) / 1000, settleS: (t2 - t1) / 1000, cpuMs: (cpu.user + cpu.system) / 1000 };
    });
    const parts = attribute(profile);
    return {
      runs: size,
      plannedPerS: size / result.planS,
      settledPerS: size / result.settleS,
      cpuMsPerRun: result.cpuMs / size,
      heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
      busySharePercent: shares(parts),
    };
  } finally {
    session.close();
    world.cleanup();
  }
}

const args = parseBenchArgs(process.argv.slice(2), { sizes: "10,100,1000" });
const rows: Row[] = [];
const loads: number[] = [];
for (const size of String(args.sizes).split(",").map(Number)) {
  loads.push(loadavg()[0]!);
  rows.push(await measure(size));
}
const load = Math.max(...loads);
if (args.json) {
  console.log(JSON.stringify({ cores: 2, loadAvgMax: load, rows }, null, 2));
} else {
  console.log(`FakeExecutor, real journal + index + validation + promotion; load average up to ${load.toFixed(1)} while measuring`);
  console.log("runs   planned/s  settled/s  CPU ms/run  heap MiB  main thread busy, share by part");
  for (const r of rows) {
    const parts = Object.entries(r.busySharePercent).map(([p, pct]) => `${p} ${pct.toFixed(0)}%`).join(", ");
    console.log(`${String(r.runs).padStart(4)}  ${r.plannedPerS.toFixed(0).padStart(9)}  ${r.settledPerS.toFixed(1).padStart(9)}  ${r.cpuMsPerRun.toFixed(1).padStart(10)}  ${r.heapMiB.toFixed(0).padStart(8)}  ${parts}`);
  }
}
