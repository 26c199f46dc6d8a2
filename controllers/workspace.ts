/**
 * Host-side preparation of an attempt's workspace (the container's /output): job_spec.json first,
 * and orchestrator.log, the host's per-run reasoning, appended with fsync.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { RunSpec } from "../src/domain/resources.js";

export const JOB_SPEC_FILE = "job_spec.json";
export const ORCHESTRATOR_LOG = "orchestrator.log";
export const CONTAINER_LOG = "container.log";

export function jobSpecFor(spec: RunSpec, ids: { runId: string; attemptId: string }): Record<string, unknown> {
  return {
    seed: spec.seed,
    dataset_id: null,
    dataset_name: spec.dataset,
    model_name: spec.model,
    model_version: spec.modelVersion,
    hyperparameters: spec.params,
    batch_key: spec.batchKey ?? null,
    label_key: spec.labelKey ?? null,
    preprocessing: spec.preprocessing,
    contract_version: spec.contractVersion,
    run_settings: {
      experiment_name: spec.experimentName,
      tags: { logical_run_id: ids.runId, attempt_id: ids.attemptId, benchmark: spec.benchmark, job: spec.jobName },
    },
  };
}

export function prepareWorkspace(workspaceDir: string, spec: RunSpec, ids: { runId: string; attemptId: string }): void {
  mkdirSync(workspaceDir, { recursive: true, mode: 0o777 });
  const file = join(workspaceDir, JOB_SPEC_FILE);
  const fd = openSync(file, "w");
  try {
    writeSync(fd, `${JSON.stringify(jobSpecFor(spec, ids), null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function orchestratorLog(workspaceDir: string, message: string, clock: () => Date = () => new Date()): void {
  try {
    mkdirSync(workspaceDir, { recursive: true });
    appendFileSync(join(workspaceDir, ORCHESTRATOR_LOG), `${clock().toISOString()} ${message}\n`);
  } catch {
    // the orchestrator log is evidence, never a reason to fail a run
  }
}

export function writeTextFile(path: string, text: string): void {
  writeFileSync(path, text);
}
