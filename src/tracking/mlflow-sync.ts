/**
 * `multiverse mlflow-sync`: projects what the journal and the artifact store hold into MLflow, idempotently.
 * Every verified bundle of an output directory (or one bundle) becomes one FINISHED MLflow run, found again by
 * its physical run id on the next sync; failed attempts whose projection was left pending are closed as
 * FAILED/KILLED. With the state root's lock free, the outcome is journaled (TRACKING_PROJECTION). Evaluated launches'
 * scores go to the runs they were computed from (tracking/mlflow-scores.ts).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { replayRecords, type RunRecord } from "../journal/run-records.js";
import { storeLayout, SIMPLE_STATE_DIR_NAME, type StoreLayout } from "../artifacts/layout.js";
import { listBundles } from "../artifacts/verify.js";
import { peekManifest } from "../artifacts/manifest.js";
import { Journal, readJournal } from "../journal/journal.js";
import { openCaughtUpIndex } from "../index/run-index.js";
import type { NewJournalRecord } from "../journal/records.js";
import { acquireStateLock } from "../state/state-root.js";
import { MlflowClient } from "./mlflow-client.js";
import { isTransientTrackingError } from "./mlflow-errors.js";
import { projectBundle, projectFailure } from "./mlflow-projection.js";
import { subjectFromSpec } from "./projection.js";
import { foldProjectionStates } from "./projection-state.js";
import { ensureStudyRun, finishStudyRun } from "./mlflow-study.js";
import { trialTags } from "./study-projection.js";
import { foldStudyTrials, journaledStudyOutcome, type StudyTrials } from "./study-trials.js";
import { DEFAULT_MAX_ARTIFACT_MB, resolveTracking } from "./tracking-config.js";
import { listLaunches } from "../evaluation/launch-store.js";
import { projectLaunchScores } from "./mlflow-scores.js";

export interface SyncRequest {
  /** One bundle directory, or an output directory of `multiverse run` (store or simple layout). */
  bundle?: string;
  output?: string;
  trackingUri?: string;
  experimentName?: string;
  env?: Readonly<Record<string, string | undefined>>;
  client?: MlflowClient;
}

export interface SyncItem {
  /** Bundle directory, or the workspace of a failed attempt. */
  source: string;
  physicalRunId?: string;
  logicalRunId?: string;
  experimentName?: string;
  mlflowRunId?: string;
  action: "created" | "updated" | "unchanged" | "failed";
  message?: string;
  /** For a failure: whether a later sync may succeed (the projection stays pending) or not. */
  transient?: boolean;
}

export interface SyncOutcome {
  trackingUri: string;
  items: SyncItem[];
  /** Whether TRACKING_PROJECTION records were written (false with --bundle, or when a controller holds the lock). */
  journaled: boolean;
  note?: string;
}

export class SyncUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SyncUsageError";
  }
}

export class TrackingServerDownError extends Error {
  constructor(readonly trackingUri: string) {
    super(`the MLflow tracking server at ${trackingUri} does not answer /health; nothing was synced (start it, e.g. scripts/start-mlflow.sh)`);
    this.name = "TrackingServerDownError";
  }
}

interface OutputState {
  stateRoot: string;
  layout: StoreLayout;
  runs: Map<string, RunRecord>;
  projections: ReturnType<typeof foldProjectionStates>;
  studies: StudyTrials;
}

function readOutput(output: string): OutputState {
  const root = resolve(output);
  // The simple layout keeps its journal under .multiverse/; a store layout has .multiverse/ too (its launches).
  const simple = !existsSync(join(root, "journal")) && existsSync(join(root, SIMPLE_STATE_DIR_NAME, "journal"));
  const stateRoot = simple ? join(root, SIMPLE_STATE_DIR_NAME) : root;
  const records = existsSync(join(stateRoot, "journal")) ? readJournal(stateRoot).records : [];
  return { stateRoot, layout: storeLayout(root, simple ? "simple" : "store"), runs: replayRecords(records), projections: foldProjectionStates(records), studies: foldStudyTrials(records) };
}

export async function syncToMlflow(request: SyncRequest): Promise<SyncOutcome> {
  if ((request.bundle === undefined) === (request.output === undefined)) throw new SyncUsageError("give exactly one of --bundle DIR and --output DIR");
  const env = request.env ?? process.env;
  const state = request.output !== undefined ? readOutput(request.output) : undefined;
  if (request.output !== undefined && !existsSync(resolve(request.output))) throw new SyncUsageError(`output directory ${resolve(request.output)} does not exist`);
  if (request.bundle !== undefined && !existsSync(join(resolve(request.bundle), "artifact_manifest.json"))) {
    throw new SyncUsageError(`${resolve(request.bundle)} is not a bundle (no artifact_manifest.json)`);
  }
  const journalUri = state ? [...state.runs.values()].map((r) => r.spec.tracking?.trackingUri).find((u) => u !== undefined) : undefined;
  const trackingUri = request.trackingUri ?? env.MLFLOW_TRACKING_URI ?? journalUri;
  if (!trackingUri) throw new SyncUsageError("no tracking server: give --tracking-uri URI or set MLFLOW_TRACKING_URI");
  if (!/^https?:\/\/[^/\s]+/.test(trackingUri)) throw new SyncUsageError(`--tracking-uri must be http(s)://host[:port], got "${trackingUri}"`);
  const client = request.client ?? new MlflowClient({ trackingUri });
  if (!(await client.health())) throw new TrackingServerDownError(client.trackingUri);

  if (request.bundle !== undefined) {
    const item = await syncBundle(client, resolve(request.bundle), { experimentName: request.experimentName, logEmbeddings: false, maxArtifactBytes: DEFAULT_MAX_ARTIFACT_MB * 1024 * 1024 });
    return { trackingUri: client.trackingUri, items: [item], journaled: false };
  }
  if (!state) throw new SyncUsageError("give exactly one of --bundle DIR and --output DIR");

  const items: SyncItem[] = [];
  const journalRecords: NewJournalRecord[] = [];
  const byAttempt = new Map<string, RunRecord>();
  for (const run of state.runs.values()) for (const p of run.promotions) byAttempt.set(p.attemptId, run);
  const done = new Set<string>();
  const parents = new StudyParents(client, state.studies);

  for (const dir of listBundles(state.layout)) {
    const manifest = peekManifest(dir);
    const run = manifest ? byAttempt.get(manifest.physical_run_id) : undefined;
    const settings = run ? resolveTracking({ ...run.spec, tracking: { ...run.spec.tracking, trackingUri } }, env) : undefined;
    const item = await syncBundle(client, dir, {
      experimentName: request.experimentName ?? settings?.experimentName,
      runName: run?.name,
      logEmbeddings: settings?.logEmbeddings ?? false,
      maxArtifactBytes: settings?.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_MB * 1024 * 1024,
      extraTags: run ? await parents.tagsOf(run.runId, request.experimentName ?? settings?.experimentName ?? manifest?.experiment_name ?? run.spec.experimentName) : {},
    });
    items.push(item);
    if (item.physicalRunId) done.add(item.physicalRunId);
    if (run && item.physicalRunId) journalRecords.push(projectionRecord(run.runId, item, client.trackingUri));
  }

  // Failed and cancelled attempts whose projection a run left pending: close their MLflow runs.
  for (const [attemptId, projection] of state.projections) {
    if (projection.state === "synced" || done.has(attemptId)) continue;
    const run = [...state.runs.values()].find((r) => r.snapshot.context.attemptId === attemptId);
    const phase = run?.snapshot.value;
    if (!run || (phase !== "FAILED" && phase !== "CANCELLED")) continue;
    const experimentName = request.experimentName ?? projection.experimentName;
    const source = state.layout.workspaceDir(attemptId);
    const attempt = Number(/-a(\d+)$/.exec(attemptId)?.[1] ?? run.snapshot.context.attempt);
    let item: SyncItem;
    try {
      const result = await projectFailure(client, experimentName, subjectFromSpec(run, attemptId, attempt), {
        phase,
        reason: run.snapshot.context.reason,
        message: run.snapshot.context.message,
        evidenceDir: existsSync(source) ? source : undefined,
        maxArtifactBytes: DEFAULT_MAX_ARTIFACT_MB * 1024 * 1024,
        extraTags: await parents.tagsOf(run.runId, experimentName),
      });
      item = { source, physicalRunId: attemptId, logicalRunId: run.runId, experimentName, mlflowRunId: result.mlflowRunId, action: result.created ? "created" : "updated", message: `status ${phase === "FAILED" ? "FAILED" : "KILLED"}` };
    } catch (error) {
      item = { source, physicalRunId: attemptId, logicalRunId: run.runId, experimentName, action: "failed", message: (error as Error).message, transient: isTransientTrackingError(error) };
    }
    items.push(item);
    journalRecords.push(projectionRecord(run.runId, item, client.trackingUri));
  }

  items.push(...(await parents.finishAll()));
  items.push(...(await syncScores(client, state, { trackingUri, env, experimentName: request.experimentName })));
  const journaled = journalOutcome(state.stateRoot, journalRecords);
  return { trackingUri: client.trackingUri, items, journaled: journaled === true, ...(typeof journaled === "string" ? { note: journaled } : {}) };
}

/** Each evaluated launch's scores into the runs synced above (oldest launch first, so the newest shows last). */
async function syncScores(client: MlflowClient, state: OutputState, options: { trackingUri: string; env: Readonly<Record<string, string | undefined>>; experimentName?: string }): Promise<SyncItem[]> {
  const items: SyncItem[] = [];
  for (const launchId of listLaunches(state.stateRoot)) {
    const outcome = await projectLaunchScores({
      stateRoot: state.stateRoot,
      launchId,
      runs: state.runs,
      env: options.env,
      trackingUri: options.trackingUri,
      ...(options.experimentName !== undefined ? { experimentName: options.experimentName } : {}),
      clientFor: () => client,
    });
    for (const score of outcome.items) {
      if (score.action === "skipped" && score.transient !== true) continue;
      const source = `launch ${launchId} member ${score.memberId}`;
      const item: SyncItem = { source, action: score.action === "logged" ? "updated" : score.action === "unchanged" ? "unchanged" : "failed", message: `scores: ${score.message}` };
      if (score.attemptId) item.physicalRunId = score.attemptId;
      if (score.mlflowRunId) item.mlflowRunId = score.mlflowRunId;
      if (score.transient !== undefined) item.transient = score.transient;
      items.push(item);
    }
  }
  return items;
}

/**
 * Sweep trials are synced as children of their study's parent run (created when missing, found when not). A parent
 * this sync touched is closed once every trial the journal asked for has been told.
 */
class StudyParents {
  private readonly opened = new Map<string, Promise<{ runId: string; experimentName: string; status: string } | undefined>>();

  constructor(private readonly client: MlflowClient, private readonly trials: StudyTrials) {}

  async tagsOf(runId: string, experimentName: string): Promise<Record<string, string>> {
    const trial = this.trials.trialOfRun.get(runId);
    const study = trial ? this.trials.studies.get(trial.key) : undefined;
    if (!trial || !study) return {};
    let opening = this.opened.get(trial.key);
    if (!opening) {
      opening = ensureStudyRun(this.client, experimentName, study.subject, { reopen: false })
        .then((opened) => ({ runId: opened.runId, experimentName, status: opened.status }))
        .catch(() => undefined); // the trial is synced without its parent; the next sync links it
      this.opened.set(trial.key, opening);
    }
    const parent = await opening;
    return parent ? trialTags(parent.runId, study.subject, trial.trialNumber) : {};
  }

  async finishAll(): Promise<SyncItem[]> {
    const items: SyncItem[] = [];
    for (const [key, opening] of this.opened) {
      const parent = await opening;
      const study = this.trials.studies.get(key);
      if (!parent || !study || parent.status !== "RUNNING") continue;
      const outcome = journaledStudyOutcome(study);
      if (outcome.trials.some((t) => t.state === "RUNNING")) continue; // trials still in flight: a live sweep closes it
      try {
        await finishStudyRun(this.client, parent.runId, outcome);
        items.push({ source: `optuna study ${study.subject.studyName} (${study.subject.storage})`, experimentName: parent.experimentName, mlflowRunId: parent.runId, action: "updated", message: "study parent run FINISHED" });
      } catch (error) {
        items.push({ source: `optuna study ${study.subject.studyName}`, experimentName: parent.experimentName, mlflowRunId: parent.runId, action: "failed", message: (error as Error).message, transient: isTransientTrackingError(error) });
      }
    }
    return items;
  }
}

async function syncBundle(
  client: MlflowClient,
  dir: string,
  options: { experimentName?: string; runName?: string; logEmbeddings: boolean; maxArtifactBytes: number; extraTags?: Record<string, string> },
): Promise<SyncItem> {
  const manifest = peekManifest(dir);
  try {
    const result = await projectBundle(client, dir, options);
    const message = result.action === "unchanged" ? "already synced" : `${result.metricsLogged} metric points, ${result.uploaded.length} artifacts`;
    return {
      source: dir,
      physicalRunId: result.physicalRunId,
      logicalRunId: result.logicalRunId,
      experimentName: result.experimentName,
      mlflowRunId: result.mlflowRunId,
      action: result.action,
      message: [message, ...result.warnings].join("; "),
    };
  } catch (error) {
    return {
      source: dir,
      physicalRunId: manifest?.physical_run_id,
      logicalRunId: manifest?.logical_run_id,
      experimentName: options.experimentName ?? manifest?.experiment_name,
      action: "failed",
      message: (error as Error).message,
      transient: isTransientTrackingError(error),
    };
  }
}

function projectionRecord(runId: string, item: SyncItem, trackingUri: string): NewJournalRecord {
  return {
    type: "TRACKING_PROJECTION",
    runId,
    attemptId: item.physicalRunId ?? "",
    target: "mlflow",
    state: item.action !== "failed" ? "synced" : item.transient ? "pending" : "failed",
    trackingUri,
    experimentName: item.experimentName ?? "",
    ...(item.mlflowRunId ? { mlflowRunId: item.mlflowRunId } : {}),
    message: `mlflow-sync: ${item.action}${item.message ? `: ${item.message}` : ""}`,
  };
}

/** true when journaled, a note when the lock is held by another process, false when there was nothing to write. */
function journalOutcome(stateRoot: string, records: NewJournalRecord[]): boolean | string {
  if (records.length === 0 || !existsSync(join(stateRoot, "journal"))) return false;
  let lock: { release(): void };
  try {
    lock = acquireStateLock(stateRoot, "multiverse mlflow-sync");
  } catch (error) {
    return `projection states not journaled: ${(error as Error).message}`;
  }
  try {
    const journal = Journal.open(stateRoot);
    try {
      journal.append(records);
    } finally {
      journal.close();
    }
    // The index is the journal's projection: it learns the new states now, as after any other append.
    openCaughtUpIndex(stateRoot).close();
    return true;
  } finally {
    lock.release();
  }
}
