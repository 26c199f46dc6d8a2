/**
 * What a member's evaluation looks like in its run's MLflow run. Pure: one evaluations/<member_id>.json (the
 * evaluator contract's member document) in; metrics, tags and the artifact path out. Raw values only: the scaled
 * table depends on which members and controls were evaluated together, so it stays in the launch's report, where
 * it is labelled as such. A metric without a value is never logged as a number; its status is in a tag.
 */
import type { MlflowMetric, MlflowTag } from "./mlflow-types.js";
import { MLFLOW_LIMITS } from "./mlflow-types.js";
import { CATEGORY_SCORES, SCORE_PREFIX, type CategoryScore } from "../evaluation/score-names.js";

export const SCORE_TAGS = {
  launchId: "multiverse.evaluation.launch_id",
  evaluationId: "multiverse.evaluation.id",
  status: "multiverse.evaluation.status",
  reason: "multiverse.evaluation.reason",
  notApplicable: "multiverse.evaluation.not_applicable",
  versions: "multiverse.evaluation.versions",
  tracedTo: "multiverse.evaluation.manifest_sha256",
  finishedAt: "multiverse.evaluation.finished_at",
} as const;

/** One tag per launch: which of its evaluations the run carries (so a launch is projected once per evaluation). */
export function launchTagKey(launchId: string): string {
  return `multiverse.evaluation.launch.${launchId.replace(/[^A-Za-z0-9_\-. /]/g, "_")}`;
}

export interface MemberMetric {
  name: string;
  value: number | null;
  status: string;
  reason: string | null;
}

export interface MemberScores {
  memberId: string;
  runId: string | null;
  attemptId: string | null;
  status: string;
  reason: string | null;
  metrics: MemberMetric[];
  scores: Record<CategoryScore, number | null>;
  scoreReasons: Record<string, string | null>;
  manifestSha256: string | null;
  versions: Record<string, string | null>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function finite(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** The parts of a member document the projection uses; a description of what is wrong when it is not one. */
export function memberScoresOf(document: unknown): MemberScores | { problem: string } {
  if (!isRecord(document)) return { problem: "not a JSON object" };
  if (document.schema_version !== 1) return { problem: `schema_version ${JSON.stringify(document.schema_version)}, expected 1` };
  const member = document.member;
  if (!isRecord(member) || typeof member.member_id !== "string") return { problem: "member.member_id is missing" };
  const status = text(document.status);
  if (status === null) return { problem: "status is missing" };
  const metrics: MemberMetric[] = [];
  for (const [i, entry] of (Array.isArray(document.metrics) ? document.metrics : []).entries()) {
    if (!isRecord(entry) || typeof entry.name !== "string") return { problem: `metrics[${i}].name is missing` };
    metrics.push({ name: entry.name, value: finite(entry.value), status: text(entry.status) ?? "unknown", reason: text(entry.reason) });
  }
  const scores = isRecord(document.scores) ? document.scores : {};
  const reasons = isRecord(scores.reasons) ? scores.reasons : {};
  const tracedTo = isRecord(document.traced_to) ? document.traced_to : {};
  const versions: Record<string, string | null> = {};
  if (isRecord(document.versions)) for (const [k, v] of Object.entries(document.versions)) versions[k] = text(v);
  return {
    memberId: member.member_id,
    runId: text(member.run_id),
    attemptId: text(member.attempt_id),
    status,
    reason: text(document.reason),
    metrics,
    scores: { bio_conservation: finite(scores.bio_conservation), batch_correction: finite(scores.batch_correction), total: finite(scores.total) },
    scoreReasons: Object.fromEntries(CATEGORY_SCORES.map((k) => [k, text(reasons[k]) ?? (typeof scores.reason === "string" ? scores.reason : null)])),
    manifestSha256: text(tracedTo.manifest_sha256),
    versions,
  };
}

/** MLflow allows alphanumerics, underscores, dashes, periods, spaces and slashes in keys. */
export function scoreKey(name: string): string {
  return `${SCORE_PREFIX}${name.replace(/[^A-Za-z0-9_\-. /]/g, "_")}`.slice(0, MLFLOW_LIMITS.keyLength);
}

export interface ScoreProjection {
  metrics: MlflowMetric[];
  tags: MlflowTag[];
  /** Where the member document goes among the run's artifacts. */
  artifactPath: string;
}

export interface EvaluationIdentity {
  launchId: string;
  evaluationId: string;
  /** Milliseconds since the epoch. */
  finishedAt: number;
}

/**
 * The member's raw metric values and category scores as metrics (one point at the evaluation's end, step 0), the
 * launch's tag, and the evaluation's status and the metrics that had no value as the run's current tags. Those are
 * written only when this evaluation is not older than the one the run shows, so that an older launch projected late
 * (after an outage) does not overwrite a newer one; its points still go in, at their own time.
 * Undefined when the run already carries this evaluation.
 */
export function scoreProjection(scores: MemberScores, evaluation: EvaluationIdentity, runTags: Readonly<Record<string, string>>): ScoreProjection | undefined {
  if (runTags[launchTagKey(evaluation.launchId)] === evaluation.evaluationId) return undefined;
  const point = (key: string, value: number): MlflowMetric => ({ key, value, timestamp: evaluation.finishedAt, step: 0 });
  const metrics: MlflowMetric[] = [];
  if (scores.status === "done") {
    for (const m of scores.metrics) if (m.value !== null) metrics.push(point(scoreKey(m.name), m.value));
    for (const name of CATEGORY_SCORES) {
      const value = scores.scores[name];
      if (value !== null) metrics.push(point(scoreKey(name), value));
    }
  }
  const tags: Record<string, string> = { [launchTagKey(evaluation.launchId)]: evaluation.evaluationId };
  const shown = Number(runTags[SCORE_TAGS.finishedAt] ?? Number.NEGATIVE_INFINITY);
  if (!(evaluation.finishedAt < shown)) Object.assign(tags, currentTags(scores, evaluation));
  return {
    metrics,
    tags: Object.entries(tags).map(([key, value]) => ({ key, value: value.slice(0, MLFLOW_LIMITS.tagValueLength) })),
    artifactPath: `evaluation/${evaluation.launchId}`,
  };
}

function currentTags(scores: MemberScores, evaluation: EvaluationIdentity): Record<string, string> {
  const withoutValue = [
    ...scores.metrics.filter((m) => m.value === null).map((m) => `${m.name} (${m.status}${m.reason ? `: ${m.reason}` : ""})`),
    ...CATEGORY_SCORES.filter((name) => scores.scores[name] === null).map((name) => `${name}${scores.scoreReasons[name] ? ` (${scores.scoreReasons[name]})` : ""}`),
  ];
  const versions = Object.entries(scores.versions).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`).sort();
  // Every current tag is written each time, empty when it does not apply, so none is left over from an older evaluation.
  return {
    [SCORE_TAGS.launchId]: evaluation.launchId,
    [SCORE_TAGS.evaluationId]: evaluation.evaluationId,
    [SCORE_TAGS.finishedAt]: String(evaluation.finishedAt),
    [SCORE_TAGS.status]: scores.status,
    [SCORE_TAGS.reason]: scores.reason ?? "",
    [SCORE_TAGS.notApplicable]: withoutValue.join("; "),
    [SCORE_TAGS.versions]: versions.join(" "),
    [SCORE_TAGS.tracedTo]: scores.manifestSha256 ?? "",
  };
}
