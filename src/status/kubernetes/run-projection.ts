/**
 * The Run custom resources as a projection of the journal (pure): a fold of RUN_PLANNED, RUN_TRANSITION, PROMOTED
 * and RUN_REUSED records into one view per logical run, and the objects server-side apply writes from it. The same
 * fold serves a restart (the whole journal) and live records, so a rebuilt status is the live one.
 */
import { createHash } from "node:crypto";
import type { RunSpec } from "../../domain/resources.js";
import type { FailureReason, RunPhase } from "../../domain/run-states.js";
import type { JournalRecord } from "../../journal/records.js";
import { API_VERSION, BENCHMARK_LABEL, MANAGED_BY_LABEL, RUN_ID_LABEL, type KubeObject } from "../../sources/kubernetes/kube-objects.js";

export interface RunView {
  runId: string;
  name: string;
  benchmark: string;
  spec: RunSpec;
  phase: RunPhase;
  attempt: number;
  attemptId?: string;
  reason?: FailureReason;
  message?: string;
  artifactDir?: string;
  manifestSha256?: string;
}

export interface BenchmarkOwner {
  namespace: string;
  name: string;
  uid: string;
}

/** Applies one record; returns the view it changed, if any. */
export function applyRunRecord(views: Map<string, RunView>, record: JournalRecord): RunView | undefined {
  switch (record.type) {
    case "RUN_PLANNED": {
      const before = views.get(record.runId);
      const view: RunView = before ? { ...before, spec: record.spec, benchmark: record.spec.benchmark, name: record.name } : { runId: record.runId, name: record.name, benchmark: record.spec.benchmark, spec: record.spec, phase: "PENDING", attempt: 0 };
      views.set(record.runId, view);
      return view;
    }
    case "RUN_TRANSITION": {
      const before = views.get(record.runId);
      if (!before) return undefined;
      const { attempt, attemptId, reason, message, artifactDir } = record.snapshot.context;
      const view: RunView = { runId: before.runId, name: before.name, benchmark: before.benchmark, spec: before.spec, phase: record.to, attempt };
      if (attemptId !== undefined) view.attemptId = attemptId;
      if (reason !== undefined) view.reason = reason;
      if (message !== undefined) view.message = message;
      if (artifactDir !== undefined) view.artifactDir = artifactDir;
      if (before.manifestSha256 !== undefined && artifactDir === before.artifactDir) view.manifestSha256 = before.manifestSha256;
      views.set(record.runId, view);
      return view;
    }
    case "PROMOTED": {
      const before = views.get(record.runId);
      if (!before) return undefined;
      const view = { ...before, artifactDir: record.artifactDir, manifestSha256: record.manifestSha256 };
      views.set(record.runId, view);
      return view;
    }
    case "RUN_REUSED": {
      const before = views.get(record.runId);
      if (!before) return undefined;
      const view = { ...before, artifactDir: record.artifactDir };
      views.set(record.runId, view);
      return view;
    }
    default:
      return undefined;
  }
}

const MAX_NAME = 253;

/**
 * `<benchmark>-<logical run id>`: deterministic, unique per Benchmark and run, a valid object name. A Benchmark name
 * so long that the whole would not fit is cut and given a hash of itself, so two long names never collide.
 */
export function runResourceName(benchmark: string, runId: string): string {
  const suffix = `-${runId.toLowerCase()}`;
  if (benchmark.length + suffix.length <= MAX_NAME) return `${benchmark}${suffix}`;
  const digest = createHash("sha256").update(benchmark).digest("hex").slice(0, 10);
  const room = MAX_NAME - suffix.length - digest.length - 1;
  return `${benchmark.slice(0, room).replace(/[-.]+$/, "")}-${digest}${suffix}`;
}

/** The Run object itself (metadata and spec), owned by its Benchmark, as server-side apply writes it. */
export function runObject(view: RunView, owner: BenchmarkOwner): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: "Run",
    metadata: {
      name: runResourceName(owner.name, view.runId),
      namespace: owner.namespace,
      labels: { [BENCHMARK_LABEL]: owner.name, [RUN_ID_LABEL]: view.runId, [MANAGED_BY_LABEL]: "multiverse" },
      ownerReferences: [{ apiVersion: API_VERSION, kind: "Benchmark", name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: { logicalId: view.runId, ...view.spec },
  };
}

/** The Run's /status: the journal's view of it. */
export function runStatusObject(view: RunView, owner: BenchmarkOwner): KubeObject {
  const status: Record<string, unknown> = { phase: view.phase, attempt: view.attempt, logicalRunId: view.runId };
  if (view.attemptId !== undefined) status.attemptId = view.attemptId;
  if (view.reason !== undefined) status.reason = view.reason;
  if (view.message !== undefined) status.message = view.message;
  if (view.artifactDir !== undefined) {
    status.artifactDir = view.artifactDir;
    status.bundlePath = view.artifactDir;
  }
  if (view.manifestSha256 !== undefined) status.manifestSha256 = view.manifestSha256;
  return { apiVersion: API_VERSION, kind: "Run", metadata: { name: runResourceName(owner.name, view.runId), namespace: owner.namespace }, status };
}
