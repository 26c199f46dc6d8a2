/**
 * Sweeps in the long-running controller: one study session per sweep job of each declared Benchmark, started when
 * the Benchmark's plan asks for it, abandoned when a new generation changes the sweep or the Benchmark is deleted,
 * and resumed from the journal's ledger after a restart. It also tells the Benchmark controller which runs are
 * trials of the Benchmark's current studies, so that they are wanted (not cancelled as superseded) and counted.
 */
import { createHash } from "node:crypto";
import type { JournalRecord } from "../src/journal/records.js";
import type { JournalWriter } from "../src/journal/journal-writer.js";
import { ControllerTrialRunner } from "./trial-runner.js";
import type { OptunaBridge } from "../src/sweeps/optuna-bridge.js";
import type { SweepOutcome, TrialScorer } from "../src/sweeps/sweep-driver.js";
import { applySweepRecord, maskStorage, studyKey, type SweepLedger } from "../src/sweeps/sweep-ledger.js";
import { defaultStudyStorage, type PlannedSweep } from "../src/sweeps/sweep-plan.js";
import { startSweepSession, sweepLogger, type SweepSession, type SweepStudyHooks } from "../src/sweeps/sweep-session.js";
import type { RunController } from "./run/run-controller.js";
import type { ReconcileLoopStats } from "../src/domain/controller-metrics.js";
import { ReconcileLoop } from "./loop/reconcile-loop.js";

export interface SweepSupervisorDeps {
  runs: RunController;
  writer: JournalWriter;
  stateRoot: string;
  /** Trials in flight per study. */
  parallel: number;
  makeBridge?: () => OptunaBridge;
  studies?: SweepStudyHooks;
  /** Evaluates the trials of studies that optimise a score (scib.*). */
  scorer?: TrialScorer;
  log: (line: string) => void;
  /** A session of this Benchmark ended (its status may change). */
  onSessionEnded?: (benchmark: string, outcome: SweepOutcome) => void;
}

interface ActiveSession {
  version: string;
  session: SweepSession;
}

/** What makes a session stale: any change of the planned sweep (trials wanted, search space, base run). */
function sweepVersion(sweep: PlannedSweep): string {
  return createHash("sha256").update(JSON.stringify(sweep)).digest("hex");
}

export class SweepSupervisor {
  private readonly ledger: SweepLedger = new Map();
  /** Per Benchmark: the running session of each study key. */
  private readonly active = new Map<string, Map<string, ActiveSession>>();
  /** Per Benchmark: study key and version of sessions that ended in this process (not started again), and why a failed one failed. */
  private readonly ended = new Map<string, Map<string, { version: string; error?: string }>>();
  /** Per Benchmark: the sweeps its current plan asks for (forgotten Benchmarks: none, and their memory cleared). */
  private readonly desired = new Map<string, { sweeps: readonly PlannedSweep[]; forget: boolean }>();
  private readonly runner: ControllerTrialRunner;
  private readonly log: (message: string) => void;
  private readonly loop: ReconcileLoop<string>;
  private stopped = false;

  constructor(private readonly deps: SweepSupervisorDeps) {
    this.runner = new ControllerTrialRunner(deps.runs, deps.writer);
    this.log = sweepLogger(deps.stateRoot, deps.log);
    this.loop = new ReconcileLoop<string>({
      name: "sweep",
      reconciler: {
        reconcile: async (benchmark) => {
          this.converge(benchmark);
          return {};
        },
      },
      baseDelayMs: 200,
      maxDelayMs: 60_000,
      onError: (benchmark, error) => this.log(`benchmark ${benchmark}: sweep reconcile error: ${(error as Error).message}`),
    });
    this.loop.start(1);
  }

  metrics(): ReconcileLoopStats {
    return this.loop.metrics();
  }

  /** The journal's SWEEP_TRIAL_* records, at start and as they are appended (before the trial's run is planned). */
  observe(records: readonly JournalRecord[]): void {
    for (const record of records) applySweepRecord(this.ledger, record);
  }

  private keyOf(sweep: PlannedSweep): string {
    return studyKey(maskStorage(sweep.storage ?? defaultStudyStorage(this.deps.stateRoot)), sweep.studyName);
  }

  /** Runs that are trials of these studies (every trial the journal has asked for). */
  trialRunIds(sweeps: readonly PlannedSweep[]): string[] {
    const ids = new Set<string>();
    for (const sweep of sweeps) for (const asked of this.ledger.get(this.keyOf(sweep))?.asked.values() ?? []) ids.add(asked.runId);
    return [...ids];
  }

  /** How many of these sweeps still have a session to run (running, or not yet run in this process). */
  unfinished(benchmark: string, sweeps: readonly PlannedSweep[]): number {
    const active = this.active.get(benchmark);
    const ended = this.ended.get(benchmark);
    return sweeps.filter((sweep) => {
      const key = this.keyOf(sweep);
      const version = sweepVersion(sweep);
      return active?.get(key)?.version === version || ended?.get(key)?.version !== version;
    }).length;
  }

  /** Why sessions of these sweeps failed (their study could not be opened or Optuna refused a call). */
  errors(benchmark: string, sweeps: readonly PlannedSweep[]): string[] {
    const ended = this.ended.get(benchmark);
    return sweeps.flatMap((sweep) => {
      const end = ended?.get(this.keyOf(sweep));
      return end?.version === sweepVersion(sweep) && end.error ? [`study ${sweep.studyName}: ${end.error}`] : [];
    });
  }

  /** The Benchmark's plan asks for these sweeps: its sessions are converged to them. */
  ensure(benchmark: string, sweeps: readonly PlannedSweep[]): void {
    if (this.stopped) return;
    this.desired.set(benchmark, { sweeps, forget: false });
    this.loop.enqueue(benchmark);
  }

  /** The Benchmark is gone: its sessions are abandoned (its runs are cancelled by the Benchmark controller). */
  forget(benchmark: string): void {
    if (this.stopped) return;
    this.desired.set(benchmark, { sweeps: [], forget: true });
    this.loop.enqueue(benchmark);
  }

  private converge(benchmark: string): void {
    const wantedNow = this.desired.get(benchmark);
    if (this.stopped || !wantedNow) return;
    const sweeps = wantedNow.sweeps;
    const active = this.active.get(benchmark) ?? new Map<string, ActiveSession>();
    this.active.set(benchmark, active);
    const ended = this.ended.get(benchmark) ?? new Map<string, { version: string; error?: string }>();
    this.ended.set(benchmark, ended);
    const wanted = new Map(sweeps.map((s) => [this.keyOf(s), s] as const));
    for (const [key, running] of active) {
      const sweep = wanted.get(key);
      if (sweep && sweepVersion(sweep) === running.version) continue;
      active.delete(key);
      this.log(`[sweep ${key.split("\u0000")[1]}] benchmark ${benchmark} ${sweep ? "changed the sweep" : "no longer declares it"}: session abandoned, unfinished trials stay RUNNING in the study`);
      void running.session.abandon();
    }
    for (const [key, sweep] of wanted) {
      const version = sweepVersion(sweep);
      if (active.has(key) || ended.get(key)?.version === version) continue;
      this.start(benchmark, key, version, sweep);
    }
    if (active.size === 0) this.active.delete(benchmark);
    if (wantedNow.forget) {
      this.ended.delete(benchmark);
      this.desired.delete(benchmark);
    }
  }

  private start(benchmark: string, key: string, version: string, sweep: PlannedSweep): void {
    const session = startSweepSession(sweep, {
      stateRoot: this.deps.stateRoot,
      runner: this.runner,
      ledger: this.ledger.get(key),
      parallel: this.deps.parallel,
      makeBridge: this.deps.makeBridge,
      studies: this.deps.studies,
      ...(this.deps.scorer ? { scorer: this.deps.scorer } : {}),
      log: this.log,
    });
    this.active.get(benchmark)!.set(key, { version, session });
    this.log(`[sweep ${sweep.studyName}] benchmark ${benchmark}: session started (${sweep.nTrials} trials wanted)`);
    void session.done.then((outcome) => {
      const active = this.active.get(benchmark);
      if (active?.get(key)?.session !== session) return; // abandoned meanwhile
      active.delete(key);
      if (active.size === 0) this.active.delete(benchmark);
      this.ended.get(benchmark)?.set(key, { version, ...(outcome.error ? { error: outcome.error } : {}) });
      const complete = outcome.trials.filter((t) => t.state === "COMPLETE").length;
      this.log(`[sweep ${sweep.studyName}] benchmark ${benchmark}: session ended, ${complete}/${outcome.nTrials} trials complete${outcome.error ? `; failed: ${outcome.error}` : outcome.stoppedEarly ? `; stopped early: ${outcome.stoppedEarly}` : ""}`);
      this.deps.onSessionEnded?.(benchmark, outcome);
    });
  }

  /** Shutdown: every session abandoned, its bridge ended; the next start resumes the studies. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    const sessions = [...this.active.values()].flatMap((m) => [...m.values()]);
    this.active.clear();
    await Promise.all(sessions.map((s) => s.session.abandon()));
  }
}
