/**
 * The run machinery of a real state root (journal, SQLite index, run store, Run controller) on the in-memory
 * FakeExecutor: controller tests that run in seconds without an engine. A "crash" stops the controller and drops
 * every in-memory object; the journal on disk and the fake engine (the outside world) are what the next session sees.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RunSpec } from "../../src/domain/resources.js";
import { storeLayout } from "../../src/artifacts/layout.js";
import { writeH5mu } from "../../src/h5/index.js";
import { ExecutorRegistry } from "../../src/executors/registry.js";
import { FakeExecutor } from "../../src/executors/fake/fake-executor.js";
import { openControllerSession, type ControllerSession } from "../../src/services/controller-session.js";
import type { PlannedRun } from "../../reconcilers/plan.js";
import { runSpec, tempDir } from "./fixtures.js";

export const N_OBS = 12;

export interface FakeWorld {
  stateRoot: string;
  datasetPath: string;
  fake: FakeExecutor;
  cleanup(): void;
}

export async function fakeWorld(prefix: string, fake = new FakeExecutor()): Promise<FakeWorld> {
  const { dir, cleanup } = tempDir(prefix);
  const datasetPath = join(dir, "data.h5mu");
  await writeH5mu(datasetPath, { nObs: N_OBS, modalities: { rna: { nVars: 5 } }, seed: 7 });
  const stateRoot = join(dir, "state");
  mkdirSync(stateRoot, { recursive: true });
  return { stateRoot, datasetPath, fake, cleanup };
}

export function openFakeSession(world: FakeWorld, options: { maxConcurrent?: number; graceSeconds?: number } = {}): ControllerSession {
  return openControllerSession({
    stateRoot: world.stateRoot,
    layout: storeLayout(world.stateRoot, "store"),
    executors: new ExecutorRegistry({ stateRoot: world.stateRoot, create: () => world.fake }),
    capacity: { cpus: 4, memBytes: 8 * 1024 ** 3, gpus: 0, maxConcurrent: options.maxConcurrent ?? 4 },
    pollIntervalMs: 20,
    graceSeconds: options.graceSeconds ?? 0,
    logLevel: "INFO",
  });
}

export function plannedRun(world: FakeWorld, runId: string, overrides: Partial<RunSpec> = {}): PlannedRun {
  return { runId, name: `job-s0-${runId.slice(0, 8)}`, spec: runSpec({ datasetPath: world.datasetPath, nObs: N_OBS, ...overrides }) };
}

/** Resolves when `check` holds, polling every 10 ms up to the deadline. */
export async function eventually<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
