/**
 * Desired state into runs: newly planned runs are journaled, and each run of the plan gets its disposition —
 * new, rerun, resume, reused from a verified bundle (skip_completed), waiting for a recovery decision, or (in
 * controller mode) left as it is when it already ended. Nothing is launched here.
 */
import { isTerminal } from "../../src/domain/run-states.js";
import type { NewJournalRecord } from "../../src/journal/records.js";
import type { JournalWriter } from "../../src/journal/journal-writer.js";
import type { RunRecord } from "../../src/journal/run-records.js";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { explainCacheMiss } from "../../reconcilers/cache-miss.js";
import type { PlannedRun } from "../../reconcilers/plan.js";
import type { RunStore } from "./run-store.js";
import type { RunTransitions } from "./transitions.js";

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

export interface ApplyPlanOptions {
  skipCompleted: boolean;
  /** Controller mode: runs that already ended are left as they are. */
  converge?: boolean;
  /** Controller mode, a new generation: runs that were cancelled (superseded, deleted, by hand) are run again. */
  rerunCancelled?: boolean;
}

function jobSeedKey(run: RunRecord): string {
  return `${run.spec.benchmark}\u0000${run.spec.jobName}\u0000${run.spec.seed}`;
}

export class PlanApplier {
  constructor(private readonly writer: JournalWriter, private readonly store: RunStore, private readonly transitions: RunTransitions) {}

  async apply(planned: readonly PlannedRun[], options: ApplyPlanOptions): Promise<PlanEntry[]> {
    const earlier = this.earlierRuns();
    const newRecords: NewJournalRecord[] = [];
    for (const run of planned) {
      const existing = this.store.get(run.runId);
      if (!existing || JSON.stringify(existing.spec) !== JSON.stringify(run.spec) || existing.name !== run.name) {
        newRecords.push({ type: "RUN_PLANNED", runId: run.runId, name: run.name, spec: run.spec });
      }
    }
    this.writer.append(newRecords);
    const entries: PlanEntry[] = [];
    for (const run of planned) {
      const record = this.store.get(run.runId);
      if (!record) throw new Error(`run ${run.runId} missing after planning`);
      const previous = earlier.get(jobSeedKey(record));
      const askedAgain = options.rerunCancelled === true && record.snapshot.value === "CANCELLED";
      if (options.converge && isTerminal(record.snapshot.value) && !askedAgain) {
        entries.push({ ...baseEntry(record), disposition: "unchanged" });
        continue;
      }
      entries.push(await this.dispose(record, options.skipCompleted, previous && previous.runId !== record.runId ? previous : undefined));
    }
    return entries;
  }

  private async dispose(record: RunRecord, skipCompleted: boolean, previous: RunRecord | undefined): Promise<PlanEntry> {
    const base = baseEntry(record);
    const phase = record.snapshot.value;
    if (phase === "RECOVERY_PENDING") return { ...base, disposition: "recovery_pending" };
    if (skipCompleted) {
      const completed = await this.verifiedPromotion(record);
      if (completed) {
        if (phase !== "ARTIFACT_SUCCESS") {
          if (isTerminal(phase)) this.transitions.apply(record, { type: "RERUN" });
          if (record.snapshot.value !== "PENDING") return { ...base, disposition: "resume" };
          this.writer.append([{ type: "RUN_REUSED", runId: record.runId, attemptId: completed.attemptId, artifactDir: completed.artifactDir }]);
          this.transitions.apply(record, { type: "REUSED", attemptId: completed.attemptId, artifactDir: completed.artifactDir });
        }
        return { ...base, disposition: "skipped", completedBy: completed };
      }
    }
    if (phase === "PENDING" && record.snapshot.context.attempt === 0) {
      return previous ? { ...base, disposition: "new", cacheMiss: { previousRunId: previous.runId, changes: explainCacheMiss(previous.spec, record.spec) } } : { ...base, disposition: "new" };
    }
    if (isTerminal(phase)) {
      // Asked for again: an earlier cancellation request is not part of this desire.
      record.cancelRequested = false;
      this.transitions.apply(record, { type: "RERUN" });
      return { ...base, disposition: "rerun" };
    }
    return { ...base, disposition: "resume" };
  }

  /** Earlier runs by benchmark, job and seed, to explain why a newly planned run is not reused. */
  private earlierRuns(): Map<string, RunRecord> {
    const byKey = new Map<string, RunRecord>();
    for (const run of this.store.values()) byKey.set(jobSeedKey(run), run);
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
}

function baseEntry(record: RunRecord) {
  return { runId: record.runId, name: record.name, jobName: record.spec.jobName, seed: record.spec.seed };
}
