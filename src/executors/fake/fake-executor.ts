/**
 * An executor in memory, behind the same interface as the real engines and passing the same conformance suite:
 * for controller tests that run in milliseconds without Docker. Each launch follows a script (succeed with valid
 * contract outputs, exit with a code, OOM, hang until cancelled, fail to launch, vanish); scripts are given per
 * attempt id, per run id (one per launch, the last repeating), by a function, or by default (succeed). Time is
 * the injected clock's: an attempt whose scripted time is up ends when it is next observed (or on tick()); with
 * the default real clock it also ends by itself, so waitForExit resolves without a poll.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Capacity } from "../../domain/capacity.js";
import type { Backend, ImageIdentity } from "../../domain/resources.js";
import { LABELS, LaunchError, type AttemptObservation, type CapacityLimits, type Executor, type LaunchRequest } from "../executor.js";
import { requireMount } from "../mounts.js";
import { startModel, succeed, type StartedModel } from "./fake-model.js";
import { runTimeOf, ScriptQueue, type AttemptEnding, type AttemptScript } from "./scripts.js";

export interface FakeExecutorOptions {
  /** The backend it stands in for (default docker): runs of that backend go to it. */
  backend?: Backend;
  /** Milliseconds since the epoch (default Date.now); see ManualClock. */
  clock?: () => number;
  /** The script of a launch nothing else scripts (default succeed at once). */
  defaultScript?: AttemptScript;
  /** Scripts by request, asked after the per-attempt and per-run scripts; `launchNumber` counts the run's launches from 1. */
  scriptFor?: (request: LaunchRequest, launchNumber: number) => AttemptScript | undefined;
  /** What capacity() hands out (default 4 CPUs, 8 GiB, no GPU, 4 at once); --max-concurrent overrides maxConcurrent. */
  capacity?: Capacity;
  /** Image references resolveImage does not find (default: every image is present). */
  missingImages?: string[];
}

/** One launch() call, in order. */
export interface LaunchCall {
  request: LaunchRequest;
  /** started: a new attempt; existing: the attempt was known (idempotent, nothing done); refused: it threw. */
  result: "started" | "existing" | "refused";
  script?: AttemptScript;
  atMs: number;
}

/** What the fake knows of an attempt, for assertions. */
export interface FakeAttemptView {
  attemptId: string;
  runId: string;
  request: LaunchRequest;
  script: AttemptScript;
  state: "running" | "exited";
  exitCode?: number | null;
  oomKilled: boolean;
  /** Container log lines (stdout and stderr). */
  output: readonly string[];
}

interface FakeAttempt {
  request: LaunchRequest;
  script: AttemptScript;
  startedAtMs: number;
  state: "running" | "exited";
  exitCode?: number | null;
  oomKilled: boolean;
  finishedAtMs?: number;
  error?: string;
  started: StartedModel;
  ending?: Promise<void>;
  waiters: (() => void)[];
}

/**
 * The job_spec.json the controller wrote into a request's workspace (seed, model_name, hyperparameters,
 * run_settings.tags.job, ...), for scriptFor functions that choose by job or parameters; {} when there is none.
 */
export function jobSpecOf(request: LaunchRequest): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(requireMount(request.mounts, "workspace").source, "job_spec.json"), "utf8"));
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const DEFAULT_CAPACITY: Capacity = { cpus: 4, memBytes: 8 * 1024 ** 3, gpus: 0, maxConcurrent: 4 };

export class FakeExecutor implements Executor {
  readonly backend: Backend;
  /** Every launch() call, in order. */
  readonly launches: LaunchCall[] = [];
  /** Attempt ids cancel() was called for, in order. */
  readonly cancels: string[] = [];
  /** Attempt ids release() was called for, in order. */
  readonly releases: string[] = [];
  private readonly attempts = new Map<string, FakeAttempt>();
  private readonly byAttempt = new ScriptQueue();
  private readonly byRun = new ScriptQueue();
  private readonly launchCounts = new Map<string, number>();
  private readonly clock: () => number;
  private readonly realTime: boolean;
  private engineDown: string | undefined;

  constructor(private readonly options: FakeExecutorOptions = {}) {
    this.backend = options.backend ?? "docker";
    this.clock = options.clock ?? Date.now;
    this.realTime = options.clock === undefined;
  }

  /** The next launches of this attempt id follow these scripts, one each, the last repeating. */
  scriptAttempt(attemptId: string, ...scripts: AttemptScript[]): this {
    this.byAttempt.set(attemptId, scripts);
    return this;
  }

  /** The next launches of this run follow these scripts, one each, the last repeating (e.g. oom, then succeed). */
  scriptRun(runId: string, ...scripts: AttemptScript[]): this {
    this.byRun.set(runId, scripts);
    return this;
  }

  /** While down, every call throws LaunchError("engine_unavailable"), as an engine that does not answer. */
  setEngineDown(message: string | false): void {
    this.engineDown = message === false ? undefined : message;
  }

  /** The launch calls of one run. */
  launchesOf(runId: string): LaunchCall[] {
    return this.launches.filter((call) => call.request.runId === runId);
  }

  /** What the engine holds of an attempt now (undefined once released or vanished). */
  attempt(attemptId: string): FakeAttemptView | undefined {
    const attempt = this.attempts.get(attemptId);
    if (!attempt) return undefined;
    return {
      attemptId,
      runId: attempt.request.runId,
      request: attempt.request,
      script: attempt.script,
      state: attempt.state,
      exitCode: attempt.exitCode,
      oomKilled: attempt.oomKilled,
      output: attempt.started.log.output,
    };
  }

  /** The attempts running now. */
  running(): string[] {
    return [...this.attempts.entries()].filter(([, a]) => a.state === "running").map(([id]) => id);
  }

  /** Ends every attempt whose scripted time is up on the clock (after ManualClock.advance). */
  async tick(): Promise<void> {
    await Promise.all([...this.attempts.keys()].map((id) => this.settle(id)));
  }

  /** Makes a running attempt end now: as scripted, or as `ending` says (a hanging attempt succeeds by default). */
  async exitNow(attemptId: string, ending?: AttemptEnding): Promise<void> {
    const attempt = this.attempts.get(attemptId);
    if (!attempt) throw new Error(`the fake engine holds no attempt ${attemptId}`);
    if (attempt.state !== "running") return;
    const scripted = attempt.script.kind === "hang" || attempt.script.kind === "fail-launch" ? undefined : attempt.script;
    await this.end(attemptId, attempt, ending ?? scripted ?? { kind: "succeed" });
  }

  capacity(limits?: CapacityLimits): Capacity {
    const capacity = this.options.capacity ?? DEFAULT_CAPACITY;
    return { ...capacity, ...(limits?.maxConcurrent !== undefined ? { maxConcurrent: limits.maxConcurrent } : {}) };
  }

  async resolveImage(reference: string): Promise<ImageIdentity | null> {
    this.answer();
    if (this.options.missingImages?.includes(reference)) return null;
    return { reference, kind: "unverified_local", digest: `sha256:${createHash("sha256").update(reference).digest("hex")}` };
  }

  async launch(request: LaunchRequest): Promise<void> {
    this.answer();
    const atMs = this.clock();
    if (this.attempts.has(request.attemptId)) {
      this.launches.push({ request, result: "existing", atMs });
      return;
    }
    const launchNumber = (this.launchCounts.get(request.runId) ?? 0) + 1;
    this.launchCounts.set(request.runId, launchNumber);
    const script =
      this.byAttempt.take(request.attemptId) ??
      this.byRun.take(request.runId) ??
      this.options.scriptFor?.(request, launchNumber) ??
      this.options.defaultScript ?? { kind: "succeed" };
    if (script.kind === "fail-launch") {
      this.launches.push({ request, result: "refused", script, atMs });
      throw new LaunchError(script.error, script.message ?? `the fake engine refuses ${request.attemptId} (${script.error})`);
    }
    const workspaceDir = requireMount(request.mounts, "workspace").source;
    mkdirSync(workspaceDir, { recursive: true });
    const started = startModel(this.modelContext(request), script.kind);
    const attempt: FakeAttempt = { request, script, startedAtMs: atMs, state: "running", oomKilled: false, started, waiters: [] };
    this.attempts.set(request.attemptId, attempt);
    this.launches.push({ request, result: "started", script, atMs });
    const runMs = runTimeOf(script);
    if (this.realTime && runMs !== undefined && runMs > 0) setTimeout(() => void this.settle(request.attemptId), runMs); // kept ref'd: a running attempt is work, as a real container is
  }

  async observe(attemptId: string): Promise<AttemptObservation> {
    this.answer();
    await this.settle(attemptId);
    const attempt = this.attempts.get(attemptId);
    if (!attempt) return { attemptId, state: "missing" };
    return this.observation(attemptId, attempt);
  }

  async cancel(attemptId: string, graceSeconds: number): Promise<void> {
    this.answer();
    this.cancels.push(attemptId);
    await this.settle(attemptId);
    const attempt = this.attempts.get(attemptId);
    if (!attempt || attempt.state !== "running") return;
    const killed = attempt.script.kind === "hang" && attempt.script.ignoresSigterm === true;
    attempt.started.log.print(killed ? `ignored SIGTERM; killed after ${graceSeconds} s` : "terminated by SIGTERM");
    await this.end(attemptId, attempt, { kind: "exit", code: killed ? 137 : 143 });
  }

  async collectLogs(attemptId: string, destinationFile: string): Promise<void> {
    this.answer();
    const attempt = this.attempts.get(attemptId);
    writeFileSync(destinationFile, attempt ? attempt.started.log.output.map((line) => `${line}\n`).join("") : "");
  }

  async listOwned(ownerId: string): Promise<AttemptObservation[]> {
    this.answer();
    const owned = [...this.attempts.entries()].filter(([, attempt]) => attempt.request.ownerId === ownerId).map(([id]) => id);
    const observations: AttemptObservation[] = [];
    for (const attemptId of owned) {
      const observation = await this.observe(attemptId);
      if (observation.state !== "missing") observations.push(observation);
    }
    return observations;
  }

  async release(attemptId: string): Promise<void> {
    this.answer();
    this.releases.push(attemptId);
    const attempt = this.attempts.get(attemptId);
    if (!attempt) return;
    await attempt.ending;
    this.attempts.delete(attemptId);
    this.wake(attempt);
  }

  async waitForExit(attemptId: string): Promise<void> {
    this.answer();
    await this.settle(attemptId);
    const attempt = this.attempts.get(attemptId);
    if (!attempt || attempt.state !== "running") return;
    await new Promise<void>((resolve) => attempt.waiters.push(resolve));
  }

  private answer(): void {
    if (this.engineDown !== undefined) throw new LaunchError("engine_unavailable", `the fake engine does not answer: ${this.engineDown}`);
  }

  /** Ends the attempt when its scripted time is up. */
  private async settle(attemptId: string): Promise<void> {
    const attempt = this.attempts.get(attemptId);
    if (!attempt) return;
    if (attempt.ending) return attempt.ending;
    if (attempt.state !== "running") return;
    const runMs = runTimeOf(attempt.script);
    if (runMs === undefined || this.clock() < attempt.startedAtMs + runMs) return;
    const script = attempt.script;
    if (script.kind === "hang" || script.kind === "fail-launch") return;
    await this.end(attemptId, attempt, script);
  }

  /** One ending per attempt: concurrent observers wait for the same one. */
  private end(attemptId: string, attempt: FakeAttempt, ending: AttemptEnding): Promise<void> {
    attempt.ending ??= this.perform(attemptId, attempt, ending).finally(() => {
      attempt.ending = undefined;
      this.wake(attempt);
    });
    return attempt.ending;
  }

  private async perform(attemptId: string, attempt: FakeAttempt, ending: AttemptEnding): Promise<void> {
    switch (ending.kind) {
      case "succeed": {
        const code = await succeed(this.modelContext(attempt.request), attempt.started, ending);
        this.exit(attempt, code, false);
        return;
      }
      case "exit":
        if (ending.message) {
          attempt.started.log.print(ending.message);
          attempt.started.log.log(ending.message, "ERROR");
          attempt.error = ending.message;
        }
        this.exit(attempt, ending.code, false);
        return;
      case "oom":
        attempt.started.log.print("Killed");
        this.exit(attempt, 137, true);
        return;
      case "vanish":
        this.attempts.delete(attemptId);
        return;
    }
  }

  private exit(attempt: FakeAttempt, code: number, oomKilled: boolean): void {
    attempt.state = "exited";
    attempt.exitCode = code;
    attempt.oomKilled = oomKilled;
    attempt.finishedAtMs = this.clock();
  }

  private wake(attempt: FakeAttempt): void {
    if (attempt.state === "running" && this.attempts.has(attempt.request.attemptId)) return;
    for (const resolve of attempt.waiters.splice(0)) resolve();
  }

  private observation(attemptId: string, attempt: FakeAttempt): AttemptObservation {
    const observation: AttemptObservation = {
      attemptId,
      state: attempt.state,
      startedAt: new Date(attempt.startedAtMs).toISOString(),
      labels: {
        [LABELS.managed]: "true",
        [LABELS.owner]: attempt.request.ownerId,
        [LABELS.attempt]: attemptId,
        [LABELS.run]: attempt.request.runId,
      },
    };
    if (attempt.state === "exited") {
      observation.exitCode = attempt.exitCode ?? null;
      observation.oomKilled = attempt.oomKilled;
      if (attempt.finishedAtMs !== undefined) observation.finishedAt = new Date(attempt.finishedAtMs).toISOString();
    }
    if (attempt.error) observation.error = attempt.error;
    return observation;
  }

  private modelContext(request: LaunchRequest) {
    return {
      inputPath: requireMount(request.mounts, "input").source,
      workspaceDir: requireMount(request.mounts, "workspace").source,
      env: request.env,
      now: () => new Date(this.clock()),
    };
  }
}
