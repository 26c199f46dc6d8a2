/**
 * The Run controller: a work queue of run ids, each reconciled level-triggered against the journal's state
 * and the engine's observation. Every transition is journaled (fsynced) before its side effect, and every
 * appended batch is projected into the SQLite index.
 */
import { join } from "node:path";
import type { Backend } from "../src/domain/resources.js";
import { isTerminal, type RunPhase } from "../src/domain/run-states.js";
import type { AttemptObservation, Executor } from "../src/executors/executor.js";
import { attemptHandle, LaunchError } from "../src/executors/executor.js";
import type { Journal } from "../src/journal/journal.js";
import type { JournalRecord, NewJournalRecord } from "../src/journal/records.js";
import type { RunIndex } from "../src/index/run-index.js";
import type { StoreLayout } from "../src/artifacts/layout.js";
import { validateWorkspace } from "../src/validation/validate-workspace.js";
import { copyFailedEvidence, promote } from "../src/artifacts/promote.js";
import { verifyBundle } from "../src/artifacts/verify.js";
import { attemptId as makeAttemptId } from "../src/identity/run-identity.js";
import { applyRunEvent, canApply, type RunEvent } from "../reconcilers/run-machine.js";
import { holdsReservation, needsObservation, reconcileRun, type RunAction } from "../reconcilers/run-reconciler.js";
import { effectiveMemLimit, retryDecision } from "../reconcilers/retry-policy.js";
import { formatMemLimit } from "../src/manifest/mem-limit.js";
import { explainCacheMiss } from "../reconcilers/cache-miss.js";
import { admit, demandOf, type Admission, type Capacity, type Reservation } from "../reconcilers/broker.js";
import type { PlannedRun } from "../reconcilers/plan.js";
import { leftoverAttempts, type AttemptOwner } from "../reconcilers/leftovers.js";
import { applyRecord, type RunRecord } from "../src/journal/run-records.js";
import { WorkQueue } from "./work-queue.js";
import { CONTAINER_LOG, orchestratorLog, prepareWorkspace } from "./workspace.js";
import type { TrackingHooks } from "./tracking-projector.js";

const CAPACITY_RECHECK_MS = 10_000;

export interface RunControllerOptions {
  /** What the broker may hand out: CPUs, memory, GPUs and concurrent attempts. */
  capacity: Capacity;
  pollIntervalMs: number;
  graceSeconds: number;
  logLevel: string;
  clock?: () => Date;
}

export interface RunControllerDeps {
  journal: Journal;
  index: RunIndex;
  layout: StoreLayout;
  ownerId: string;
  executors: Partial<Record<Backend, Executor>>;
  onTransition?: (run: RunRecord, from: RunPhase, to: RunPhase) => void;
  onError?: (run: RunRecord, error: unknown) => void;
  /** Every batch of records after it was appended (fsynced) and projected. */
  onAppend?: (records: readonly JournalRecord[]) => void;
  /** MLflow projection of each attempt (controllers/tracking-projector.ts); never decides a run's phase. */
  tracking?: TrackingHooks;
}

/** unchanged: controller mode leaves a run that already reached a terminal phase as it is. */
export type PlanDisposition = "new" | "rerun" | "resume" | "skipped" | "recovery_pending" | "unchanged";

export interface PlanEntry {
  runId: string;
  name: string;
  jobName: string;
  seed: number;
  disposition: PlanDisposition;
  /** For skipped runs: the attempt that completed the logical run and its bundle. */
  completedBy?: { attemptId: string; artifactDir: string };
  /** For new runs: what changed since an earlier run of the same job and seed (why it was not reused). */
  cacheMiss?: { previousRunId: string; changes: string[] };
}

function jobSeedKey(run: RunRecord): string {
  return `${run.spec.benchmark}\u0000${run.spec.jobName}\u0000${run.spec.seed}`;
}

export class RunController {
  private readonly runs = new Map<string, RunRecord>();
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 50, maxDelayMs: 30_000 });
  private readonly waiting = new Map<string, () => void>();
  /** Runs handed to this controller (run/track): only these are admitted from PENDING again after a retry. */
  private readonly tracked = new Set<string>();
  private loops: Promise<void>[] | undefined;
  private readonly clock: () => Date;
  private readonly finished = new Set<string>();
  /** Attempts with an engine watch in flight (a run is requeued the moment its container exits). */
  private readonly watching = new Set<string>();
  /** PENDING runs in arrival order: the broker admits from the head (FIFO across benchmarks). */
  private readonly admissionQueue: string[] = [];
  /** Attempt count of each run when this controller took it over: retries are counted from there. */
  private readonly baseAttempt = new Map<string, number>();
  /** When a failed run's retry is due (epoch ms). */
  private readonly retryDue = new Map<string, number>();

  constructor(private readonly deps: RunControllerDeps, private readonly options: RunControllerOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Rebuild the in-memory view from journal records (called once at start). */
  load(records: readonly JournalRecord[]): void {
    for (const record of records) applyRecord(this.runs, record);
  }

  get(runId: string): RunRecord | undefined {
    return this.runs.get(runId);
  }

  all(): RunRecord[] {
    return [...this.runs.values()];
  }

  /**
   * Apply desired state: journal newly planned runs, decide for known runs whether to rerun, resume or
   * (with skipCompleted) reuse a verified bundle. Nothing is launched here.
   */
  async applyPlan(planned: readonly PlannedRun[], options: { skipCompleted: boolean; converge?: boolean }): Promise<PlanEntry[]> {
    const entries: PlanEntry[] = [];
    const newRecords: NewJournalRecord[] = [];
    const earlier = this.earlierRuns();
    for (const run of planned) {
      const existing = this.runs.get(run.runId);
      if (!existing || JSON.stringify(existing.spec) !== JSON.stringify(run.spec) || existing.name !== run.name) {
        newRecords.push({ type: "RUN_PLANNED", runId: run.runId, name: run.name, spec: run.spec });
      }
    }
    this.append(newRecords);
    for (const run of planned) {
      const record = this.runs.get(run.runId);
      if (!record) throw new Error(`run ${run.runId} missing after planning`);
      const previous = earlier.get(jobSeedKey(record));
      const base = { runId: record.runId, name: record.name, jobName: record.spec.jobName, seed: record.spec.seed };
      if (options.converge && isTerminal(record.snapshot.value)) {
        entries.push({ ...base, disposition: "unchanged" });
        continue;
      }
      entries.push(await this.dispose(record, options.skipCompleted, previous && previous.runId !== record.runId ? previous : undefined));
    }
    return entries;
  }

  private async dispose(record: RunRecord, skipCompleted: boolean, previous: RunRecord | undefined): Promise<PlanEntry> {
    const base = { runId: record.runId, name: record.name, jobName: record.spec.jobName, seed: record.spec.seed };
    const phase = record.snapshot.value;
    if (phase === "RECOVERY_PENDING") return { ...base, disposition: "recovery_pending" };
    if (skipCompleted) {
      const completed = await this.verifiedPromotion(record);
      if (completed) {
        if (phase !== "ARTIFACT_SUCCESS") {
          if (isTerminal(phase)) this.transition(record, { type: "RERUN" });
          if (record.snapshot.value === "PENDING") {
            this.append([{ type: "RUN_REUSED", runId: record.runId, attemptId: completed.attemptId, artifactDir: completed.artifactDir }]);
            this.transition(record, { type: "REUSED", attemptId: completed.attemptId, artifactDir: completed.artifactDir });
          } else {
            return { ...base, disposition: "resume" };
          }
        }
        return { ...base, disposition: "skipped", completedBy: completed };
      }
    }
    if (phase === "PENDING" && record.snapshot.context.attempt === 0) {
      return previous ? { ...base, disposition: "new", cacheMiss: { previousRunId: previous.runId, changes: explainCacheMiss(previous.spec, record.spec) } } : { ...base, disposition: "new" };
    }
    if (isTerminal(phase)) {
      this.transition(record, { type: "RERUN" });
      return { ...base, disposition: "rerun" };
    }
    return { ...base, disposition: "resume" };
  }

  /** Earlier runs by benchmark, job and seed, to explain why a newly planned run is not reused. */
  private earlierRuns(): Map<string, RunRecord> {
    const byKey = new Map<string, RunRecord>();
    for (const run of this.runs.values()) byKey.set(jobSeedKey(run), run);
    return byKey;
  }

  /** The newest promotion of this logical run whose bundle still verifies. */
  private async verifiedPromotion(record: RunRecord): Promise<{ attemptId: string; artifactDir: string } | undefined> {
    for (const promotion of [...record.promotions].reverse()) {
      const result = await verifyBundle(promotion.artifactDir);
      if (result.ok && result.manifest?.logical_run_id === record.runId) return promotion;
    }
    return undefined;
  }

  /** Cancel every run this controller is reconciling (Ctrl-C of `multiverse run`). */
  requestCancelAll(): void {
    for (const runId of this.tracked) this.requestCancel(runId);
  }

  requestCancel(runId: string): void {
    const record = this.runs.get(runId);
    if (!record) return;
    record.cancelRequested = true;
    this.tracked.add(runId);
    this.queue.add(runId);
  }

  /** Reconcile the given runs until each needs no more work; resolves with their records. */
  async runUntilSettled(runIds: readonly string[], workers = this.defaultWorkers()): Promise<RunRecord[]> {
    const pending = runIds.map((runId) => new Promise<void>((resolve) => this.waiting.set(runId, resolve)));
    this.start(workers);
    this.track(runIds);
    await Promise.all(pending);
    await this.stop();
    return runIds.map((runId) => this.runs.get(runId)).filter((r): r is RunRecord => r !== undefined);
  }

  /**
   * With the workers already started (start()): hands runs over and resolves when each needs no more work. The
   * sweep driver adds trial runs this way while others run; a run awaited twice resolves both waiters.
   */
  async settled(runIds: readonly string[]): Promise<RunRecord[]> {
    const pending = runIds.map((runId) => new Promise<void>((resolve) => {
      const earlier = this.waiting.get(runId);
      this.waiting.set(runId, earlier ? () => { earlier(); resolve(); } : resolve);
    }));
    this.track(runIds);
    await Promise.all(pending);
    return runIds.map((runId) => this.runs.get(runId)).filter((r): r is RunRecord => r !== undefined);
  }

  private defaultWorkers(): number {
    return Math.max(2, Math.min(this.options.capacity.maxConcurrent, 32) + 1);
  }

  /** Starts the worker loops (controller mode: they run until stop()). */
  start(workers = this.defaultWorkers()): void {
    if (this.loops) return;
    this.loops = Array.from({ length: workers }, () => this.worker());
  }

  /** Stops taking work; resolves when the workers have finished the keys they hold. Attempts keep running. */
  async stop(): Promise<void> {
    const loops = this.loops;
    if (!loops) return;
    this.queue.shutDown();
    await Promise.all(loops);
    this.loops = undefined;
  }

  /** Hands runs to the workers; a run already tracked is only requeued. */
  track(runIds: readonly string[]): void {
    for (const runId of runIds) {
      const run = this.runs.get(runId);
      if (!run) continue;
      this.tracked.add(runId);
      if (run.snapshot.value === "PENDING") this.enqueueForAdmission(runId);
      // A run resumed mid-attempt counts that attempt as this controller's own.
      const inFlight = run.snapshot.value !== "PENDING" && !isTerminal(run.snapshot.value);
      if (!this.baseAttempt.has(runId)) this.baseAttempt.set(runId, run.snapshot.context.attempt - (inFlight ? 1 : 0));
      this.queue.add(runId);
    }
  }

  private readonly durations: number[] = [];

  private recordDuration(seconds: number): void {
    if (this.durations.length >= 10_000) this.durations.splice(0, 5_000);
    this.durations.push(seconds);
  }

  /** Recent reconcile durations in seconds (for the metrics endpoint). */
  reconcileDurations(): readonly number[] {
    return this.durations;
  }

  /** Keys waiting for a worker (for metrics). */
  queueDepth(): number {
    return this.queue.length;
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const startedAt = performance.now();
      try {
        const requeueAfter = await this.reconcile(key);
        this.recordDuration((performance.now() - startedAt) / 1000);
        this.queue.forget(key);
        if (requeueAfter === "settled") this.settle(key);
        else if (requeueAfter === 0) this.queue.add(key);
        else this.queue.addAfter(key, requeueAfter);
      } catch (error) {
        const record = this.runs.get(key);
        if (record) this.deps.onError?.(record, error);
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private settle(runId: string): void {
    const resolve = this.waiting.get(runId);
    if (resolve) {
      this.waiting.delete(runId);
      resolve();
    }
  }

  /** One level-triggered reconcile of one run. Returns "settled", 0 (again now) or a delay in ms. */
  async reconcile(runId: string): Promise<"settled" | number> {
    const record = this.runs.get(runId);
    if (!record) return "settled";
    const attemptId = record.snapshot.context.attemptId;
    let observation: AttemptObservation | undefined;
    if (needsObservation(record.snapshot) && attemptId) {
      observation = await this.executorFor(record).observe(attemptId);
      const journaled = record.exited.get(attemptId);
      if (observation.state === "missing" && journaled) {
        // Released after its exit was journaled (a crash came before the transition): the journal knows the outcome.
        observation = { attemptId, state: "exited", ...journaled };
      }
    }
    let admission: Admission | undefined;
    if (record.snapshot.value === "PENDING" && !record.cancelRequested) {
      admission = this.admission(record);
      if (admission.verdict === "never") {
        this.transition(record, { type: "REFUSED", message: admission.message });
        return "settled";
      }
    }
    const decision = reconcileRun({
      snapshot: record.snapshot,
      observation,
      cancelRequested: record.cancelRequested,
      capacityAvailable: admission?.verdict === "admit",
      memLimitBytes: record.spec.memLimitBytes,
      timeoutSeconds: record.spec.timeoutSeconds,
      timeoutIssued: attemptId ? record.timeoutIssued.has(attemptId) : false,
      now: this.clock(),
      pollIntervalMs: this.options.pollIntervalMs,
    });
    if (decision.action?.type === "collect-logs") {
      // Evidence first: the container's log and exit are recorded before the transition that follows it.
      await this.collectLogs(record, decision.action.attemptId, observation);
    }
    for (const event of decision.events) this.transition(record, event);
    // Engine-side leftovers go only after the outcome is journaled, so a crash in between loses nothing.
    if (decision.action?.type === "collect-logs") await this.executorFor(record).release(decision.action.attemptId);
    if (decision.action && decision.action.type !== "collect-logs") await this.perform(record, decision.action);
    if (decision.done) {
      await this.finish(record);
      const retry = this.retryAfter(record);
      if (retry !== undefined) return retry;
      return "settled";
    }
    if (decision.events.length > 0 || decision.action) return 0;
    if (record.snapshot.value === "PENDING") {
      // Woken when a reservation is released or the queue moves; the long timer only guards against a lost wake-up.
      return CAPACITY_RECHECK_MS;
    }
    if (record.snapshot.value === "RUNNING" && attemptId && observation?.state === "running") this.watch(record, attemptId);
    return decision.requeueAfterMs ?? this.options.pollIntervalMs;
  }

  /** For a run that failed under this controller: the delay before its next attempt, or undefined for none. */
  private retryAfter(record: RunRecord): number | undefined {
    if (record.snapshot.value !== "FAILED" || record.cancelRequested) return undefined;
    const base = this.baseAttempt.get(record.runId) ?? 0;
    const attemptsHere = record.snapshot.context.attempt - base;
    if (attemptsHere <= 0) return undefined;
    const decision = retryDecision(record.snapshot.context.reason, attemptsHere, record.spec.retries, record.spec.oomRetries ?? 0);
    const attemptId = record.snapshot.context.attemptId;
    if (!decision.retry) return undefined;
    const now = this.clock().getTime();
    const due = this.retryDue.get(record.runId);
    if (due === undefined) {
      this.retryDue.set(record.runId, now + decision.delayMs);
      if (attemptId) this.log(record, attemptId, `will retry in ${decision.delayMs} ms: ${decision.why}`);
      return decision.delayMs;
    }
    if (now < due) return due - now;
    this.retryDue.delete(record.runId);
    this.transition(record, { type: "RERUN" });
    return 0;
  }

  private watch(record: RunRecord, attemptId: string): void {
    const executor = this.executorFor(record);
    if (!executor.waitForExit || this.watching.has(attemptId)) return;
    this.watching.add(attemptId);
    executor
      .waitForExit(attemptId)
      .then(
        () => this.queue.add(record.runId),
        () => undefined, // the poll still observes the attempt
      )
      .finally(() => this.watching.delete(attemptId));
  }

  /** A reservation was released or the admission queue moved: the run now first in line gets a look. */
  private wakeHead(): void {
    const head = this.admissionQueue[0];
    if (head !== undefined) this.queue.add(head);
  }

  private reservations(): Reservation[] {
    const held: Reservation[] = [];
    for (const run of this.runs.values()) if (holdsReservation(run.snapshot)) held.push({ runId: run.runId, demand: this.demand(run) });
    return held;
  }

  private admission(record: RunRecord): Admission {
    return admit({ runId: record.runId, demand: this.demand(record) }, this.options.capacity, this.reservations(), this.admissionQueue);
  }

  /** What the run's next (or current) attempt asks of the broker, with its memory grown after OOM kills. */
  private demand(record: RunRecord) {
    return demandOf({ ...record.spec, memLimitBytes: this.memLimit(record) });
  }

  private memLimit(record: RunRecord): number | undefined {
    const oomKills = [...record.exited.values()].filter((e) => e.oomKilled).length;
    return effectiveMemLimit(record.spec, oomKills, this.options.capacity.memBytes);
  }

  private enqueueForAdmission(runId: string): void {
    if (!this.admissionQueue.includes(runId)) this.admissionQueue.push(runId);
  }

  private async perform(record: RunRecord, action: RunAction): Promise<void> {
    switch (action.type) {
      case "admit": {
        // Checked again synchronously: no await between the capacity check and the ADMIT record.
        if (this.admission(record).verdict !== "admit") return;
        const attempt = record.snapshot.context.attempt + 1;
        const attemptId = makeAttemptId(record.runId, this.deps.ownerId, attempt);
        this.transition(record, { type: "ADMIT", attempt, attemptId });
        this.log(record, attemptId, `admitted attempt ${attempt} (${attemptId}) of run ${record.name} [${record.runId}] on backend ${record.spec.backend}`);
        return;
      }
      case "launch":
        return this.launch(record, action.attemptId, action.attempt);
      case "validate":
        return this.validate(record, action.attemptId);
      case "promote":
        return this.promote(record, action.attemptId);
      case "stop": {
        if (action.reason === "timeout") {
          record.timeoutIssued.add(action.attemptId);
          this.log(record, action.attemptId, `time limit of ${record.spec.timeoutSeconds}s exceeded: stopping the attempt`);
        } else {
          this.log(record, action.attemptId, `cancellation requested: stopping the attempt (grace ${this.options.graceSeconds}s)`);
        }
        await this.executorFor(record).cancel(action.attemptId, this.options.graceSeconds);
        return;
      }
      case "release":
        await this.executorFor(record).release(action.attemptId);
        return;
      case "collect-logs":
        return;
    }
  }

  private async launch(record: RunRecord, attemptId: string, attempt: number): Promise<void> {
    const executor = this.executorFor(record);
    const workspaceDir = this.deps.layout.workspaceDir(attemptId);
    if (!record.launched.has(attemptId)) {
      prepareWorkspace(workspaceDir, record.spec, { runId: record.runId, attemptId });
      this.append([
        { type: "LAUNCH_INTENT", runId: record.runId, attemptId, attempt, executor: executor.backend, handle: attemptHandle(attemptId), workspaceDir },
      ]);
    }
    const memLimitBytes = this.memLimit(record);
    const limits = memLimitBytes !== undefined ? `, memory limit ${formatMemLimit(memLimitBytes)}` : "";
    this.log(record, attemptId, `launching ${record.spec.image.reference} (${record.spec.image.kind} ${record.spec.image.digest}) as ${attemptHandle(attemptId)}${limits}`);
    const tracking = await this.deps.tracking?.beforeLaunch(record, attemptId);
    try {
      await executor.launch({
        attemptId,
        runId: record.runId,
        ownerId: this.deps.ownerId,
        image: record.spec.image.reference,
        datasetPath: record.spec.datasetPath,
        workspaceDir,
        env: {
          ...tracking?.env,
          MULTIVERSE_LOG_LEVEL: this.options.logLevel,
          MULTIVERSE_RUN_ID: record.runId,
          MULTIVERSE_ATTEMPT_ID: attemptId,
        },
        memLimitBytes,
        cpus: record.spec.cpus,
        gpu: record.spec.gpu,
        entrypoint: record.spec.entrypoint,
        modelDirectory: record.spec.modelDirectory,
        modelSlug: record.spec.model,
        modelVersion: record.spec.modelVersion,
        timeoutSeconds: record.spec.timeoutSeconds,
        slurm: record.spec.slurm,
        ...(tracking?.network ? { network: true } : {}),
      });
    } catch (error) {
      if (error instanceof LaunchError) {
        this.log(record, attemptId, `launch failed (${error.kind}): ${error.message}`);
        this.transition(record, { type: "LAUNCH_FAILED", reason: error.kind, message: error.message });
        return;
      }
      throw error;
    }
    this.transition(record, { type: "STARTED" });
    this.log(record, attemptId, "started");
  }

  private async collectLogs(record: RunRecord, attemptId: string, observation: AttemptObservation | undefined): Promise<void> {
    const executor = this.executorFor(record);
    const workspaceDir = this.deps.layout.workspaceDir(attemptId);
    if (!record.exited.has(attemptId)) {
      try {
        await executor.collectLogs(attemptId, join(workspaceDir, CONTAINER_LOG));
      } catch (error) {
        this.log(record, attemptId, `could not collect the container log: ${(error as Error).message}`);
      }
      this.append([
        {
          type: "ATTEMPT_EXITED",
          runId: record.runId,
          attemptId,
          exitCode: observation?.exitCode ?? null,
          oomKilled: observation?.oomKilled ?? false,
          startedAt: observation?.startedAt,
          finishedAt: observation?.finishedAt,
        },
      ]);
      const code = observation?.state === "missing" ? "container missing" : `exit code ${observation?.exitCode ?? "unknown"}${observation?.oomKilled ? ", OOM-killed" : ""}`;
      this.log(record, attemptId, `attempt ended: ${code}`);
    }
  }

  private async validate(record: RunRecord, attemptId: string): Promise<void> {
    const workspaceDir = this.deps.layout.workspaceDir(attemptId);
    const result = await validateWorkspace(workspaceDir, { nObs: record.spec.nObs, level: record.spec.validators, limits: record.spec.outputLimits });
    for (const problem of result.problems) {
      this.log(record, attemptId, `validation ${problem.severity}: ${problem.artifact}: ${problem.code}: ${problem.message}`);
    }
    if (result.ok) {
      this.log(record, attemptId, `outputs validated at level ${record.spec.validators}`);
      this.transition(record, { type: "VALIDATION_PASSED" });
      return;
    }
    const errors = result.problems.filter((p) => p.severity === "error");
    const message = errors.map((p) => `${p.artifact}: ${p.code}: ${p.message}`).join("; ");
    this.transition(record, { type: "VALIDATION_FAILED", message });
  }

  private async promote(record: RunRecord, attemptId: string): Promise<void> {
    const layout = this.deps.layout;
    const workspaceDir = layout.workspaceDir(attemptId);
    this.log(record, attemptId, "promoting");
    const validation = await validateWorkspace(workspaceDir, { nObs: record.spec.nObs, level: record.spec.validators, limits: record.spec.outputLimits });
    const artifactDir = layout.artifactDir(attemptId, record.spec.jobName);
    if (!validation.ok && !(await this.promotionAlreadyStaged(record, attemptId, artifactDir))) {
      // Outputs that passed validation no longer do (changed or damaged after a crash), and no staged copy
      // exists: neither promoting nor failing is safe to decide here. Keep everything and ask the operator.
      const problems = validation.problems.filter((p) => p.severity === "error").map((p) => `${p.artifact}: ${p.code}`).join("; ");
      const message = `outputs that passed validation no longer validate (${problems}); evidence kept in ${workspaceDir}; decide with: multiverse recover adopt|discard ${record.runId.slice(0, 12)}`;
      this.log(record, attemptId, `RECOVERY_PENDING: ${message}`);
      this.transition(record, { type: "RECOVERY_NEEDED", message });
      return;
    }
    this.append([{ type: "PROMOTION_INTENT", runId: record.runId, attemptId, stagingDir: layout.stagingDir(attemptId), artifactDir }]);
    try {
      const result = await promote({
        layout,
        runId: record.runId,
        attemptId,
        jobName: record.spec.jobName,
        spec: record.spec,
        artifacts: validation.artifacts,
        validation: {
          level: record.spec.validators,
          warnings: validation.problems.filter((p) => p.severity === "warning").map((p) => `${p.artifact}: ${p.code}: ${p.message}`),
          latentShape: validation.latentShape,
        },
        transitions: record.transitions.filter((t) => t.attemptId === attemptId || t.attemptId === undefined).map((t) => ({ from: t.from, to: t.to, event: t.event, ts: t.ts })),
        ownerToken: this.deps.ownerId,
        clock: this.clock,
        artifactDir,
        releaseWorkspace: true,
      });
      // After a crash between this record and the transition below, the saga reuses the bundle: record it once.
      if (!record.promotions.some((p) => p.attemptId === attemptId)) {
        this.append([{ type: "PROMOTED", runId: record.runId, attemptId, artifactDir: result.artifactDir, manifestSha256: result.manifestSha256 }]);
      }
      this.transition(record, { type: "PROMOTED", artifactDir: result.artifactDir });
      this.log(record, attemptId, `promoted to ${result.artifactDir}`);
    } catch (error) {
      const message = (error as Error).message;
      this.log(record, attemptId, `promotion failed: ${message}`);
      this.transition(record, { type: "PROMOTION_FAILED", message });
    }
  }

  /** Runs once per settled attempt in this process: the closing lines of orchestrator.log and failed-run evidence. */
  /** Whether the saga can finish from its own staged or promoted copy of this attempt, without the workspace. */
  private async promotionAlreadyStaged(record: RunRecord, attemptId: string, artifactDir: string): Promise<boolean> {
    for (const dir of [artifactDir, this.deps.layout.stagingDir(attemptId)]) {
      const verification = await verifyBundle(dir);
      if (verification.ok && verification.manifest?.physical_run_id === attemptId && verification.manifest.logical_run_id === record.runId) return true;
    }
    return false;
  }

  /** The operator's decision on a RECOVERY_PENDING run: adopt (validate again, then promote) or discard (FAILED). */
  decide(runId: string, decision: "adopt" | "discard"): void {
    const record = this.runs.get(runId);
    if (!record) throw new Error(`unknown run ${runId}`);
    const attemptId = record.snapshot.context.attemptId;
    if (attemptId) this.log(record, attemptId, `operator decision: ${decision}`);
    this.transition(record, decision === "adopt" ? { type: "ADOPT" } : { type: "DISCARD" });
  }

  private async finish(record: RunRecord): Promise<void> {
    const attemptId = record.snapshot.context.attemptId;
    if (!attemptId || !record.launched.has(attemptId) || this.finished.has(attemptId)) return;
    this.finished.add(attemptId);
    const { reason, message } = record.snapshot.context;
    if (record.snapshot.value === "FAILED") {
      this.log(record, attemptId, `run FAILED: ${reason ?? "unknown"}: ${message ?? ""}`);
      const copied = await copyFailedEvidence(this.deps.layout, record.runId, record.spec.jobName, attemptId);
      if (copied) this.log(record, attemptId, `failed-run evidence copied to ${copied}`);
    } else if (record.snapshot.value === "CANCELLED") {
      this.log(record, attemptId, "run CANCELLED; workspace and logs kept");
    }
    await this.deps.tracking?.afterTerminal(record, attemptId);
  }

  private transition(record: RunRecord, event: RunEvent): void {
    if (!canApply(record.snapshot, event)) return; // level-triggered: a stale event for a phase already left is a no-op
    const held = holdsReservation(record.snapshot);
    const result = applyRunEvent(record.snapshot, event);
    this.append([
      {
        type: "RUN_TRANSITION",
        runId: record.runId,
        attemptId: result.snapshot.context.attemptId,
        attempt: result.snapshot.context.attempt,
        event: event.type,
        from: result.from,
        to: result.to,
        reason: result.snapshot.context.reason,
        message: result.snapshot.context.message,
        snapshot: result.snapshot,
      },
    ]);
    if (result.from === "PENDING" && result.to !== "PENDING") {
      const at = this.admissionQueue.indexOf(record.runId);
      if (at >= 0) this.admissionQueue.splice(at, 1);
      if (at === 0) this.wakeHead();
    }
    if (result.to === "PENDING" && result.from !== "PENDING" && this.tracked.has(record.runId)) this.enqueueForAdmission(record.runId);
    if (held && !holdsReservation(result.snapshot)) this.wakeHead();
    this.deps.onTransition?.(record, result.from, result.to);
  }

  /** Journals records (fsynced), applies them to the in-memory view and projects them into the index. */
  append(records: NewJournalRecord[]): JournalRecord[] {
    if (records.length === 0) return [];
    const written = this.deps.journal.append(records);
    for (const record of written) applyRecord(this.runs, record);
    try {
      this.deps.index.apply(written);
    } catch {
      // The index is a projection: it can be rebuilt from the journal (rebuild-index); never fail a run for it.
    }
    this.deps.onAppend?.(written);
    return written;
  }

  private executorFactory: ((backend: Backend) => Executor) | undefined;

  /**
   * Releases what the engines still hold of attempts whose outcome is journaled (a crash between the transition
   * that records an exit and the release leaves it behind). Returns the released attempt ids.
   */
  async releaseLeftovers(): Promise<string[]> {
    const owners = new Map<string, AttemptOwner>();
    for (const run of this.runs.values()) {
      for (const attemptId of run.launched) owners.set(attemptId, { phase: run.snapshot.value, attemptId: run.snapshot.context.attemptId ?? null });
    }
    const released: string[] = [];
    for (const executor of Object.values(this.deps.executors)) {
      if (!executor) continue;
      let owned: AttemptObservation[];
      try {
        owned = await executor.listOwned(this.deps.ownerId);
      } catch {
        continue; // an engine that cannot answer now: its leftovers are found next time
      }
      for (const attemptId of leftoverAttempts(owned, (id) => owners.get(id))) {
        try {
          await executor.release(attemptId);
          released.push(attemptId);
        } catch {
          // left for the next start
        }
      }
    }
    return released;
  }

  /** Creates executors on first use for backends the controller was not given (recovery of any run). */
  executorsFallback(factory: (backend: Backend) => Executor): void {
    this.executorFactory = factory;
  }

  private executorFor(record: RunRecord): Executor {
    let executor = this.deps.executors[record.spec.backend];
    if (!executor && this.executorFactory) {
      executor = this.executorFactory(record.spec.backend);
      this.deps.executors[record.spec.backend] = executor;
    }
    if (!executor) throw new Error(`no executor configured for backend "${record.spec.backend}"`);
    return executor;
  }

  private log(record: RunRecord, attemptId: string, message: string): void {
    orchestratorLog(this.deps.layout.workspaceDir(attemptId), `[${record.name}] ${message}`, this.clock);
  }
}
