/**
 * A launch's cohort: every member its plan asked for (skipped and resumed ones too), with what evaluation needs to
 * find each one later: attempt ids, bundle directory, dataset path and keys, requested metrics. Pure: built from the
 * plan and kept up to date from journal records.
 */
import type { BenchmarkResource, RunSpec } from "../domain/resources.js";
import type { JournalRecord } from "../journal/records.js";
import { choosePreset, type MetricsPreset } from "./metrics-preset.js";

export const COHORT_SCHEMA_VERSION = 1;

export interface CohortMember {
  /** The logical run id (unique within a launch). */
  member_id: string;
  run_id: string;
  name: string;
  job: string;
  model: string;
  model_version: string;
  seed: number;
  params: Record<string, unknown>;
  dataset: string;
  dataset_path: string;
  dataset_fingerprint: string;
  batch_key: string | null;
  label_key: string | null;
  /** What the plan decided for it: new, rerun, resume, skipped, recovery_pending, unchanged, trial. */
  disposition: string;
  /** Every attempt submitted for it (launch intents), oldest first; a skipped member's completing attempt. */
  attempt_ids: string[];
  /** Its promoted bundle, once there is one. */
  bundle_dir: string | null;
  /** jobs[].metrics, else globals.metrics. */
  metrics: string[];
}

export interface Cohort {
  schema_version: typeof COHORT_SCHEMA_VERSION;
  launch_id: string;
  created_at: string;
  /** run: `multiverse run`; controller: a Benchmark generation planned by the controller; sweep: one trial's run, evaluated for its study. */
  source: "run" | "controller" | "sweep";
  benchmark: string;
  generation: number | null;
  manifest: string | null;
  /** The metric preset asked for (the evaluate command's --metrics overrides it). */
  metrics_preset: MetricsPreset;
  requested_metrics: string[];
  members: CohortMember[];
}

/** What the cohort needs of one planned run: its id, name, spec, plan disposition and what is known of it so far. */
export interface PlannedMember {
  runId: string;
  name: string;
  spec: RunSpec;
  disposition: string;
  attemptIds: readonly string[];
  bundleDir: string | null;
}

export interface CohortHeader {
  launchId: string;
  createdAt: string;
  source: "run" | "controller";
  benchmark: BenchmarkResource;
  generation: number | null;
  manifest: string | null;
}

function requestedMetrics(benchmark: BenchmarkResource, jobName: string): string[] {
  const job = benchmark.spec.jobs.find((j) => j.name === jobName);
  return [...(job?.metrics ?? benchmark.spec.metrics ?? [])];
}

export function cohortMember(benchmark: BenchmarkResource, planned: PlannedMember): CohortMember {
  return memberOf(planned, requestedMetrics(benchmark, planned.spec.jobName));
}

function memberOf(planned: PlannedMember, metrics: readonly string[]): CohortMember {
  const spec = planned.spec;
  return {
    member_id: planned.runId,
    run_id: planned.runId,
    name: planned.name,
    job: spec.jobName,
    model: spec.model,
    model_version: spec.modelVersion,
    seed: spec.seed,
    params: spec.params,
    dataset: spec.dataset,
    dataset_path: spec.datasetPath,
    dataset_fingerprint: spec.datasetFingerprint,
    batch_key: spec.batchKey ?? null,
    label_key: spec.labelKey ?? null,
    disposition: planned.disposition,
    attempt_ids: [...planned.attemptIds],
    bundle_dir: planned.bundleDir,
    metrics: [...metrics],
  };
}

/** The cohort of one sweep trial: its promoted run alone, evaluated so that the study can be told a score. */
export function trialCohort(header: { launchId: string; createdAt: string; benchmark: string; metricsPreset: MetricsPreset; requestedMetrics: readonly string[] }, planned: PlannedMember): Cohort {
  return {
    schema_version: COHORT_SCHEMA_VERSION,
    launch_id: header.launchId,
    created_at: header.createdAt,
    source: "sweep",
    benchmark: header.benchmark,
    generation: null,
    manifest: null,
    metrics_preset: header.metricsPreset,
    requested_metrics: [...header.requestedMetrics],
    members: [memberOf(planned, header.requestedMetrics)],
  };
}

export function buildCohort(header: CohortHeader, planned: readonly PlannedMember[]): Cohort {
  const requested = [...new Set([...(header.benchmark.spec.metrics ?? []), ...header.benchmark.spec.jobs.flatMap((j) => j.metrics ?? [])])];
  const cohort: Cohort = {
    schema_version: COHORT_SCHEMA_VERSION,
    launch_id: header.launchId,
    created_at: header.createdAt,
    source: header.source,
    benchmark: header.benchmark.metadata.name,
    generation: header.generation,
    manifest: header.manifest,
    metrics_preset: choosePreset(undefined, header.benchmark.spec.evaluation?.metrics, requested),
    requested_metrics: requested,
    members: [],
  };
  return addMembers(cohort, header.benchmark, planned);
}

/** Members planned later (a sweep's trials); one already in the cohort is left as it is. */
export function addMembers(cohort: Cohort, benchmark: BenchmarkResource, planned: readonly PlannedMember[]): Cohort {
  const known = new Set(cohort.members.map((m) => m.member_id));
  const added = planned.filter((p) => !known.has(p.runId) && (known.add(p.runId), true)).map((p) => cohortMember(benchmark, p));
  return added.length === 0 ? cohort : { ...cohort, members: [...cohort.members, ...added] };
}

/**
 * The cohort after these journal records: attempts submitted (LAUNCH_INTENT), bundles promoted or reused. Returns
 * the same object when nothing of it changed, so that a caller rewrites the file only when needed.
 */
export function applyCohortRecords(cohort: Cohort, records: readonly JournalRecord[]): Cohort {
  let members = cohort.members;
  let changed = false;
  const update = (runId: string, change: (m: CohortMember) => CohortMember) => {
    const at = members.findIndex((m) => m.run_id === runId);
    const current = members[at];
    if (at < 0 || !current) return;
    const next = change(current);
    if (next === current) return;
    if (!changed) members = [...members];
    members[at] = next;
    changed = true;
  };
  const withAttempt = (m: CohortMember, attemptId: string) => (m.attempt_ids.includes(attemptId) ? m : { ...m, attempt_ids: [...m.attempt_ids, attemptId] });
  for (const record of records) {
    if (record.type === "LAUNCH_INTENT") update(record.runId, (m) => withAttempt(m, record.attemptId));
    else if (record.type === "PROMOTED" || record.type === "RUN_REUSED") {
      update(record.runId, (m) => {
        const attempted = withAttempt(m, record.attemptId);
        return attempted.bundle_dir === record.artifactDir ? attempted : { ...attempted, bundle_dir: record.artifactDir };
      });
    }
  }
  return changed ? { ...cohort, members } : cohort;
}

/** A plan entry (controllers/run/plan-applier.ts) and its run as the controller has it, as a cohort member. */
export function plannedMemberOf(
  entry: { runId: string; name: string; disposition: string; completedBy?: { attemptId: string; artifactDir: string } },
  record: { spec: RunSpec; launched: ReadonlySet<string>; snapshot: { value: string; context: { artifactDir?: string } } },
): PlannedMember {
  const attemptIds = [...record.launched];
  if (entry.completedBy && !attemptIds.includes(entry.completedBy.attemptId)) attemptIds.push(entry.completedBy.attemptId);
  const bundleDir = entry.completedBy?.artifactDir ?? (record.snapshot.value === "ARTIFACT_SUCCESS" ? (record.snapshot.context.artifactDir ?? null) : null);
  return { runId: entry.runId, name: entry.name, spec: record.spec, disposition: entry.disposition, attemptIds, bundleDir };
}
