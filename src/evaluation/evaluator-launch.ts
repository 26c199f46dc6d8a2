/**
 * Runs the evaluator through an executor like a model attempt: datasets and bundles read-only, the evaluation
 * workspace read-write at /output, the persistent JAX compilation cache read-write, no network. Waits for the
 * exit by observing the engine, then collects its log and releases it.
 */
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import type { Executor, LaunchRequest } from "../executors/executor.js";
import type { Mount } from "../executors/mounts.js";
import type { EvaluatorSpec } from "./evaluator-spec.js";
import type { ReadOnlyMount } from "./eval-config.js";

export const JAX_CACHE_TARGET = "/cache/jax";
export const EVAL_CONFIG_TARGET = "/output/eval_config.json";

export interface EvaluatorRun {
  attemptId: string;
  ownerId: string;
  workspaceDir: string;
  jaxCacheDir: string;
  inputs: readonly ReadOnlyMount[];
}

export function evaluatorMounts(run: EvaluatorRun): Mount[] {
  return [
    ...run.inputs.map((m): Mount => ({ role: "input", source: m.source, target: m.target, readOnly: true })),
    { role: "workspace", source: run.workspaceDir, target: "/output", readOnly: false },
    { role: "cache", source: run.jaxCacheDir, target: JAX_CACHE_TARGET, readOnly: false },
  ];
}

/**
 * The memory limit goes to engines that count resident memory (a container's cgroup). The local executor's limit is
 * RLIMIT_DATA, which counts reserved private mappings: JAX's XLA runtime reserves far more than it uses and fails
 * with MemoryError under it, so the evaluator runs there without one.
 */
export function evaluatorLaunchRequest(spec: EvaluatorSpec, run: EvaluatorRun, backend: string, cpus = availableParallelism()): LaunchRequest {
  const threads = String(Math.max(1, Math.floor(spec.cpus !== undefined ? Math.min(spec.cpus, cpus) : cpus)));
  const request: LaunchRequest = {
    attemptId: run.attemptId,
    runId: run.attemptId,
    ownerId: run.ownerId,
    image: spec.image,
    mounts: evaluatorMounts(run),
    env: { MV_EVAL_CONFIG: EVAL_CONFIG_TARGET, MV_EVAL_THREADS: threads, JAX_COMPILATION_CACHE_DIR: JAX_CACHE_TARGET, JAX_PLATFORMS: "cpu" },
    cpus: Number(threads),
    gpu: false,
    network: false,
    model: { slug: spec.envSlug, version: spec.version, directory: spec.directory },
    settings: { local: { entrypoint: spec.entrypoint } },
  };
  if (spec.memGb !== undefined && backend !== "local") request.memLimitBytes = Math.round(spec.memGb * 1024 ** 3);
  return request;
}

export interface EvaluatorExit {
  exitCode: number | null;
  oomKilled: boolean;
  error?: string;
  /** The last lines of its output. */
  tail: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Launches, waits for the engine to report the attempt exited (reporting new log lines), collects the log, releases. */
export async function runEvaluator(executor: Executor, request: LaunchRequest, logFile: string, onLine?: (line: string) => void): Promise<EvaluatorExit> {
  await executor.launch(request);
  let seen = 0;
  const report = async () => {
    if (!onLine) return;
    await executor.collectLogs(request.attemptId, logFile);
    const lines = readFileSync(logFile, "utf8").split("\n").filter((l) => l.trim() !== "");
    for (const line of lines.slice(seen)) onLine(line);
    seen = lines.length;
  };
  for (;;) {
    const observation = await executor.observe(request.attemptId);
    if (observation.state === "exited" || observation.state === "missing") {
      await executor.collectLogs(request.attemptId, logFile);
      await report();
      await executor.release(request.attemptId);
      const tail = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-20).join("\n");
      const exit: EvaluatorExit = { exitCode: observation.state === "missing" ? null : (observation.exitCode ?? null), oomKilled: observation.oomKilled ?? false, tail };
      const error = observation.error ?? (observation.state === "missing" ? "the engine lost the evaluator" : undefined);
      if (error) exit.error = error;
      return exit;
    }
    await report();
    await sleep(500);
  }
}
