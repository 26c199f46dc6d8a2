/** What the run page derives from a run's detail (pure): timeline, failure evidence, pictures, tracking links. */
import { failureClassOf, isTerminalPhase } from "./phases.js";
import type { Artifact, RunDetail, SweepTrial, TrackingProjection, Transition } from "./types.js";

export interface TimelineEntry {
  seq: number;
  ts: string;
  from: string;
  to: string;
  event: string;
  reason: string | null;
  message: string | null;
  /** Seconds since the previous transition (null for the first). */
  afterSeconds: number | null;
}

export function timeline(transitions: readonly Transition[]): TimelineEntry[] {
  const sorted = [...transitions].sort((a, b) => a.seq - b.seq);
  return sorted.map((t, i) => {
    const previous = i > 0 ? Date.parse(sorted[i - 1]!.ts) : NaN;
    const here = Date.parse(t.ts);
    const afterSeconds = Number.isFinite(previous) && Number.isFinite(here) ? Math.max(0, (here - previous) / 1000) : null;
    return { seq: t.seq, ts: t.ts, from: t.from, to: t.to, event: t.event, reason: t.reason, message: t.message, afterSeconds };
  });
}

/** Seconds from the first transition to the last (or to `now` while the run is not terminal). */
export function elapsedSeconds(detail: RunDetail, now: number): number | null {
  const times = detail.transitions.map((t) => Date.parse(t.ts)).filter(Number.isFinite);
  if (times.length === 0) return null;
  const end = isTerminalPhase(detail.run.phase) ? Math.max(...times) : now;
  return Math.max(0, (end - Math.min(...times)) / 1000);
}

export interface FailureFacts {
  reason: string;
  failureClass: string | undefined;
  message: string | null;
  exitCode: number | null;
  oomKilled: boolean;
  /** The transition that failed the run: its event and time. */
  failedBy: { event: string; ts: string; from: string } | null;
  workspaceDir: string | null;
}

/** The reason and evidence of a failed (or cancelled, or parked) run; null for a run that did not fail. */
export function failureFacts(detail: RunDetail): FailureFacts | null {
  const { run } = detail;
  if (run.phase !== "FAILED" && run.phase !== "CANCELLED" && run.phase !== "RECOVERY_PENDING") return null;
  const last = [...detail.transitions].sort((a, b) => a.seq - b.seq).reverse().find((t) => t.to === run.phase);
  const attempt = detail.attempts.find((a) => a.attemptId === run.attemptId) ?? detail.attempts[detail.attempts.length - 1];
  const reason = run.reason ?? last?.reason ?? (run.phase === "RECOVERY_PENDING" ? "recovery_pending" : "unknown");
  return {
    reason,
    failureClass: failureClassOf(reason),
    message: run.message ?? last?.message ?? null,
    exitCode: attempt?.exitCode ?? null,
    oomKilled: attempt?.oomKilled ?? false,
    failedBy: last ? { event: last.event, ts: last.ts, from: last.from } : null,
    workspaceDir: attempt?.workspaceDir ?? run.workspaceDir,
  };
}

/** The bundle's pictures (the UMAP first). */
export function pictures(artifacts: readonly Artifact[] | null): Artifact[] {
  const images = (artifacts ?? []).filter((a) => /\.(png|jpe?g|gif|webp)$/i.test(a.path));
  return images.sort((a, b) => Number(b.role === "umap") - Number(a.role === "umap") || (a.path < b.path ? -1 : 1));
}

/** The URL of a bundle file through the API. */
export function fileUrl(runId: string, path: string): string {
  return `/api/v1/runs/${encodeURIComponent(runId)}/files/${path.split("/").map(encodeURIComponent).join("/")}`;
}

function httpBase(uri: string): string | null {
  return /^https?:\/\//i.test(uri) ? uri.replace(/\/+$/, "") : null;
}

export interface TrackingLink {
  label: string;
  /** null when the tracking URI is not a web server (a file store): shown, not linked. */
  href: string | null;
  state: TrackingProjection["state"];
  note: string | null;
}

/** Links into the MLflow UI for each attempt's projection (run page, else the experiment). */
export function mlflowLinks(tracking: readonly TrackingProjection[]): TrackingLink[] {
  return tracking.map((t) => {
    const base = httpBase(t.trackingUri);
    const experiment = t.experimentId ? `#/experiments/${encodeURIComponent(t.experimentId)}` : null;
    const run = experiment && t.mlflowRunId ? `${experiment}/runs/${encodeURIComponent(t.mlflowRunId)}` : null;
    const target = run ?? experiment;
    return {
      label: `MLflow ${t.mlflowRunId ? `run ${t.mlflowRunId.slice(0, 12)}` : `experiment ${t.experimentName}`} (attempt ${t.attemptId})`,
      href: base && target ? `${base}/${target}` : null,
      state: t.state,
      note: t.state === "synced" ? null : (t.message ?? t.state),
    };
  });
}

export interface StudyFacts {
  study: string;
  trial: string;
  storage: string;
  /** How to open the study in optuna-dashboard. */
  command: string;
}

/** The Optuna studies a run is a trial of. */
export function studyFacts(trials: readonly SweepTrial[]): StudyFacts[] {
  return trials.map((t) => ({
    study: t.study,
    trial: `#${t.trialNumber} ${t.state}${t.value !== null ? ` ${t.value}` : ""}${t.message ? ` (${t.message})` : ""}`,
    storage: t.storage,
    command: `optuna-dashboard '${t.storage.replace(/'/g, "'\\''")}'`,
  }));
}

/** The run's params as sorted key/value pairs (the index keeps them as JSON text). */
export function paramPairs(params: string): [string, string][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(params);
  } catch {
    return [["(params)", params]];
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return [["(params)", params]];
  return Object.entries(parsed as Record<string, unknown>)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]);
}
