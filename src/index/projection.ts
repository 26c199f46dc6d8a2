/**
 * How each journal record changes the index's rows. Prepared once per connection; `project` is called inside
 * the caller's transaction.
 */
import { describeOrigin } from "../domain/origin.js";
import type Database from "better-sqlite3";
import type { JournalRecord } from "../journal/records.js";

export type Projector = (record: JournalRecord) => void;

export function createProjector(db: Database.Database): Projector {
  const s = {
    planned: db.prepare(`INSERT INTO runs (run_id, name, benchmark, job_name, dataset, model, model_version, seed, params_hash, params,
        image_reference, image_digest, image_kind, backend, phase, created_at, updated_at)
      VALUES (@runId, @name, @benchmark, @jobName, @dataset, @model, @modelVersion, @seed, @paramsHash, @params,
        @imageReference, @imageDigest, @imageKind, @backend, 'PENDING', @ts, @ts)
      ON CONFLICT(run_id) DO UPDATE SET name = excluded.name, benchmark = excluded.benchmark, job_name = excluded.job_name,
        dataset = excluded.dataset, model = excluded.model, model_version = excluded.model_version, seed = excluded.seed,
        params_hash = excluded.params_hash, params = excluded.params, image_reference = excluded.image_reference,
        image_digest = excluded.image_digest, image_kind = excluded.image_kind, backend = excluded.backend, updated_at = excluded.updated_at`),
    // Back to PENDING (a retry or a discarded recovery) forgets the previous artifact directory.
    runTransition: db.prepare(`UPDATE runs SET phase = @to, reason = @reason, message = @message, attempt = @attempt, attempt_id = @attemptId,
        artifact_dir = COALESCE(@artifactDir, CASE WHEN @to = 'PENDING' THEN NULL ELSE artifact_dir END), updated_at = @ts
      WHERE run_id = @runId`),
    attemptTransition: db.prepare(`UPDATE attempts SET phase = @to, reason = @reason WHERE attempt_id = @attemptId`),
    transitionRow: db.prepare(`INSERT OR REPLACE INTO transitions (seq, run_id, attempt_id, event, from_phase, to_phase, reason, message, ts)
      VALUES (@seq, @runId, @attemptId, @event, @from, @to, @reason, @message, @ts)`),
    // The attempt's phase starts as the run's phase when the run is on this attempt (normally ADMITTED).
    launch: db.prepare(`INSERT INTO attempts (attempt_id, run_id, attempt, executor, handle, workspace_dir, phase, reason, launched_at)
      VALUES (@attemptId, @runId, @attempt, @executor, @handle, @workspaceDir,
        COALESCE((SELECT phase FROM runs WHERE run_id = @runId AND attempt_id = @attemptId), 'ADMITTED'),
        (SELECT reason FROM runs WHERE run_id = @runId AND attempt_id = @attemptId), @ts)
      ON CONFLICT(attempt_id) DO UPDATE SET executor = excluded.executor, handle = excluded.handle, workspace_dir = excluded.workspace_dir,
        launched_at = excluded.launched_at`),
    runWorkspace: db.prepare(`UPDATE runs SET workspace_dir = @workspaceDir, updated_at = @ts WHERE run_id = @runId`),
    exited: db.prepare(`UPDATE attempts SET exit_code = @exitCode, oom_killed = @oomKilled, started_at = @startedAt, finished_at = @finishedAt
      WHERE attempt_id = @attemptId`),
    artifact: db.prepare(`UPDATE runs SET artifact_dir = @artifactDir, updated_at = @ts WHERE run_id = @runId`),
    touch: db.prepare(`UPDATE runs SET updated_at = @ts WHERE run_id = @runId`),
    benchmarkApplied: db.prepare(`INSERT INTO benchmarks (name, generation, spec_hash, file, line, jobs, deleted, created_at, updated_at)
      VALUES (@name, @generation, @specHash, @file, @line, @jobs, 0, @ts, @ts)
      ON CONFLICT(name) DO UPDATE SET generation = excluded.generation, spec_hash = excluded.spec_hash, file = excluded.file,
        line = excluded.line, jobs = excluded.jobs, deleted = 0, updated_at = excluded.updated_at`),
    benchmarkDeleted: db.prepare(`UPDATE benchmarks SET deleted = 1, generation = @generation, updated_at = @ts WHERE name = @name`),
    sweepAsked: db.prepare(`INSERT INTO sweep_trials (trial_key, study, storage, trial_number, benchmark, job_name, run_id, params, state, asked_at)
      VALUES (@trialKey, @study, @storage, @trialNumber, @benchmark, @jobName, @runId, @params, 'RUNNING', @ts)
      ON CONFLICT(trial_key) DO UPDATE SET benchmark = excluded.benchmark, job_name = excluded.job_name, run_id = excluded.run_id,
        params = excluded.params, asked_at = excluded.asked_at`),
    sweepTold: db.prepare(`INSERT INTO sweep_trials (trial_key, study, storage, trial_number, run_id, state, value, message, told_at)
      VALUES (@trialKey, @study, @storage, @trialNumber, @runId, @state, @value, @message, @ts)
      ON CONFLICT(trial_key) DO UPDATE SET run_id = COALESCE(excluded.run_id, run_id), state = excluded.state, value = excluded.value,
        message = excluded.message, told_at = excluded.told_at`),
    trackingProjection: db.prepare(`INSERT INTO tracking_projections (attempt_id, run_id, target, state, tracking_uri, experiment_name, experiment_id,
        mlflow_run_id, message, updated_at)
      VALUES (@attemptId, @runId, @target, @state, @trackingUri, @experimentName, @experimentId, @mlflowRunId, @message, @ts)
      ON CONFLICT(attempt_id) DO UPDATE SET state = excluded.state, tracking_uri = excluded.tracking_uri, experiment_name = excluded.experiment_name,
        experiment_id = COALESCE(excluded.experiment_id, experiment_id), mlflow_run_id = COALESCE(excluded.mlflow_run_id, mlflow_run_id),
        message = excluded.message, updated_at = excluded.updated_at`),
    gcCollected: db.prepare(`INSERT OR REPLACE INTO gc_collections (seq, kind, path, run_id, attempt_id, bytes, files, rule, collected_at)
      VALUES (@seq, @kind, @path, @runId, @attemptId, @bytes, @files, @rule, @ts)`),
    // A collected workspace or bundle is no longer where the run's row points (stored relative to the output root:
    // the leading '/' makes "store/workspaces/a1" end with "/store/workspaces/a1" as an absolute path does).
    gcWorkspace: db.prepare(`UPDATE runs SET workspace_dir = NULL WHERE run_id = @runId AND substr('/' || workspace_dir, -length(@suffix)) = @suffix`),
    gcBundle: db.prepare(`UPDATE runs SET artifact_dir = NULL WHERE run_id = @runId AND substr('/' || artifact_dir, -length(@suffix)) = @suffix`),
    bundleExported: db.prepare(`INSERT OR REPLACE INTO bundle_exports (seq, run_id, attempt_id, artifact_dir, manifest_sha256, destination, exported_at)
      VALUES (@seq, @runId, @attemptId, @artifactDir, @manifestSha256, @to, @ts)`),
    reservation: db.prepare(`INSERT OR REPLACE INTO reservation_events (seq, run_id, attempt_id, event, cpus, mem_bytes, gpus, phase, ts)
      VALUES (@seq, @runId, @attemptId, @event, @cpus, @memBytes, @gpus, @phase, @ts)`),
    benchmarkStatus: db.prepare(`UPDATE benchmarks SET observed_generation = @observedGeneration, conditions = @conditions, run_ids = @runIds,
      updated_at = @ts WHERE name = @name`),
  };

  return (record) => {
    switch (record.type) {
      case "RUN_PLANNED": {
        const spec = record.spec;
        s.planned.run({
          runId: record.runId,
          name: record.name,
          benchmark: spec.benchmark,
          jobName: spec.jobName,
          dataset: spec.dataset,
          model: spec.model,
          modelVersion: spec.modelVersion,
          seed: spec.seed,
          paramsHash: spec.paramsHash,
          params: JSON.stringify(spec.params),
          imageReference: spec.image.reference,
          imageDigest: spec.image.digest,
          imageKind: spec.image.kind,
          backend: spec.backend,
          ts: record.ts,
        });
        return;
      }
      case "RUN_TRANSITION": {
        const context = record.snapshot.context;
        const reason = record.reason ?? null;
        s.runTransition.run({
          runId: record.runId,
          to: record.to,
          reason,
          message: record.message ?? null,
          attempt: context.attempt,
          attemptId: context.attemptId ?? null,
          artifactDir: context.artifactDir ?? null,
          ts: record.ts,
        });
        if (record.attemptId) s.attemptTransition.run({ attemptId: record.attemptId, to: record.to, reason });
        s.transitionRow.run({
          seq: record.seq,
          runId: record.runId,
          attemptId: record.attemptId ?? null,
          event: record.event,
          from: record.from,
          to: record.to,
          reason,
          message: record.message ?? null,
          ts: record.ts,
        });
        return;
      }
      case "LAUNCH_INTENT":
        s.launch.run({
          attemptId: record.attemptId,
          runId: record.runId,
          attempt: record.attempt,
          executor: record.executor,
          handle: record.handle,
          workspaceDir: record.workspaceDir,
          ts: record.ts,
        });
        s.runWorkspace.run({ runId: record.runId, workspaceDir: record.workspaceDir, ts: record.ts });
        return;
      case "ATTEMPT_EXITED":
        s.exited.run({
          attemptId: record.attemptId,
          exitCode: record.exitCode,
          oomKilled: record.oomKilled ? 1 : 0,
          startedAt: record.startedAt ?? null,
          finishedAt: record.finishedAt ?? null,
        });
        s.touch.run({ runId: record.runId, ts: record.ts });
        return;
      case "PROMOTED":
      case "RUN_REUSED":
        s.artifact.run({ runId: record.runId, artifactDir: record.artifactDir, ts: record.ts });
        return;
      case "PROMOTION_INTENT":
        s.touch.run({ runId: record.runId, ts: record.ts });
        return;
      case "BENCHMARK_APPLIED":
        s.benchmarkApplied.run({ name: record.name, generation: record.generation, specHash: record.specHash, file: record.file ?? (record.origin ? describeOrigin(record.origin) : ""), line: record.line ?? 0, jobs: record.jobs, ts: record.ts });
        return;
      case "BENCHMARK_DELETED":
        s.benchmarkDeleted.run({ name: record.name, generation: record.generation, ts: record.ts });
        return;
      case "BENCHMARK_STATUS":
        s.benchmarkStatus.run({
          name: record.name,
          observedGeneration: record.observedGeneration,
          conditions: JSON.stringify(record.conditions),
          runIds: JSON.stringify(record.runIds),
          ts: record.ts,
        });
        return;
      case "SWEEP_TRIAL_ASKED":
        s.sweepAsked.run({
          trialKey: sweepTrialKey(record.storage, record.study, record.trialNumber),
          study: record.study,
          storage: record.storage,
          trialNumber: record.trialNumber,
          benchmark: record.benchmark,
          jobName: record.jobName,
          runId: record.runId,
          params: JSON.stringify(record.params),
          ts: record.ts,
        });
        return;
      case "SWEEP_TRIAL_TOLD":
        s.sweepTold.run({
          trialKey: sweepTrialKey(record.storage, record.study, record.trialNumber),
          study: record.study,
          storage: record.storage,
          trialNumber: record.trialNumber,
          runId: record.trialRunId ?? null,
          state: record.state,
          value: record.value ?? null,
          message: record.message ?? null,
          ts: record.ts,
        });
        return;
      case "TRACKING_PROJECTION":
        if (record.attemptId === "") return; // a bundle synced without a journaled attempt
        s.trackingProjection.run({
          attemptId: record.attemptId,
          runId: record.runId,
          target: record.target,
          state: record.state,
          trackingUri: record.trackingUri,
          experimentName: record.experimentName,
          experimentId: record.experimentId ?? null,
          mlflowRunId: record.mlflowRunId ?? null,
          message: record.message ?? null,
          ts: record.ts,
        });
        return;
      case "GC_COLLECTED":
        s.gcCollected.run({ seq: record.seq, kind: record.kind, path: record.path, runId: record.runId ?? null, attemptId: record.attemptId ?? null, bytes: record.bytes, files: record.files, rule: record.rule, ts: record.ts });
        if (record.runId && record.kind === "workspace") s.gcWorkspace.run({ runId: record.runId, suffix: `/${record.path}` });
        if (record.runId && record.kind === "bundle") s.gcBundle.run({ runId: record.runId, suffix: `/${record.path}` });
        return;
      case "BUNDLE_EXPORTED":
        s.bundleExported.run({ seq: record.seq, runId: record.runId, attemptId: record.attemptId, artifactDir: record.artifactDir, manifestSha256: record.manifestSha256, to: record.to, ts: record.ts });
        return;
      case "RESERVATION_GRANTED":
        s.reservation.run({ seq: record.seq, runId: record.runId, attemptId: record.attemptId ?? null, event: "granted", cpus: record.cpus, memBytes: record.memBytes, gpus: record.gpus, phase: null, ts: record.ts });
        return;
      case "RESERVATION_RELEASED":
        s.reservation.run({ seq: record.seq, runId: record.runId, attemptId: record.attemptId ?? null, event: "released", cpus: null, memBytes: null, gpus: null, phase: record.phase, ts: record.ts });
        return;
      case "STATE_MIGRATED":
      case "EVALUATION_STARTED":
      case "EVALUATION_FINISHED":
        return;
      default:
        // A record type this version does not project (written by a newer version): nothing to show.
        return;
    }
  };
}

/** One row per trial of a study in a storage. */
export function sweepTrialKey(storage: string, study: string, trialNumber: number): string {
  return `${storage}\u0000${study}\u0000${trialNumber}`;
}
