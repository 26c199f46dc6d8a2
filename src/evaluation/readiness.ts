/**
 * Readiness of a cohort member before evaluation (seeds doc 001): from the run's phase in the journal, its bundle's
 * verification and its dataset. Pure: the facts are gathered elsewhere (readiness-facts.ts). A bundle whose
 * checksums do not verify is never ready.
 */
import type { RunPhase } from "../domain/run-states.js";

export const READINESS_STATUSES = [
  "ready",
  "running",
  "training_failed",
  "cancelled",
  "not_submitted",
  "missing_artifact_dir",
  "bad_artifact_manifest",
  "no_embeddings",
  "missing_dataset",
  "unsupported_dataset",
] as const;
export type ReadinessStatus = (typeof READINESS_STATUSES)[number];

export const EMBEDDING_FILE = "embeddings.h5";

export type BundleFacts =
  | { kind: "none" }
  | { kind: "absent"; dir: string }
  | { kind: "bad"; dir: string; problems: string[] }
  | { kind: "verified"; dir: string; manifestSha256: string; embeddingSha256: string | null };

export type DatasetFacts =
  | { kind: "absent"; path: string }
  | { kind: "unsupported"; path: string; why: string }
  | { kind: "present"; path: string };

export interface MemberFacts {
  /** null: the journal knows no such run (planned by a dry run of another state, or lost). */
  phase: RunPhase | null;
  /** Attempts with a launch intent. */
  attempts: number;
  failureReason?: string;
  failureMessage?: string;
  bundle: BundleFacts;
  dataset: DatasetFacts;
}

export interface Readiness {
  status: ReadinessStatus;
  /** Why it is not ready (null when ready). */
  reason: string | null;
  bundleDir: string | null;
  manifestSha256: string | null;
  embeddingSha256: string | null;
}

const IN_FLIGHT: ReadonlySet<RunPhase> = new Set(["ADMITTED", "RUNNING", "TRAINING_SUCCEEDED", "EVALUATING", "PROMOTING", "CANCEL_REQUESTED", "RECOVERY_PENDING"]);

function notReady(status: ReadinessStatus, reason: string, bundleDir: string | null = null): Readiness {
  return { status, reason, bundleDir, manifestSha256: null, embeddingSha256: null };
}

export function memberReadiness(facts: MemberFacts): Readiness {
  const phase = facts.phase;
  if (phase === null) return notReady("not_submitted", "the journal has no record of this run");
  if (phase === "PENDING") return facts.attempts === 0 ? notReady("not_submitted", "planned, never launched") : notReady("running", `waiting to retry after ${facts.attempts} attempt(s)`);
  if (phase === "RECOVERY_PENDING") return notReady("running", "RECOVERY_PENDING: waiting for an explicit adopt/discard decision");
  if (IN_FLIGHT.has(phase)) return notReady("running", `the run is ${phase}`);
  if (phase === "FAILED") return notReady("training_failed", [facts.failureReason, facts.failureMessage].filter(Boolean).join(": ") || "the run failed");
  if (phase === "CANCELLED") return notReady("cancelled", facts.failureMessage ?? "the run was cancelled");
  // ARTIFACT_SUCCESS: the dataset, then the bundle.
  if (facts.dataset.kind === "absent") return notReady("missing_dataset", `dataset file ${facts.dataset.path} does not exist`);
  if (facts.dataset.kind === "unsupported") return notReady("unsupported_dataset", facts.dataset.why);
  const bundle = facts.bundle;
  switch (bundle.kind) {
    case "none":
      return notReady("missing_artifact_dir", "the run succeeded but no bundle directory is recorded");
    case "absent":
      return notReady("missing_artifact_dir", `bundle ${bundle.dir} does not exist`, bundle.dir);
    case "bad":
      return notReady("bad_artifact_manifest", `bundle ${bundle.dir} does not verify: ${bundle.problems.join("; ")}`, bundle.dir);
    case "verified":
      if (bundle.embeddingSha256 === null) return notReady("no_embeddings", `bundle ${bundle.dir} has no ${EMBEDDING_FILE}`, bundle.dir);
      return { status: "ready", reason: null, bundleDir: bundle.dir, manifestSha256: bundle.manifestSha256, embeddingSha256: bundle.embeddingSha256 };
  }
}

/** The evaluation status the contract maps a not-ready member to (EVAL_CONTRACT.md). */
export function evaluationStatusOf(status: Exclude<ReadinessStatus, "ready">): string {
  switch (status) {
    case "training_failed":
    case "cancelled":
      return "training_failed";
    case "running":
    case "not_submitted":
      return "not_ready";
    case "missing_artifact_dir":
    case "bad_artifact_manifest":
      return "bad_manifest";
    case "no_embeddings":
      return "no_embeddings";
    case "missing_dataset":
      return "missing_dataset";
    case "unsupported_dataset":
      return "unsupported_dataset";
  }
}
