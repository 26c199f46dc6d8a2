/**
 * The Run controller: the generic reconcile loop over run ids. Each reconcile reads the run's journaled state and
 * the engine's observation, asks the pure run reconciler what to do, journals the transitions and performs at
 * most one action (controllers/run/attempt-steps.ts). Admission, retries and plan dispositions live beside it.
 */
import { isTerminal } from "../../src/domain/run-states.js";
import { Errors, isMultiverseError } from "../../src/domain/errors.js";
import type { AttemptObservation } from "../../src/executors/executor.js";
import type { RunRecord } from "../../src/journal/run-records.js";
import { attemptId as makeAttemptId } from "../../src/identity/run-identity.js";
import type { ReconcileLoopStats } from "../../src/domain/controller-metrics.js";
import { needsObservation, reconcileRun, type RunAction } from "../../reconcilers/run-reconciler.js";
import type { Admission } from "../../reconcilers/broker.js";
import type { PlannedRun } from "../../reconcilers/plan.js";
import { ReconcileLoop, type ReconcileResult } from "../loop/reconcile-loop.js";
import { AdmissionLine } from "./admission.js";
import { AttemptSteps } from "./attempt-steps.js";
import { releaseLeftovers } from "./leftovers.js";
import { PlanApplier, type ApplyPlanOptions, type PlanEntry } from "./plan-applier.js";
import { RetryTimers } from "./retries.js";
import type { RunControllerDeps, RunControllerOptions } from "./run-deps.js";
import { RunTransitions } from "./transitions.js";

export type { PlanDisposition, PlanEntry } from "./plan-applier.js";
export type { RunControllerDeps, RunControllerOptions, RunExecutors } from "./run-deps.js";

const CAPACITY_RECHECK_MS = 10_000;

export class RunController {
  private readonly loop: ReconcileLoop<string>;
  private readonly clock: () => Date;
  private readonly admissionLine: AdmissionLine;
  private readonly transitions: RunTransitions;
  private readonly steps: AttemptSteps;
  private readonly plans: PlanApplier;
  private readonly retries = new RetryTimers();
  /** Runs handed to this controller (run/track): only these are admitted from PENDING again after a retry. */
  private readonly tracked = new Set<string>();
  private readonly waiting = new Map<string, () => void>();
  /** Attempts with an engine watch in flight (a run is requeued the moment its container exits). */
  private readonly watching = new Set<string>();
  private failFatally: (error: unknown) => void = () => undefined;
  /** Rejects when the journal cannot be written and the options say to give up (multiverse run). */
  private readonly fatal = new Promise<never>((_resolve, reject) => (this.failFatally = reject));

  constructor(private readonly deps: RunControllerDeps, private readonly options: RunControllerOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.fatal.catch(() => undefined); // observed by settled(); never an unhandled rejection
    this.loop = new ReconcileLoop<string>({
      name: "run",
      reconciler: { reconcile: (runId) => this.reconcileKey(runId) },
      baseDelayMs: 50,
      maxDelayMs: 30_000,
      onError: (runId, error) => {
        const record = deps.store.get(runId);
        if (record) deps.onError?.(record, error);
        if (options.failOnUnwritableJournal && isMultiverseError(error) && error.code === Errors.journalUnwritable.code) this.failFatally(error);
      },
    });
    this.admissionLine = new AdmissionLine(deps.store, options.capacity, (runId) => this.loop.enqueue(runId));
    this.transitions = new RunTransitions(deps.writer, this.admissionLine, (runId) => this.tracked.has(runId), deps.onTransition);
    this.steps = new AttemptSteps(deps, options, this.transitions, this.admissionLine, this.clock);
    this.plans = new PlanApplier(deps.writer, deps.store, this.transitions);
  }

  get(runId: string): RunRecord | undefined {
    return this.deps.store.get(runId);
  }

  all(): RunRecord[] {
    return this.deps.store.all();
  }

  /** Apply desired state (journal new runs, decide rerun/resume/reuse for known ones). Nothing is launched here. */
  applyPlan(planned: readonly PlannedRun[], options: ApplyPlanOptions): Promise<PlanEntry[]> {
    return this.plans.apply(planned, options);
  }

  /** Cancel every run this controller is reconciling (Ctrl-C of `multiverse run`). */
  requestCancelAll(): void {
    for (const runId of this.tracked) this.requestCancel(runId);
  }

  requestCancel(runId: string): void {
    const record = this.deps.store.get(runId);
    if (!record) return;
    record.cancelRequested = true;
    this.tracked.add(runId);
    this.loop.enqueue(runId);
  }

  /** Reconcile the given runs until each needs no more work; resolves with their records. */
  async runUntilSettled(runIds: readonly string[], workers = this.defaultWorkers()): Promise<RunRecord[]> {
    this.start(workers);
    try {
      return await this.settled(runIds);
    } finally {
      await this.stop();
    }
  }

  /** With the workers started: hands runs over and resolves when each needs no more work (two waiters of one run both resolve). */
  async settled(runIds: readonly string[]): Promise<RunRecord[]> {
    const pending = runIds.map((runId) => new Promise<void>((resolve) => {
      const earlier = this.waiting.get(runId);
      this.waiting.set(runId, earlier ? () => { earlier(); resolve(); } : resolve);
    }));
    this.track(runIds);
    await Promise.race([Promise.all(pending), this.fatal]);
    return runIds.map((runId) => this.deps.store.get(runId)).filter((r): r is RunRecord => r !== undefined);
  }

  private defaultWorkers(): number {
    return Math.max(2, Math.min(this.options.capacity.maxConcurrent, 32) + 1);
  }

  start(workers = this.defaultWorkers()): void {
    this.loop.start(workers);
  }

  /** Stops taking work; resolves when the workers have finished the keys they hold. Attempts keep running. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Hands runs to the workers; a run already tracked is only requeued. */
  track(runIds: readonly string[]): void {
    for (const runId of runIds) {
      const run = this.deps.store.get(runId);
      if (!run) continue;
      this.tracked.add(runId);
      if (run.snapshot.value === "PENDING") this.admissionLine.enqueue(runId);
      this.retries.takeOver(run, run.snapshot.value !== "PENDING" && !isTerminal(run.snapshot.value));
      this.loop.enqueue(runId);
    }
  }

  metrics(): ReconcileLoopStats {
    return this.loop.metrics();
  }

  queueDepth(): number {
    return this.loop.queueDepth;
  }

  /** Recent reconcile durations in seconds (the API's run reconcile histogram). */
  reconcileDurations(): readonly number[] {
    return this.loop.recentDurations();
  }

  /** The operator's decision on a RECOVERY_PENDING run: adopt (validate again, then promote) or discard (FAILED). */
  decide(runId: string, decision: "adopt" | "discard"): void {
    const record = this.deps.store.get(runId);
    if (!record) throw new Error(`unknown run ${runId}`);
    const attemptId = record.snapshot.context.attemptId;
    if (attemptId) this.steps.log(record, attemptId, `operator decision: ${decision}`);
    this.transitions.apply(record, decision === "adopt" ? { type: "ADOPT" } : { type: "DISCARD" });
  }

  /** Releases engine-side leftovers of attempts whose outcome is journaled; returns their ids. */
  releaseLeftovers(): Promise<string[]> {
    return releaseLeftovers(this.deps.store, this.deps.executors.created(), this.deps.ownerId);
  }

  private async reconcileKey(runId: string): Promise<ReconcileResult> {
    const outcome = await this.reconcile(runId);
    if (outcome !== "settled") return { requeueAfterMs: outcome };
    const resolve = this.waiting.get(runId);
    if (resolve) {
      this.waiting.delete(runId);
      resolve();
    }
    return {};
  }

  /** One level-triggered reconcile of one run. Returns "settled", 0 (again now) or a delay in ms. */
  async reconcile(runId: string): Promise<"settled" | number> {
    const record = this.deps.store.get(runId);
    if (!record) return "settled";
    const attemptId = record.snapshot.context.attemptId;
    const observation = needsObservation(record.snapshot) && attemptId ? await this.observe(record, attemptId) : undefined;
    let admission: Admission | undefined;
    if (record.snapshot.value === "PENDING" && !record.cancelRequested) {
      admission = this.admissionLine.admission(record);
      if (admission.verdict === "never") {
        this.transitions.apply(record, { type: "REFUSED", message: admission.message });
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
    const collecting = decision.action?.type === "collect-logs" ? decision.action.attemptId : undefined;
    if (collecting) await this.steps.collectLogs(record, collecting, observation);
    for (const event of decision.events) this.transitions.apply(record, event);
    // Engine-side leftovers go only after the outcome is journaled, so a crash in between loses nothing.
    if (collecting) await this.steps.executorFor(record).release(collecting);
    else if (decision.action) await this.perform(record, decision.action);
    if (decision.done) {
      await this.steps.finish(record);
      return this.retryAfter(record) ?? "settled";
    }
    if (decision.events.length > 0 || decision.action) return 0;
    // Woken when a reservation is released or the line moves; the long timer only guards against a lost wake-up.
    if (record.snapshot.value === "PENDING") return CAPACITY_RECHECK_MS;
    if (record.snapshot.value === "RUNNING" && attemptId && observation?.state === "running") this.watch(record, attemptId);
    return decision.requeueAfterMs ?? this.options.pollIntervalMs;
  }

  private async observe(record: RunRecord, attemptId: string): Promise<AttemptObservation> {
    const observation = await this.steps.executorFor(record).observe(attemptId);
    const journaled = record.exited.get(attemptId);
    // Released after its exit was journaled (a crash came before the transition): the journal knows the outcome.
    if (observation.state === "missing" && journaled) return { attemptId, state: "exited", ...journaled };
    return observation;
  }

  private retryAfter(record: RunRecord): number | undefined {
    const attemptId = record.snapshot.context.attemptId;
    const next = this.retries.next(record, this.clock().getTime(), (delayMs, why) => {
      if (attemptId) this.steps.log(record, attemptId, `will retry in ${delayMs} ms: ${why}`);
    });
    if (next !== "now") return next;
    this.transitions.apply(record, { type: "RERUN" });
    return 0;
  }

  private async perform(record: RunRecord, action: RunAction): Promise<void> {
    switch (action.type) {
      case "admit": {
        // Checked again synchronously: no await between the capacity check and the ADMIT record.
        if (this.admissionLine.admission(record).verdict !== "admit") return;
        const attempt = record.snapshot.context.attempt + 1;
        const attemptId = makeAttemptId(record.runId, this.deps.ownerId, attempt);
        this.transitions.apply(record, { type: "ADMIT", attempt, attemptId });
        this.steps.log(record, attemptId, `admitted attempt ${attempt} (${attemptId}) of run ${record.name} [${record.runId}] on backend ${record.spec.backend}`);
        return;
      }
      case "launch":
        return this.steps.launch(record, action.attemptId, action.attempt);
      case "validate":
        return this.steps.validate(record, action.attemptId);
      case "promote":
        return this.steps.promote(record, action.attemptId);
      case "stop":
        return this.steps.stop(record, action.attemptId, action.reason);
      case "release":
        return this.steps.executorFor(record).release(action.attemptId);
      case "collect-logs":
        return;
    }
  }

  private watch(record: RunRecord, attemptId: string): void {
    const executor = this.steps.executorFor(record);
    if (!executor.waitForExit || this.watching.has(attemptId)) return;
    this.watching.add(attemptId);
    executor
      .waitForExit(attemptId)
      .then(
        () => this.loop.enqueue(record.runId),
        () => undefined, // the poll still observes the attempt
      )
      .finally(() => this.watching.delete(attemptId));
  }
}
