/**
 * What `multiverse gc` may remove. Pure: the journal's view of the runs, the directories found on disk and the
 * clock in; one decision per directory out (collect or keep, and why). Nothing a run that is not terminal may still
 * need is ever collected: a live attempt's workspace, a RECOVERY_PENDING run's workspace, staging, bundle and
 * quarantined evidence all stay.
 */
import { isTerminal, type RunPhase } from "../src/domain/run-states.js";
import type { AttemptExitedRecord, GcItemKind, JournalRecordType, LaunchIntentRecord, PromotedRecord, RunPlannedRecord, RunTransitionRecord } from "../src/journal/records.js";

type ReadByGc = "RUN_PLANNED" | "RUN_TRANSITION" | "LAUNCH_INTENT" | "ATTEMPT_EXITED" | "PROMOTED";

/** The fields of journal records gc reads; every JournalRecord is one. */
export type GcJournalInput =
  | Pick<RunPlannedRecord, "type" | "runId">
  | Pick<RunTransitionRecord, "type" | "runId" | "to" | "ts">
  | Pick<LaunchIntentRecord, "type" | "runId" | "attemptId">
  | Pick<AttemptExitedRecord, "type" | "runId" | "attemptId" | "ts">
  | Pick<PromotedRecord, "type" | "runId" | "attemptId">
  | { type: Exclude<JournalRecordType, ReadByGc> };

export interface GcRunView {
  runId: string;
  phase: RunPhase;
  /** When the run entered its current terminal phase. */
  terminalAt?: string;
  /** Attempts whose bundle was promoted. */
  promotedAttempts: string[];
  /** When each attempt's exit was observed. */
  attemptEndedAt: Record<string, string>;
}

export interface GcJournalView {
  runs: Map<string, GcRunView>;
  /** Attempt id -> run id, from LAUNCH_INTENT. */
  attemptRun: Map<string, string>;
}

export interface GcCandidate {
  kind: GcItemKind;
  /** Relative to the output directory, "/"-separated. */
  path: string;
  /** The attempt the directory belongs to, when its name or manifest says so. */
  attemptId?: string;
  /** The run, when known without the attempt (a bundle's manifest, a _failed/ copy's job spec). */
  runId?: string;
  bytes: number;
  files: number;
  /** ISO time of the directory's last modification. */
  modifiedAt: string;
  /** Bundles: an EXPORTED marker exists for it. */
  exported?: boolean;
}

export interface GcPolicy {
  retentionFailedSeconds: number;
  retentionCancelledSeconds: number;
  applyToPromoted: boolean;
  exportRequired: boolean;
}

export const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;

export interface GcDecision {
  candidate: GcCandidate;
  /** The run that owns it, as the journal says. */
  runId?: string;
  collect: boolean;
  /** A short rule name (journaled with a collection), e.g. "failed-retention". */
  rule: string;
  reason: string;
}

/** The runs as the journal records them, for gc. Later records win; records of unplanned runs are ignored. */
export function gcViewFromJournal(records: readonly GcJournalInput[]): GcJournalView {
  const runs = new Map<string, GcRunView>();
  const attemptRun = new Map<string, string>();
  for (const record of records) {
    switch (record.type) {
      case "RUN_PLANNED":
        if (!runs.has(record.runId)) runs.set(record.runId, { runId: record.runId, phase: "PENDING", promotedAttempts: [], attemptEndedAt: {} });
        break;
      case "RUN_TRANSITION": {
        const run = runs.get(record.runId);
        if (!run) break;
        run.phase = record.to;
        if (isTerminal(record.to)) run.terminalAt = record.ts;
        else delete run.terminalAt;
        break;
      }
      case "LAUNCH_INTENT":
        attemptRun.set(record.attemptId, record.runId);
        break;
      case "ATTEMPT_EXITED": {
        const run = runs.get(record.runId);
        if (run) run.attemptEndedAt[record.attemptId] = record.ts;
        break;
      }
      case "PROMOTED":
        runs.get(record.runId)?.promotedAttempts.push(record.attemptId);
        break;
      default:
        break;
    }
  }
  return { runs, attemptRun };
}

function ageSeconds(now: Date, since: string): number {
  const at = Date.parse(since);
  return Number.isFinite(at) ? Math.max(0, (now.getTime() - at) / 1000) : 0;
}

function keep(candidate: GcCandidate, rule: string, reason: string): GcDecision {
  return { candidate, collect: false, rule, reason };
}

function collect(candidate: GcCandidate, rule: string, reason: string): GcDecision {
  return { candidate, collect: true, rule, reason };
}

function retained(candidate: GcCandidate, rule: string, what: string, since: string, retention: number, now: Date): GcDecision {
  const age = Math.floor(ageSeconds(now, since));
  return age >= retention
    ? collect(candidate, rule, `${what} ${age} s ago (retention ${retention} s)`)
    : keep(candidate, rule, `${what} ${age} s ago, kept for ${retention} s`);
}

function decideBundle(candidate: GcCandidate, run: GcRunView, policy: GcPolicy): GcDecision {
  if (!policy.applyToPromoted) return keep(candidate, "promoted", "a promoted bundle (gc removes bundles only with --apply-to-promoted)");
  if (policy.exportRequired && !candidate.exported) {
    return keep(candidate, "not-exported", "a promoted bundle without an EXPORTED marker (run multiverse export first, or pass --no-export-required)");
  }
  return collect(candidate, candidate.exported ? "promoted-exported" : "promoted-no-export-required", `a promoted bundle of a ${run.phase} run${candidate.exported ? ", exported" : " (export not required)"}`);
}

function decideOne(view: GcJournalView, candidate: GcCandidate, policy: GcPolicy, now: Date): GcDecision {
  const runId = candidate.runId ?? (candidate.attemptId ? view.attemptRun.get(candidate.attemptId) : undefined);
  const run = runId ? view.runs.get(runId) : undefined;
  if (!run) return keep(candidate, "unknown", "no journaled run owns it (gc removes only what the journal accounts for)");
  if (!isTerminal(run.phase)) {
    const why = run.phase === "RECOVERY_PENDING" ? "waits for a recovery decision (multiverse recover)" : "is not finished (a live attempt may need it)";
    return keep(candidate, "live", `run ${run.runId} is ${run.phase} and ${why}`);
  }
  if (candidate.kind === "bundle") return decideBundle(candidate, run, policy);
  const attempt = candidate.attemptId;
  if (run.phase === "ARTIFACT_SUCCESS") {
    if (attempt && run.promotedAttempts.includes(attempt)) {
      if (candidate.kind === "quarantine") return retained(candidate, "quarantine-retention", "quarantined", candidate.modifiedAt, policy.retentionFailedSeconds, now);
      return collect(candidate, "promoted-copy", `the ${candidate.kind} of the promoted attempt (its bundle holds the files)`);
    }
    // An earlier attempt of a run that succeeded later: a failed workspace.
    const since = (attempt ? run.attemptEndedAt[attempt] : undefined) ?? candidate.modifiedAt;
    return retained(candidate, "failed-retention", "an earlier attempt of a succeeded run ended", since, policy.retentionFailedSeconds, now);
  }
  const since = run.terminalAt ?? candidate.modifiedAt;
  if (run.phase === "CANCELLED") return retained(candidate, "cancelled-retention", "the run was cancelled", since, policy.retentionCancelledSeconds, now);
  if (candidate.kind === "quarantine") return retained(candidate, "quarantine-retention", "quarantined", candidate.modifiedAt, policy.retentionFailedSeconds, now);
  return retained(candidate, "failed-retention", "the run failed", since, policy.retentionFailedSeconds, now);
}

/** One decision per candidate, in path order. */
export function decideGc(view: GcJournalView, candidates: readonly GcCandidate[], policy: GcPolicy, now: Date): GcDecision[] {
  return [...candidates]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((candidate) => {
      const runId = candidate.runId ?? (candidate.attemptId ? view.attemptRun.get(candidate.attemptId) : undefined);
      const decision = decideOne(view, candidate, policy, now);
      return runId && view.runs.has(runId) ? { ...decision, runId } : decision;
    });
}

export interface GcTotals {
  collected: { count: number; bytes: number; files: number };
  kept: { count: number; bytes: number };
}

export function gcTotals(decisions: readonly GcDecision[]): GcTotals {
  const totals: GcTotals = { collected: { count: 0, bytes: 0, files: 0 }, kept: { count: 0, bytes: 0 } };
  for (const d of decisions) {
    if (d.collect) {
      totals.collected.count += 1;
      totals.collected.bytes += d.candidate.bytes;
      totals.collected.files += d.candidate.files;
    } else {
      totals.kept.count += 1;
      totals.kept.bytes += d.candidate.bytes;
    }
  }
  return totals;
}
