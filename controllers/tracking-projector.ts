/**
 * The run lifecycle's side of the MLflow projection. The run controller calls two hooks: beforeLaunch (open
 * the attempt's MLflow run with params and identity tags, start host-side resource sampling, and return what
 * the container is given) and afterTerminal (final scalars, history, artifacts and status; or the failure).
 * A projection never decides a run's phase: every tracking error is caught here, recorded as a
 * TRACKING_PROJECTION journal record (pending: retried with backoff; failed: refused by the server) and the
 * run goes on. `multiverse mlflow-sync` completes whatever is left pending.
 */
import type { Backend, RunSpec } from "../src/domain/resources.js";
import type { JournalRecord, NewJournalRecord } from "../src/journal/records.js";
import type { StoreLayout } from "../src/artifacts/layout.js";
import { MlflowClient } from "../src/tracking/mlflow-client.js";
import { isTransientTrackingError } from "../src/tracking/mlflow-errors.js";
import { openAttemptRun, projectBundle, projectFailure } from "../src/tracking/mlflow-projection.js";
import { ensureStudyRun, finishStudyRun } from "../src/tracking/mlflow-study.js";
import { studyRunKey, trialTags, type StudyOutcome, type StudySubject } from "../src/tracking/study-projection.js";
import { applyStudyRecord, emptyStudyTrials, type StudyTrials } from "../src/tracking/study-trials.js";
import { subjectFromSpec } from "../src/tracking/projection.js";
import { applyProjectionRecord, type AttemptProjectionState } from "../src/tracking/projection-state.js";
import { containerTracking, resolveTracking, type ResolvedTracking } from "../src/tracking/tracking-config.js";
import { SamplingLoop, systemMetrics, type ResourceSample, type ResourceSampler } from "../src/tracking/system-metrics.js";
import type { RunRecord } from "../src/journal/run-records.js";

export interface LaunchAdditions {
  env: Record<string, string>;
  /** Docker: run the container on a bridge network (only when tracking asks for it). */
  network?: boolean;
}

/** The two hooks the run controller calls. */
export interface TrackingHooks {
  beforeLaunch(run: RunRecord, attemptId: string): Promise<LaunchAdditions>;
  afterTerminal(run: RunRecord, attemptId: string): Promise<void>;
}

export interface TrackingProjectorOptions {
  /** Journals records (the controller's append: fsynced, applied, indexed). */
  append: (records: NewJournalRecord[]) => void;
  layout: StoreLayout;
  /** Writes a line to the attempt's orchestrator.log. */
  log: (run: RunRecord, attemptId: string, message: string) => void;
  samplers?: Partial<Record<Backend, ResourceSampler>>;
  env?: Readonly<Record<string, string | undefined>>;
  sampleIntervalMs?: number;
  /** Backoff of the background retries of a pending projection (defaults 5 s doubling to 10 min). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Client retries within one projection try (default 2), and before launch (default 1: never hold a launch up long). */
  clientRetries?: number;
  clock?: () => Date;
}

const OPEN_RETRIES = 1;

export class TrackingProjector implements TrackingHooks {
  private readonly states = new Map<string, AttemptProjectionState>();
  private readonly sampling = new Map<string, { loop: SamplingLoop; source: string }>();
  /** Samples of attempts whose final projection is still pending (kept for the retries). */
  private readonly heldSamples = new Map<string, { samples: ResourceSample[]; source: string }>();
  private readonly retryTimers = new Map<string, { timer: NodeJS.Timeout; delayMs: number }>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Optuna studies by study key, and which study trial each sweep run is (from the journal). */
  private readonly trials: StudyTrials = emptyStudyTrials();
  private readonly parentRuns = new Map<string, Promise<string>>();
  private closed = false;

  constructor(private readonly options: TrackingProjectorOptions) {}

  /** Learns projection states from the journal (at start) and from records appended since. */
  observe(records: readonly JournalRecord[]): void {
    for (const record of records) {
      if (record.type === "TRACKING_PROJECTION") applyProjectionRecord(this.states, record);
      else applyStudyRecord(this.trials, record);
    }
  }

  /**
   * A sweep session starts: its study's parent run is opened now (so it exists before the first trial) and every
   * trial's attempt run becomes its child. `spec` is the sweep's base run (tracking settings, experiment).
   */
  openStudy(subject: StudySubject, spec: RunSpec): void {
    const key = this.knowStudy(subject);
    const tracking = resolveTracking(spec, this.options.env ?? process.env);
    if (tracking && !this.closed) this.parentRun(key, tracking).catch(() => undefined);
  }

  /** A sweep session ended: the parent run gets the study's summary. Returns what happened, for the sweep's log. */
  async finishStudy(subject: StudySubject, spec: RunSpec, outcome: StudyOutcome): Promise<string | undefined> {
    const tracking = resolveTracking(spec, this.options.env ?? process.env);
    if (!tracking || this.closed) return undefined;
    const key = this.knowStudy(subject);
    try {
      const runId = await this.parentRun(key, tracking);
      const status = await finishStudyRun(this.client(tracking, this.options.clientRetries ?? 2), runId, outcome, this.now());
      return `MLflow parent run ${runId} of the study: ${status}`;
    } catch (error) {
      return `the study's MLflow parent run could not be updated: ${(error as Error).message}`;
    }
  }

  /** The plan's description of a study is fuller than the journal's (direction, metric, search space). */
  private knowStudy(subject: StudySubject): string {
    const key = studyRunKey(subject);
    const known = this.trials.studies.get(key);
    if (known) known.subject = subject;
    else this.trials.studies.set(key, { subject, asked: new Set(), params: new Map(), told: new Map() });
    return key;
  }

  private parentRun(key: string, tracking: ResolvedTracking): Promise<string> {
    const cached = this.parentRuns.get(key);
    if (cached) return cached;
    const study = this.trials.studies.get(key);
    if (!study) return Promise.reject(new Error(`unknown study ${key}`));
    const opening = ensureStudyRun(this.client(tracking, OPEN_RETRIES), tracking.experimentName, study.subject).then((opened) => opened.runId);
    this.parentRuns.set(key, opening);
    opening.catch(() => this.parentRuns.delete(key)); // the next trial tries again
    return opening;
  }

  /** mlflow.parentRunId and the trial's number when the run is a sweep trial; nothing when the parent cannot be had. */
  private async studyTags(run: RunRecord, attemptId: string, tracking: ResolvedTracking): Promise<Record<string, string>> {
    const trial = this.trials.trialOfRun.get(run.runId);
    const study = trial ? this.trials.studies.get(trial.key) : undefined;
    if (!trial || !study) return {};
    try {
      return trialTags(await this.parentRun(trial.key, tracking), study.subject, trial.trialNumber);
    } catch (error) {
      this.options.log(run, attemptId, `tracking: the study's parent run is not reachable (${(error as Error).message}); the trial's run is linked to it at its final projection`);
      return {};
    }
  }

  state(attemptId: string): AttemptProjectionState | undefined {
    return this.states.get(attemptId);
  }

  private tracking(run: RunRecord): ResolvedTracking | undefined {
    return resolveTracking(run.spec, this.options.env ?? process.env);
  }

  private client(tracking: ResolvedTracking, retries: number): MlflowClient {
    return new MlflowClient({ trackingUri: tracking.trackingUri, retries, timeoutMs: 10_000 });
  }

  async beforeLaunch(run: RunRecord, attemptId: string): Promise<LaunchAdditions> {
    const tracking = this.tracking(run);
    if (!tracking || this.closed) return { env: {} };
    let mlflowRunId = this.states.get(attemptId)?.mlflowRunId;
    if (!mlflowRunId) {
      try {
        const extraTags = await this.studyTags(run, attemptId, tracking);
        const opened = await openAttemptRun(this.client(tracking, OPEN_RETRIES), tracking.experimentName, subjectFromSpec(run, attemptId, this.attemptNumber(run, attemptId)), { extraTags });
        mlflowRunId = opened.run.info.runId;
        this.record(run, attemptId, tracking, "pending", `MLflow run ${opened.created ? "opened" : "found"}; final projection after the attempt ends`, { experimentId: opened.experimentId, mlflowRunId });
      } catch (error) {
        const message = `could not open the MLflow run before launch: ${(error as Error).message}`;
        this.options.log(run, attemptId, `tracking: ${message}; the run goes on, the projection stays pending`);
        this.record(run, attemptId, tracking, isTransientTrackingError(error) ? "pending" : "failed", message);
        return { env: {} };
      }
    }
    this.startSampling(run, attemptId, tracking, mlflowRunId);
    const container = containerTracking(run.spec.backend, tracking, mlflowRunId);
    const how = container.epochMetrics === "streamed" ? "streamed by the SDK" : "projected from metrics.jsonl after exit (the container has no network)";
    this.options.log(run, attemptId, `tracking: MLflow run ${mlflowRunId} in experiment "${tracking.experimentName}" at ${tracking.trackingUri}; epoch metrics ${how}${container.network ? "; container network enabled for tracking" : ""}`);
    return { env: container.env, ...(container.network ? { network: true } : {}) };
  }

  async afterTerminal(run: RunRecord, attemptId: string): Promise<void> {
    const tracking = this.tracking(run);
    if (!tracking || this.closed) return;
    const sampled = this.sampling.get(attemptId);
    if (sampled) {
      this.sampling.delete(attemptId);
      this.heldSamples.set(attemptId, { samples: sampled.loop.stop().all, source: sampled.source });
    }
    if (this.states.get(attemptId)?.state === "synced") {
      this.heldSamples.delete(attemptId);
      return;
    }
    await this.projectOnce(run, attemptId, tracking);
  }

  /** One try of the final projection (never two at once for an attempt); schedules the next try when pending. */
  private projectOnce(run: RunRecord, attemptId: string, tracking: ResolvedTracking): Promise<void> {
    const running = this.inFlight.get(attemptId);
    if (running) return running;
    const attempt = this.finalProjection(run, attemptId, tracking).finally(() => this.inFlight.delete(attemptId));
    this.inFlight.set(attemptId, attempt);
    return attempt;
  }

  private async finalProjection(run: RunRecord, attemptId: string, tracking: ResolvedTracking): Promise<void> {
    const client = this.client(tracking, this.options.clientRetries ?? 2);
    const held = this.heldSamples.get(attemptId);
    const system = held && held.samples.length > 0 ? { systemMetrics: systemMetrics(held.samples), systemMetricsSource: held.source } : {};
    const phase = run.snapshot.value;
    try {
      const extraTags = await this.studyTags(run, attemptId, tracking);
      if (phase === "ARTIFACT_SUCCESS") {
        const bundleDir = run.promotions.find((p) => p.attemptId === attemptId)?.artifactDir ?? run.snapshot.context.artifactDir;
        if (!bundleDir) throw new Error(`no promoted bundle of attempt ${attemptId} is journaled`);
        const result = await projectBundle(client, bundleDir, {
          experimentName: tracking.experimentName,
          runName: run.name,
          logEmbeddings: tracking.logEmbeddings,
          maxArtifactBytes: tracking.maxArtifactBytes,
          extraTags,
          ...system,
        });
        this.record(run, attemptId, tracking, "synced", `${result.action}: ${result.metricsLogged} metric points, ${result.uploaded.length} artifacts, status FINISHED`, { experimentId: result.experimentId, mlflowRunId: result.mlflowRunId });
      } else if (phase === "FAILED" || phase === "CANCELLED") {
        const { reason, message } = run.snapshot.context;
        const result = await projectFailure(client, tracking.experimentName, subjectFromSpec(run, attemptId, this.attemptNumber(run, attemptId)), {
          phase,
          reason,
          message,
          endTime: this.now(),
          evidenceDir: this.options.layout.workspaceDir(attemptId),
          maxArtifactBytes: tracking.maxArtifactBytes,
          extraTags,
          ...system,
        });
        this.record(run, attemptId, tracking, "synced", `status ${phase === "FAILED" ? "FAILED" : "KILLED"}${reason ? ` (${reason})` : ""}`, { experimentId: result.experimentId, mlflowRunId: result.mlflowRunId });
      } else {
        return;
      }
      this.heldSamples.delete(attemptId);
      this.clearRetry(attemptId);
      this.options.log(run, attemptId, `tracking: projection synced to ${tracking.trackingUri}`);
    } catch (error) {
      const detail = (error as Error).message;
      if (isTransientTrackingError(error)) {
        const delayMs = this.scheduleRetry(run, attemptId, tracking);
        this.record(run, attemptId, tracking, "pending", `${detail}; retrying in ${Math.round(delayMs / 1000)} s (or run multiverse mlflow-sync)`);
        this.options.log(run, attemptId, `tracking: projection pending: ${detail}`);
      } else {
        this.heldSamples.delete(attemptId);
        this.clearRetry(attemptId);
        this.record(run, attemptId, tracking, "failed", detail);
        this.options.log(run, attemptId, `tracking: projection failed: ${detail}`);
      }
    }
  }

  private scheduleRetry(run: RunRecord, attemptId: string, tracking: ResolvedTracking): number {
    const base = this.options.retryBaseMs ?? 5000;
    const max = this.options.retryMaxMs ?? 600_000;
    const previous = this.retryTimers.get(attemptId);
    if (previous) clearTimeout(previous.timer);
    const delayMs = previous ? Math.min(max, previous.delayMs * 2) : base;
    const timer = setTimeout(() => {
      if (this.closed) return;
      void this.projectOnce(run, attemptId, tracking).catch(() => undefined);
    }, delayMs);
    timer.unref(); // `multiverse run` exits with the projection pending; mlflow-sync completes it
    this.retryTimers.set(attemptId, { timer, delayMs });
    return delayMs;
  }

  private clearRetry(attemptId: string): void {
    const entry = this.retryTimers.get(attemptId);
    if (entry) clearTimeout(entry.timer);
    this.retryTimers.delete(attemptId);
  }

  private startSampling(run: RunRecord, attemptId: string, tracking: ResolvedTracking, mlflowRunId: string): void {
    const sampler = this.options.samplers?.[run.spec.backend];
    if (!sampler || this.sampling.has(attemptId)) return;
    const client = this.client(tracking, 0);
    const loop = new SamplingLoop(sampler, attemptId, {
      intervalMs: this.options.sampleIntervalMs ?? (Number((this.options.env ?? process.env).MULTIVERSE_SYSTEM_METRICS_INTERVAL_MS) || 5000),
      flushEvery: 6,
      // Live while the container runs; points lost here are logged again by the final projection.
      onSamples: (samples, firstStep) => void client.logBatch(mlflowRunId, { metrics: systemMetrics(samples, firstStep) }).catch(() => undefined),
    });
    this.sampling.set(attemptId, { loop, source: sampler.source });
    loop.start();
  }

  private attemptNumber(run: RunRecord, attemptId: string): number {
    const match = /-a(\d+)$/.exec(attemptId);
    return match ? Number(match[1]) : run.snapshot.context.attempt;
  }

  private record(
    run: RunRecord,
    attemptId: string,
    tracking: ResolvedTracking,
    state: AttemptProjectionState["state"],
    message: string,
    ids: { experimentId?: string; mlflowRunId?: string } = {},
  ): void {
    const previous = this.states.get(attemptId);
    // Retries that fail the same way are not journaled again (the journal is not a retry log).
    if (previous && previous.state === state && state === "pending" && previous.message?.split(";")[0] === message.split(";")[0] && !ids.mlflowRunId) return;
    const record: NewJournalRecord = {
      type: "TRACKING_PROJECTION",
      runId: run.runId,
      attemptId,
      target: "mlflow",
      state,
      trackingUri: tracking.trackingUri,
      experimentName: tracking.experimentName,
      ...(ids.experimentId ? { experimentId: ids.experimentId } : {}),
      ...(ids.mlflowRunId ? { mlflowRunId: ids.mlflowRunId } : {}),
      message,
    };
    try {
      this.options.append([record]);
      // The controller's append hands records back through observe() when wired that way; apply directly too.
      applyProjectionRecord(this.states, { ...record, seq: 0, ts: new Date(this.now()).toISOString() });
    } catch {
      // The journal is closed (shutting down): the state is rebuilt from what was journaled.
    }
  }

  private now(): number {
    return (this.options.clock?.() ?? new Date()).getTime();
  }

  /** Stops sampling and background retries (the session is closing). */
  close(): void {
    this.closed = true;
    for (const { loop } of this.sampling.values()) loop.stop();
    this.sampling.clear();
    for (const { timer } of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
  }
}
