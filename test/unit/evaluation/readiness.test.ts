/** Readiness of a cohort member over every run phase and every bundle and dataset fact. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RUN_PHASES, type RunPhase } from "../../../src/domain/run-states.js";
import { evaluationStatusOf, memberReadiness, READINESS_STATUSES, type BundleFacts, type DatasetFacts, type MemberFacts, type ReadinessStatus } from "../../../src/evaluation/readiness.js";

const verified: BundleFacts = { kind: "verified", dir: "/b/a1", manifestSha256: "m".repeat(64), embeddingSha256: "e".repeat(64) };
const present: DatasetFacts = { kind: "present", path: "/d.h5mu" };

function facts(over: Partial<MemberFacts>): MemberFacts {
  return { phase: "ARTIFACT_SUCCESS", attempts: 1, bundle: verified, dataset: present, ...over };
}

test("a succeeded run with a verified bundle holding embeddings.h5 and its dataset is ready, with its checksums", () => {
  const r = memberReadiness(facts({}));
  assert.deepEqual(r, { status: "ready", reason: null, bundleDir: "/b/a1", manifestSha256: "m".repeat(64), embeddingSha256: "e".repeat(64) });
});

test("every run phase maps to one readiness status (never ready unless ARTIFACT_SUCCESS)", () => {
  const expected: Record<RunPhase, ReadinessStatus> = {
    PENDING: "running",
    ADMITTED: "running",
    RUNNING: "running",
    TRAINING_SUCCEEDED: "running",
    EVALUATING: "running",
    PROMOTING: "running",
    ARTIFACT_SUCCESS: "ready",
    FAILED: "training_failed",
    CANCEL_REQUESTED: "running",
    CANCELLED: "cancelled",
    RECOVERY_PENDING: "running",
  };
  for (const phase of RUN_PHASES) assert.equal(memberReadiness(facts({ phase, attempts: 2 })).status, expected[phase], phase);
});

test("not submitted: no journal record, or planned and never launched", () => {
  assert.equal(memberReadiness(facts({ phase: null, attempts: 0 })).status, "not_submitted");
  const pending = memberReadiness(facts({ phase: "PENDING", attempts: 0 }));
  assert.equal(pending.status, "not_submitted");
  assert.equal(pending.reason, "planned, never launched");
});

test("a failed run's reason and message are the readiness reason", () => {
  const r = memberReadiness(facts({ phase: "FAILED", failureReason: "oom_killed", failureMessage: "exit 137" }));
  assert.equal(r.status, "training_failed");
  assert.equal(r.reason, "oom_killed: exit 137");
  assert.equal(r.bundleDir, null);
});

test("bundle facts: none or absent -> missing_artifact_dir, bad -> bad_artifact_manifest with the problems, no embedding -> no_embeddings", () => {
  assert.equal(memberReadiness(facts({ bundle: { kind: "none" } })).status, "missing_artifact_dir");
  const absent = memberReadiness(facts({ bundle: { kind: "absent", dir: "/gone" } }));
  assert.equal(absent.status, "missing_artifact_dir");
  assert.match(absent.reason ?? "", /\/gone does not exist/);
  const bad = memberReadiness(facts({ bundle: { kind: "bad", dir: "/b", problems: ["embeddings.h5: sha256 differs from the manifest (the file was changed)"] } }));
  assert.equal(bad.status, "bad_artifact_manifest");
  assert.match(bad.reason ?? "", /sha256 differs/);
  assert.equal(bad.manifestSha256, null, "a bundle that does not verify is never traced as evaluated");
  const noEmbedding = memberReadiness(facts({ bundle: { ...verified, embeddingSha256: null } }));
  assert.equal(noEmbedding.status, "no_embeddings");
});

test("dataset facts come before the bundle: absent -> missing_dataset, unsupported -> unsupported_dataset with why", () => {
  assert.equal(memberReadiness(facts({ dataset: { kind: "absent", path: "/x.h5mu" }, bundle: { kind: "none" } })).status, "missing_dataset");
  const unsupported = memberReadiness(facts({ dataset: { kind: "unsupported", path: "/x.h5ad", why: "not an .h5mu file" } }));
  assert.equal(unsupported.status, "unsupported_dataset");
  assert.equal(unsupported.reason, "not an .h5mu file");
});

test("every not-ready status maps to the contract's evaluation status", () => {
  const mapped = Object.fromEntries(READINESS_STATUSES.filter((s) => s !== "ready").map((s) => [s, evaluationStatusOf(s as Exclude<ReadinessStatus, "ready">)]));
  assert.deepEqual(mapped, {
    running: "not_ready",
    training_failed: "training_failed",
    cancelled: "training_failed",
    not_submitted: "not_ready",
    missing_artifact_dir: "bad_manifest",
    bad_artifact_manifest: "bad_manifest",
    no_embeddings: "no_embeddings",
    missing_dataset: "missing_dataset",
    unsupported_dataset: "unsupported_dataset",
  });
});
