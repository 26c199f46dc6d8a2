/**
 * `multiverse controller`: the long-running reconciler of one state root, composed of parts a Manager starts in
 * order and stops in reverse: the state root's lock, the journal session, the Run controller (leftovers released,
 * unfinished runs adopted), the sweep and Benchmark controllers, the resource source, cancel requests, the
 * periodic resync, the status API and controller.json. Stopping leaves attempts running; the next start adopts them.
 */
import { rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Backend } from "../domain/resources.js";
import { describeOrigin } from "../domain/origin.js";
import { isTerminal } from "../domain/run-states.js";
import type { Executor } from "../executors/executor.js";
import type { JournalRecord } from "../journal/records.js";
import { storeLayout } from "../artifacts/layout.js";
import { acquireStateLock } from "../state/state-root.js";
import type { ControllerPort } from "../status/controller-port.js";
import type { DesiredState, ResourceSource } from "../sources/resource-source.js";
import { JournalStatusSink } from "../status/journal-status-sink.js";
import { StatusSinks, type StatusSink } from "../status/status-sink.js";
import { BenchmarkController } from "../../controllers/benchmark-controller.js";
import { Manager, type ManagedPart } from "../../controllers/manager.js";
import { SweepSupervisor } from "../../controllers/sweep-supervisor.js";
import { studyTrackingHooks } from "../sweeps/study-subject.js";
import { ExecutorRegistry, resolveBackend } from "../executors/registry.js";
import { benchmarkPlanner } from "./benchmark-planner.js";
import { cancelRequestPoller } from "./cancel-requests.js";
import { controllerInfoPath, writeControllerInfo, writeSourceStatus } from "./controller-info.js";
import { openControllerSession, type ControllerSession } from "./controller-session.js";
import { EvaluationController } from "../../controllers/evaluation-controller.js";
import { launchSummary } from "../evaluation/launch-report.js";
import { evaluateWithSession } from "./evaluation-service.js";
import { EvaluatingTrialScorer } from "./trial-scorer.js";

export { controllerInfoPath, readControllerInfo, requestsDir, type CancelRequest, type ControllerInfo } from "./controller-info.js";

export const DEFAULT_DELETION_GRACE_MS = 10_000;

/** What parts made from outside (a Kubernetes projection, finalizers) may see of a running controller. */
export interface ControllerContext {
  /** The journal as it was when the session opened. */
  history: readonly JournalRecord[];
  /** Every record appended from now on. */
  subscribe(listener: (records: readonly JournalRecord[]) => void): void;
  /** Runs of the Benchmark that are not terminal (any generation). */
  unfinishedRuns(benchmark: string): number;
  /** True when the journal has the Benchmark deleted, or never had it. */
  benchmarkDeleted(benchmark: string): boolean;
  log: (line: string) => void;
}

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
  /** How long an undeclared Benchmark waits before it counts as deleted (default 10 s; `multiverse delete` skips it). */
  deletionGraceMs?: number;
  /** How often cached plans are dropped and every Benchmark is planned again (default 5 minutes). */
  resyncMs?: number;
  /** Status sinks besides the journal and index (e.g. a custom resource's /status). */
  statusSinks?: StatusSink[];
  /** Parts started after the controllers and before the source (and stopped before them). */
  extensions?: { name: string; make: (context: ControllerContext) => ManagedPart }[];
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

export async function startController(options: ControllerServiceOptions): Promise<RunningController> {
  const { stateRoot, log } = options;
  const manager = new Manager(log);
  const defaultBackend = resolveBackend({ defaultBackend: options.defaultBackend });
  const registry = new ExecutorRegistry({ stateRoot, create: options.makeExecutor });
  let ready = false;
  let session: ControllerSession | undefined;
  let benchmarks: BenchmarkController | undefined;
  let sweeps: SweepSupervisor | undefined;
  let evaluations: EvaluationController | undefined;
  let apiAddress: string | undefined;
  const listeners = new Set<(records: readonly JournalRecord[]) => void>();
  const status = new StatusSinks((error) => log(`status sink: ${(error as Error).message}`));
  const opened = (): ControllerSession => {
    if (!session) throw new Error("the journal session is not open");
    return session;
  };

  let lock: { release(): void } | undefined;
  manager.add({ name: "state root lock", start: () => void (lock = acquireStateLock(stateRoot, "multiverse controller")), stop: () => lock?.release() });
  manager.add({
    name: "journal session",
    start: () => {
      session = openControllerSession({
        stateRoot,
        layout: storeLayout(stateRoot, "store"),
        executors: registry,
        // Sized for the backend of Benchmarks that name none: the Benchmarks to come are not known at start.
        capacity: registry.capacityFor([defaultBackend], { maxConcurrent: options.maxConcurrent, hostRamGb: options.hostRamGb }),
        pollIntervalMs: options.pollIntervalMs,
        logLevel: options.logLevel,
        onTransition: (run, from, to) => {
          log(`run ${run.name} [${run.runId.slice(0, 12)}] ${from} -> ${to}${run.snapshot.context.reason ? ` (${run.snapshot.context.reason})` : ""}`);
          benchmarks?.runChanged(run.spec.benchmark);
          evaluations?.runChanged(run.spec.benchmark);
          const { attempt, attemptId, reason, message, artifactDir } = run.snapshot.context;
          void status.runStatus({ runId: run.runId, name: run.name, benchmark: run.spec.benchmark, from, phase: to, attempt, attemptId, reason, message, artifactDir });
        },
        onError: (run, error) => log(`run ${run.name}: reconcile error: ${(error as Error).message}`),
        onIndexReopened: (message) => log(`index: ${message}`),
      });
      status.add(new JournalStatusSink(session.writer));
      for (const sink of options.statusSinks ?? []) status.add(sink);
      session.writer.subscribe((records) => {
        for (const listener of listeners) {
          try {
            listener(records);
          } catch {
            // a subscriber's failure is its own
          }
        }
      });
    },
    stop: () => session?.close(),
  });
  manager.add({
    name: "run controller",
    start: async () => {
      const { controller, executors } = opened();
      // Leftovers of attempts already recorded go before the workers start (they never race a worker's own release).
      for (const backend of new Set(controller.all().map((r) => r.spec.backend))) executors.get(backend);
      const leftovers = await controller.releaseLeftovers();
      if (leftovers.length > 0) log(`released ${leftovers.length} leftover containers of attempts already recorded: ${leftovers.join(", ")}`);
      // Adoption: every run the journal left unfinished is reconciled again; running attempts are observed, not relaunched.
      controller.start();
      const unfinished = controller.all().filter((r) => !isTerminal(r.snapshot.value) && r.snapshot.value !== "RECOVERY_PENDING");
      if (unfinished.length > 0) log(`adopting ${unfinished.length} unfinished runs from the journal`);
      controller.track(unfinished.map((r) => r.runId));
    },
    stop: () => opened().controller.stop(),
  });
  manager.add({
    name: "sweep controller",
    start: () => {
      const { controller, writer, tracking, history } = opened();
      sweeps = new SweepSupervisor({
        runs: controller,
        writer,
        stateRoot,
        parallel: options.maxConcurrent ?? availableParallelism(),
        studies: studyTrackingHooks(tracking),
        scorer: new EvaluatingTrialScorer({
          stateRoot,
          writer,
          runs: () => new Map(controller.all().map((r) => [r.runId, r])),
          log,
        }),
        log,
        onSessionEnded: (benchmark) => benchmarks?.runChanged(benchmark),
      });
      sweeps.observe(history);
      const supervisor = sweeps;
      writer.subscribe((records) => supervisor.observe(records));
    },
    stop: () => sweeps?.stop(),
  });
  manager.add({
    name: "benchmark controller",
    start: () => {
      const { controller, writer, history, executors } = opened();
      benchmarks = new BenchmarkController({
        runs: controller,
        writer,
        status,
        planner: benchmarkPlanner({ stateRoot, defaultBackend, executorFor: (backend) => executors.get(backend), modelRoots: options.modelRoots }),
        sweeps,
        deletionGraceMs: options.deletionGraceMs ?? DEFAULT_DELETION_GRACE_MS,
        log,
        onError: (name, error) => log(`benchmark ${name}: reconcile error: ${(error as Error).message}`),
      });
      benchmarks.load(history);
      const view = benchmarks;
      writer.subscribe((records) => view.observe(records));
      benchmarks.start();
    },
    stop: () => benchmarks?.stop(),
  });
  for (const extension of options.extensions ?? []) {
    let part: ManagedPart | undefined;
    manager.add({
      name: extension.name,
      start: async () => {
        const { controller, writer, history } = opened();
        part = extension.make({
          history,
          subscribe: (listener) => void writer.subscribe(listener),
          unfinishedRuns: (benchmark) => controller.all().filter((r) => r.spec.benchmark === benchmark && !isTerminal(r.snapshot.value)).length,
          benchmarkDeleted: (benchmark) => benchmarks?.knownBenchmark(benchmark)?.deleted ?? true,
          log,
        });
        await part.start();
      },
      stop: () => part?.stop?.(),
    });
  }
  manager.add({
    name: "evaluation controller",
    start: () => {
      const { writer, history } = opened();
      const view = benchmarks;
      evaluations = new EvaluationController({
        stateRoot,
        runs: opened().controller,
        benchmarks: { knownBenchmark: (name) => view?.knownBenchmark(name) },
        status,
        evaluate: async (launchId, runs) => {
          const backend = runs.some((r) => r.spec.backend === "docker") ? "docker" : "local";
          const current = new Map(opened().controller.all().map((r) => [r.runId, r]));
          const outcome = await evaluateWithSession(stateRoot, { writer: opened().writer, runs: current }, launchId, { backend, onProgress: (line) => log(`evaluation ${launchId}: ${line.trim()}`) });
          const statuses: Record<string, number> = {};
          for (const m of outcome.members) statuses[m.status] = (statuses[m.status] ?? 0) + 1;
          const summary = outcome.status === "done" ? launchSummary(stateRoot, launchId) : undefined;
          return { status: outcome.status, statuses, ...(outcome.error ? { error: outcome.error } : {}), ...(summary ? { summary } : {}) };
        },
        summaryOf: (launchId) => launchSummary(stateRoot, launchId),
        log,
        onError: (name, error) => log(`evaluation of benchmark ${name}: reconcile error: ${(error as Error).message}`),
      });
      evaluations.load(history);
      const controller = evaluations;
      writer.subscribe((records) => controller.observe(records));
      evaluations.start();
    },
    stop: () => evaluations?.stop(),
  });
  manager.add({
    name: "resource source",
    start: () =>
      options.source.start((state: DesiredState) => {
        const counts = { Benchmark: 0, Dataset: 0, Model: 0 };
        for (const resource of state.resources) counts[resource.kind] += 1;
        log(`source revision ${state.revision}: ${counts.Benchmark} benchmarks, ${counts.Dataset} datasets, ${counts.Model} models${state.problems.length ? `, ${state.problems.length} problems` : ""}`);
        for (const problem of state.problems) log(`source problem: ${problem.origin ? describeOrigin(problem.origin) : (problem.file ?? "?")}${problem.line ? `:${problem.line}` : ""}: ${problem.field ? `${problem.field}: ` : ""}${problem.message} [${problem.code}]`);
        writeSourceStatus(stateRoot, state);
        benchmarks?.setDesired(state);
        evaluations?.setDesired(state);
      }),
    stop: () => options.source.stop(),
  });
  const cancelBenchmark = (name: string): number => {
    const { controller } = opened();
    const active = controller.all().filter((r) => r.spec.benchmark === name && !isTerminal(r.snapshot.value));
    for (const run of active) controller.requestCancel(run.runId);
    return active.length;
  };
  const cancelRun = (idOrName: string): string => {
    const { index, controller } = opened();
    const row = index.getRun(idOrName);
    controller.requestCancel(row.runId);
    return `${row.name} [${row.runId.slice(0, 12)}]`;
  };
  manager.add(cancelRequestPoller(stateRoot, { cancelRun, cancelBenchmark, deleteBenchmark: (name) => benchmarks?.deleteNow(name) }, log));
  let resyncTimer: NodeJS.Timeout | undefined;
  manager.add({
    name: "resync",
    start: () => void (resyncTimer = setInterval(() => benchmarks?.resync(), options.resyncMs ?? 5 * 60_000)),
    stop: () => clearInterval(resyncTimer),
  });

  const port: ControllerPort = {
    ready: () => ready,
    metrics: () => {
      const { controller, writer } = opened();
      return {
        queueDepth: controller.queueDepth() + (benchmarks?.queueDepth() ?? 0) + (evaluations?.queueDepth() ?? 0),
        reconcileSeconds: controller.reconcileDurations(),
        journalSeq: writer.lastSeq,
        indexSeq: writer.projectedSeq,
        loops: [controller.metrics(), ...(benchmarks ? [benchmarks.metrics()] : []), ...(sweeps ? [sweeps.metrics()] : []), ...(evaluations ? [evaluations.metrics()] : [])],
      };
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    cancelRun: async (idOrName) => {
      const { index, controller } = opened();
      const row = index.getRun(idOrName);
      controller.requestCancel(row.runId);
      return { runId: row.runId, phase: controller.get(row.runId)?.snapshot.value ?? row.phase };
    },
  };
  let api: { address: string; close(): Promise<void> } | undefined;
  manager.add({
    name: "status API",
    start: async () => {
      ready = true;
      try {
        api = options.startApi ? await options.startApi(port) : undefined;
      } catch (error) {
        ready = false;
        throw error;
      }
      apiAddress = api?.address;
    },
    stop: async () => {
      ready = false;
      await api?.close();
    },
  });
  manager.add({
    name: "controller info",
    start: () => {
      writeControllerInfo(stateRoot, { pid: process.pid, stateRoot, watchDir: options.watchDir, api: apiAddress, startedAt: new Date().toISOString() });
      log(`controller ready: state root ${stateRoot}${options.watchDir ? `, watching ${options.watchDir}` : ""}${apiAddress ? `, API on ${apiAddress}` : ""}`);
    },
    stop: () => rmSync(controllerInfoPath(stateRoot), { force: true }),
  });

  await manager.start();
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await manager.stop();
      log("controller stopped; running attempts are left running and will be adopted on the next start");
      resolveStopped();
    })());
  return { port, apiAddress, stopped, stop };
}
