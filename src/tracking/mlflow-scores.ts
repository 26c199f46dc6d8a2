/**
 * Projects a launch's evaluation into MLflow: each evaluated member's scores go to the MLflow run of the attempt
 * they were computed from (found by its multiverse.physical_run_id tag), with the member document as an artifact.
 * Idempotent (one tag per launch names the evaluation it carries) and never part of the evaluation's outcome: a
 * server that is down leaves the launch unprojected, and `multiverse mlflow-sync --output` projects it later.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunRecord } from "../journal/run-records.js";
import { EVALUATION_RUN_FILE, EVALUATIONS_DIR } from "../evaluation/output-check.js";
import { launchDir } from "../evaluation/launch-store.js";
import { MlflowClient } from "./mlflow-client.js";
import { isTransientTrackingError } from "./mlflow-errors.js";
import { findAttemptRun } from "./mlflow-projection.js";
import { memberScoresOf, scoreProjection, type EvaluationIdentity } from "./score-projection.js";
import { resolveTracking } from "./tracking-config.js";

export interface ScoreItem {
  memberId: string;
  attemptId?: string;
  mlflowRunId?: string;
  /** logged: scores and tags written; unchanged: the run carries this evaluation already; skipped: nothing to project to; failed. */
  action: "logged" | "unchanged" | "skipped" | "failed";
  message: string;
  transient?: boolean;
}

export interface ScoreSyncOutcome {
  launchId: string;
  evaluationId: string | null;
  items: ScoreItem[];
}

interface EvaluationRun {
  evaluationId: string;
  status: string;
  finishedAt: number;
  memberIds: string[];
}

/** The launch's last evaluation; undefined when there is none, a sentence when the file is not one. */
function readEvaluationRun(dir: string): EvaluationRun | undefined | { problem: string } {
  const file = join(dir, EVALUATION_RUN_FILE);
  if (!existsSync(file)) return undefined;
  let doc: { evaluation_id?: unknown; status?: unknown; finished_at?: unknown; members?: unknown };
  try {
    doc = JSON.parse(readFileSync(file, "utf8")) as typeof doc;
  } catch (error) {
    return { problem: `${file} is not JSON: ${(error as Error).message}` };
  }
  const finishedAt = typeof doc?.finished_at === "string" ? Date.parse(doc.finished_at) : Number.NaN;
  if (typeof doc?.evaluation_id !== "string" || typeof doc.status !== "string" || !Number.isFinite(finishedAt) || !Array.isArray(doc.members)) {
    return { problem: `${file} lacks evaluation_id, status, finished_at or members` };
  }
  const memberIds = (doc.members as { member_id?: unknown }[]).map((m) => m?.member_id).filter((id): id is string => typeof id === "string");
  return { evaluationId: doc.evaluation_id, status: doc.status, finishedAt, memberIds };
}

export interface ScoreSyncRequest {
  stateRoot: string;
  launchId: string;
  runs: ReadonlyMap<string, RunRecord>;
  env: Readonly<Record<string, string | undefined>>;
  /** mlflow-sync's --tracking-uri / --experiment: they win over what the runs' specs resolve to. */
  trackingUri?: string;
  experimentName?: string;
  /** One client per tracking URI (tests inject theirs). */
  clientFor?: (trackingUri: string) => MlflowClient;
}

/** Every member of the launch's last evaluation, projected to its run's tracking server when it has one. */
export async function projectLaunchScores(request: ScoreSyncRequest): Promise<ScoreSyncOutcome> {
  const dir = launchDir(request.stateRoot, request.launchId);
  const evaluation = readEvaluationRun(dir);
  if (!evaluation) return { launchId: request.launchId, evaluationId: null, items: [] };
  if ("problem" in evaluation) return { launchId: request.launchId, evaluationId: null, items: [{ memberId: "(launch)", action: "failed", message: evaluation.problem }] };
  const identity: EvaluationIdentity = { launchId: request.launchId, evaluationId: evaluation.evaluationId, finishedAt: evaluation.finishedAt };
  const clients = new Map<string, MlflowClient>();
  const clientFor = (uri: string) => {
    let client = clients.get(uri);
    if (!client) clients.set(uri, (client = request.clientFor?.(uri) ?? new MlflowClient({ trackingUri: uri })));
    return client;
  };
  const items: ScoreItem[] = [];
  for (const memberId of evaluation.memberIds) {
    const file = join(dir, EVALUATIONS_DIR, `${memberId}.json`);
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      items.push({ memberId, action: "failed", message: `${file}: ${(error as Error).message}` });
      continue;
    }
    const scores = memberScoresOf(document);
    if ("problem" in scores) {
      items.push({ memberId, action: "failed", message: `${file}: ${scores.problem}` });
      continue;
    }
    const run = scores.runId ? request.runs.get(scores.runId) : undefined;
    if (!scores.attemptId || !run) {
      items.push({ memberId, action: "skipped", message: scores.attemptId ? `run ${scores.runId} is not in the journal` : `no attempt was evaluated (${scores.status})` });
      continue;
    }
    const tracking = resolveTracking({ ...run.spec, tracking: { ...run.spec.tracking, ...(request.trackingUri ? { trackingUri: request.trackingUri } : {}) } }, request.env);
    if (!tracking) {
      items.push({ memberId, attemptId: scores.attemptId, action: "skipped", message: "tracking is off for this run" });
      continue;
    }
    const base = { memberId, attemptId: scores.attemptId };
    try {
      const client = clientFor(tracking.trackingUri);
      const experimentId = (await client.getExperimentByName(request.experimentName ?? tracking.experimentName))?.experimentId;
      const found = experimentId ? await findAttemptRun(client, experimentId, scores.attemptId) : undefined;
      if (!found) {
        items.push({ ...base, action: "skipped", message: `attempt ${scores.attemptId} has no MLflow run yet (multiverse mlflow-sync --output projects its bundle, then its scores)`, transient: true });
        continue;
      }
      const projection = scoreProjection(scores, identity, found.tags);
      if (!projection) {
        items.push({ ...base, mlflowRunId: found.info.runId, action: "unchanged", message: `already carries evaluation ${evaluation.evaluationId}` });
        continue;
      }
      // Points and the member document first, the launch's tag last: a projection cut short is done again in full.
      await client.logBatch(found.info.runId, { metrics: projection.metrics });
      await client.uploadArtifactFile(found.info, `${projection.artifactPath}/${memberId}.json`, file);
      await client.logBatch(found.info.runId, { tags: projection.tags });
      items.push({ ...base, mlflowRunId: found.info.runId, action: "logged", message: `${projection.metrics.length} scores (${scores.status})` });
    } catch (error) {
      items.push({ ...base, action: "failed", message: (error as Error).message, transient: isTransientTrackingError(error) });
    }
  }
  return { launchId: request.launchId, evaluationId: evaluation.evaluationId, items };
}
