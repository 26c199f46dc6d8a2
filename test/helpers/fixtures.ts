/** Small builders shared by unit tests. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunSpec } from "../../src/domain/resources.js";
import type { NewJournalRecord } from "../../src/journal/records.js";
import { RUN_MACHINE_VERSION } from "../../reconcilers/run-machine.js";
import type { RunPhase } from "../../src/domain/run-states.js";

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `mv-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function runSpec(overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    benchmark: "bench",
    jobName: "job",
    dataset: "tiny",
    datasetPath: "/data/tiny.h5mu",
    datasetFingerprint: "sha256:" + "a".repeat(64),
    nObs: 10,
    model: "pca",
    modelVersion: "1.0.0",
    contractVersion: "1",
    image: { reference: "multiverse-pca:1.0.0", kind: "unverified_local", digest: "sha256:" + "b".repeat(64) },
    params: { n_components: 5 },
    paramsHash: "c".repeat(16),
    seed: 0,
    preprocessing: {},
    backend: "docker",
    gpu: false,
    validators: "basic",
    strict: false,
    experimentName: "bench",
    layout: "store",
    retries: 0,
    ...overrides,
  };
}

export function planned(runId: string, overrides: Partial<RunSpec> = {}): NewJournalRecord {
  return { type: "RUN_PLANNED", runId, name: `job-s0-${runId.slice(0, 8)}`, spec: runSpec(overrides) };
}

export function transition(runId: string, from: RunPhase, to: RunPhase, event: string, context: { attempt?: number; attemptId?: string; artifactDir?: string; reason?: "nonzero_exit" } = {}): NewJournalRecord {
  const ctx = { attempt: context.attempt ?? 1, ...(context.attemptId ? { attemptId: context.attemptId } : {}), ...(context.artifactDir ? { artifactDir: context.artifactDir } : {}), ...(context.reason ? { reason: context.reason } : {}) };
  return {
    type: "RUN_TRANSITION",
    runId,
    attemptId: context.attemptId,
    attempt: ctx.attempt,
    event,
    from,
    to,
    reason: context.reason,
    snapshot: { machineVersion: RUN_MACHINE_VERSION, value: to, context: ctx },
  };
}

/** A run_manifest.yaml over one small dataset called `tiny` (batch and label columns), with the given jobs. */
export function tinyManifestYaml(options: { experiment: string; dataset: string; jobs: string; globals?: string }): string {
  return `globals:
  experiment_name: ${options.experiment}
${options.globals ?? ""}datasets:
  tiny:
    path: ${options.dataset}
    batch_key: batch
    label_key: label
jobs:
${options.jobs}`;
}
