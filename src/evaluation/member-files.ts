/**
 * Member evaluation files the host writes itself (same shape as the evaluator's, EVAL_CONTRACT.md): when the
 * evaluator crashed, did not write a member's file, or had nothing to evaluate. Pure.
 */
import type { CohortMember } from "./cohort.js";
import { evaluationStatusOf, type Readiness } from "./readiness.js";

export interface HostMemberEvaluation {
  schema_version: 1;
  member: { member_id: string; run_id: string; attempt_id: string | null; model: string; seed: number; params: Record<string, unknown>; dataset: string };
  status: string;
  reason: string;
  embedding: null;
  keys: { batch_key: string | null; label_key: string | null; found_in: null; n_batches: null; n_labels: null };
  metrics: never[];
  scores: { bio_conservation: null; batch_correction: null; total: null; reason: string };
  traced_to: { manifest_sha256: string | null; embedding_sha256: string | null; dataset_fingerprint: string };
  versions: Record<string, never>;
  resources: null;
}

/** A ready member the evaluator did not evaluate is evaluation_failed; a not-ready one gets its mapped status. */
export function hostMemberEvaluation(member: CohortMember, readiness: Readiness, failure: string): HostMemberEvaluation {
  const ready = readiness.status === "ready";
  const status = readiness.status === "ready" ? "evaluation_failed" : evaluationStatusOf(readiness.status);
  const reason = ready ? failure : (readiness.reason ?? readiness.status);
  return {
    schema_version: 1,
    member: { member_id: member.member_id, run_id: member.run_id, attempt_id: member.attempt_ids.at(-1) ?? null, model: member.model, seed: member.seed, params: member.params, dataset: member.dataset },
    status,
    reason,
    embedding: null,
    keys: { batch_key: member.batch_key, label_key: member.label_key, found_in: null, n_batches: null, n_labels: null },
    metrics: [],
    scores: { bio_conservation: null, batch_correction: null, total: null, reason: `not evaluated: ${status}` },
    traced_to: { manifest_sha256: readiness.manifestSha256, embedding_sha256: readiness.embeddingSha256, dataset_fingerprint: member.dataset_fingerprint },
    versions: {},
    resources: null,
  };
}
