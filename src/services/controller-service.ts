/**
 * `multiverse controller`: the long-running reconciler of one state root. It holds the state root's lock,
 * loads the journal, adopts what is still running, watches a resource source, and runs the Benchmark and Run
 * controllers until stopped. Stopping leaves attempts running; the next start adopts them.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Backend, BenchmarkResource, DatasetResource, ModelResource } from "../domain/resources.js";
import { isTerminal } from "../domain/run-states.js";
import { Errors, isMultiverseError } from "../domain/errors.js";
import type { Executor } from "../executors/executor.js";
import type { JournalRecord } from "../journal/records.js";
import { storeLayout } from "../artifacts/layout.js";
import { acquireStateLock } from "../state/state-root.js";
import type { ControllerPort } from "../api/controller-port.js";
import type { DesiredState, ResourceSource } from "../sources/resource-source.js";
import { planBenchmark } from "../../reconcilers/plan.js";
import { BenchmarkController } from "../../controllers/benchmark-controller.js";
import { SweepSupervisor } from "../../controllers/sweep-supervisor.js";
import { requireOptunaPython } from "../sweeps/optuna-bridge.js";
import { studyTrackingHooks } from "../sweeps/study-subject.js";
import { openControllerSession } from "./controller-session.js";
import { resolveCatalog } from "./resolve-catalog.js";
import { ExecutorRegistry, jobBackends, resolveBackend } from "../executors/registry.js";

export interface ControllerServiceOptions {
  stateRoot: string;
  source: ResourceSource;
  /** The watched directory, recorded for `multiverse apply|delete`. */
  watchDir?: string;
  makeExecutor: (backend: Backend, stateRoot: string) => Executor;
  /** Backend of jobs and Benchmarks that name none (default docker). */
  defaultBackend?: Backend;
  maxConcurrent?: number;
  hostRamGb?: number;
  pollIntervalMs?: number;
  logLevel?: string;
  modelRoots?: string[];
  /** How often cached plans are dropped and every Benchmark is planned again (default 5 minutes). */
  resyncMs?: number;
  /** Starts the status API once the controller is ready to answer; returns its address. */
  startApi?: (port: ControllerPort) => Promise<{ address: string; close(): Promise<void> }>;
  log: (line: string) => void;
}

export interface RunningController {
  port: ControllerPort;
  apiAddress?: string;
  /** Resolves when stop() has finished. */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

/** What `multiverse apply|delete|cancel` need to find a running controller. */
export interface ControllerInfo {
  pid: number;
  stateRoot: string;
  watchDir?: string;
  api?: string;
  startedAt: string;
}

export function controllerInfoPath(stateRoot: string): string {
  return join(stateRoot, "controller.json");
}

export function requestsDir(stateRoot: string): string {
  return join(stateRoot, "requests");
}

export function readControllerInfo(stateRoot: string): ControllerInfo | undefined {
  try {
    return JSON.parse(readFileSync(controllerInfoPath(stateRoot), "utf8")) as ControllerInfo;
  } catch {
    return undefined;
  }
}

export interface CancelRequest {
  kind: "run" | "benchmark";
  name: string;
  requestedAt: string;
}

const REQUEST_POLL_MS = 300;

export async function startController(options: ControllerServiceOptions): Promise<RunningController> {
  const { stateRoot, log } = options;
  const lock = acquireStateLock(stateRoot, "multiverse controller");
  const layout = storeLayout(stateRoot, "store");
  const registry = new ExecutorRegistry({ stateRoot, create: options.makeExecutor });
  const executors = registry.executors;
  const executorFor = (backend: Backend): Executor => registry.get(backend);
  const listeners = new Set<(records: readonly JournalRecord[]) => void>();
  // The Benchmark controller needs the Run controller, and the Run controller's hooks need it back.
  const benchmarksRef: { current?: BenchmarkController } = {};
  const sweepsRef: { current?: SweepSupervisor } = {};
  let ready = false;

  const session = openControllerSession({
    stateRoot,
    layout,
    executors,
    // Sized for the backend of Benchmarks that name none: the Benchmarks to come are not known at start.
    capacity: registry.capacityFor([resolveBackend({ defaultBackend: options.defaultBackend })], { maxConcurrent: options.maxConcurrent, hostRamGb: options.hostRamGb }),
    pollIntervalMs: options.pollIntervalMs,
    logLevel: options.logLevel,
    onTransition: (run, from, to) => {
      log(`run ${run.name} [${run.runId.slice(0, 12)}] ${from} -> ${to}${run.snapshot.context.reason ? ` (${run.snapshot.context.reason})` : ""}`);
      benchmarksRef.current?.runChanged(run.spec.benchmark);
    },
    onError: (run, error) => log(`run ${run.name}: reconcile error: ${(error as Error).message}`),
    onAppend: (records) => {
      sweepsRef.current?.observe(records);
      for (const listener of listeners) {
        try {
          listener(records);
        } catch {
          // a subscriber's failure is its own
        }
      }
    },
  });
  const runs = session.controller;
  runs.executorsFallback(executorFor);

  const sweeps = new SweepSupervisor({
    runs,
    stateRoot,
    parallel: options.maxConcurrent ?? availableParallelism(),
    studies: studyTrackingHooks(session.tracking),
    log,
    onSessionEnded: (benchmark) => benchmarksRef.current?.runChanged(benchmark),
  });
  sweeps.observe(session.history);
  sweepsRef.current = sweeps;

  const benchmarkController = new BenchmarkController({
    runs,
    planner: {
      plan: (benchmark, catalog) =>
        planFor(benchmark.spec.backend ? benchmark : { ...benchmark, spec: { ...benchmark.spec, backend: resolveBackend({ defaultBackend: options.defaultBackend }) } }, catalog, {
          stateRoot,
          executorFor,
          modelRoots: options.modelRoots,
        }),
    },
    sweeps,
    onError: (name, error) => log(`benchmark ${name}: reconcile error: ${(error as Error).message}`),
  });
  benchmarkController.load(session.history);
  benchmarksRef.current = benchmarkController;

  const port: ControllerPort = {
    ready: () => ready,
    metrics: () => ({
      queueDepth: runs.queueDepth() + benchmarkController.queueDepth(),
      reconcileSeconds: runs.reconcileDurations(),
      journalSeq: session.journal.lastSeq,
      indexSeq: session.index.lastAppliedSeq,
    }),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    cancelRun: async (idOrName) => {
      const row = session.index.getRun(idOrName);
      runs.requestCancel(row.runId);
      return { runId: row.runId, phase: runs.get(row.runId)?.snapshot.value ?? row.phase };
    },
  };

  const cancelBenchmark = (name: string): number => {
    const active = runs.all().filter((r) => r.spec.benchmark === name && !isTerminal(r.snapshot.value));
    for (const run of active) runs.requestCancel(run.runId);
    return active.length;
  };

  // Leftovers of attempts already recorded go before the workers start (they never race a worker's own release).
  for (const backend of new Set(runs.all().map((r) => r.spec.backend))) executorFor(backend);
  const leftovers = await runs.releaseLeftovers();
  if (leftovers.length > 0) log(`released ${leftovers.length} leftover containers of attempts already recorded: ${leftovers.join(", ")}`);
  // Adoption: every run the journal left unfinished is reconciled again; running attempts are observed, not relaunched.
  runs.start();
  const unfinished = runs.all().filter((r) => !isTerminal(r.snapshot.value) && r.snapshot.value !== "RECOVERY_PENDING");
  if (unfinished.length > 0) log(`adopting ${unfinished.length} unfinished runs from the journal`);
  runs.track(unfinished.map((r) => r.runId));
  benchmarkController.start();

  const onDesired = (state: DesiredState): void => {
    const counts = { Benchmark: 0, Dataset: 0, Model: 0 };
    for (const resource of state.resources) counts[resource.kind] += 1;
    log(`source revision ${state.revision}: ${counts.Benchmark} benchmarks, ${counts.Dataset} datasets, ${counts.Model} models${state.problems.length ? `, ${state.problems.length} problems` : ""}`);
    for (const problem of state.problems) log(`source problem: ${problem.file}${problem.line ? `:${problem.line}` : ""}: ${problem.field ? `${problem.field}: ` : ""}${problem.message} [${problem.code}]`);
    writeStatusFile(stateRoot, state);
    benchmarkController.setDesired(state);
  };
  await options.source.start(onDesired);

  const requests = requestsDir(stateRoot);
  mkdirSync(requests, { recursive: true });
  const handleRequests = (): void => {
    let names: string[];
    try {
      names = readdirSync(requests).filter((n) => n.endsWith(".json")).sort();
    } catch {
      return;
    }
    for (const file of names) {
      const path = join(requests, file);
      try {
        const request = JSON.parse(readFileSync(path, "utf8")) as CancelRequest;
        if (request.kind === "benchmark") log(`cancel benchmark ${request.name}: ${cancelBenchmark(request.name)} runs`);
        else {
          const row = session.index.getRun(request.name);
          runs.requestCancel(row.runId);
          log(`cancel run ${row.name} [${row.runId.slice(0, 12)}]`);
        }
      } catch (error) {
        log(`request ${file} ignored: ${isMultiverseError(error) ? error.message : (error as Error).message}`);
      }
      rmSync(path, { force: true });
    }
  };
  handleRequests();
  const requestTimer = setInterval(handleRequests, REQUEST_POLL_MS);
  const resyncTimer = setInterval(() => benchmarkController.resync(), options.resyncMs ?? 5 * 60_000);

  let api: { address: string; close(): Promise<void> } | undefined;
  ready = true;
  try {
    api = options.startApi ? await options.startApi(port) : undefined;
  } catch (error) {
    ready = false;
    clearInterval(requestTimer);
    clearInterval(resyncTimer);
    await options.source.stop();
    await benchmarkController.stop();
    await sweeps.stop();
    await runs.stop();
    session.close();
    lock.release();
    throw error;
  }
  writeInfo(stateRoot, { pid: process.pid, stateRoot, watchDir: options.watchDir, api: api?.address, startedAt: new Date().toISOString() });
  log(`controller ready: state root ${stateRoot}${options.watchDir ? `, watching ${options.watchDir}` : ""}${api ? `, API on ${api.address}` : ""}`);

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      ready = false;
      clearInterval(requestTimer);
      clearInterval(resyncTimer);
      await options.source.stop();
      await api?.close();
      await benchmarkController.stop();
      await sweeps.stop();
      await runs.stop();
      session.close();
      rmSync(controllerInfoPath(stateRoot), { force: true });
      lock.release();
      log("controller stopped; running attempts are left running and will be adopted on the next start");
      resolveStopped();
    })());
  return { port, apiAddress: api?.address, stopped, stop };
}

async function planFor(
  benchmark: BenchmarkResource,
  declared: { datasets: DatasetResource[]; models: ModelResource[] },
  context: { stateRoot: string; executorFor: (backend: Backend) => Executor; modelRoots?: string[] },
) {
  const defaultBackend = resolveBackend({ benchmark: benchmark.spec.backend });
  const executors: Partial<Record<Backend, Executor>> = {};
  for (const backend of jobBackends(benchmark.spec)) executors[backend] = context.executorFor(backend);
  const catalog = await resolveCatalog({
    stateRoot: context.stateRoot,
    benchmark,
    manifestDatasets: declared.datasets,
    manifestModels: declared.models,
    executors,
    defaultBackend,
    modelRoots: context.modelRoots,
  });
  const plan = planBenchmark(benchmark, catalog, {});
  if (plan.errors.length > 0) {
    if (plan.errors.length === 1) throw plan.errors[0];
    throw Errors.schema(`${plan.errors.length} jobs cannot be planned: ${plan.errors.map((e) => e.message).join("; ")}`);
  }
  if (plan.sweeps.length > 0) requireOptunaPython();
  return { runs: plan.runs, sweeps: plan.sweeps };
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function writeInfo(stateRoot: string, info: ControllerInfo): void {
  writeAtomically(controllerInfoPath(stateRoot), `${JSON.stringify(info, null, 2)}\n`);
}

/** The source's latest problems, for `get benchmarks` and `describe` while the controller runs. */
function writeStatusFile(stateRoot: string, state: DesiredState): void {
  const status = {
    revision: state.revision,
    resources: state.resources.map((r) => ({ kind: r.kind, name: r.name, file: r.file, line: r.line, stale: r.stale })),
    problems: state.problems,
  };
  writeAtomically(join(stateRoot, "source-status.json"), `${JSON.stringify(status, null, 2)}\n`);
}
