/**
 * One interface, several engines (Docker, local process, Slurm, Kubernetes). Every executor passes the
 * shared conformance suite in test/integration/executor-contract.ts.
 */
import type { Backend, ImageIdentity, SlurmSettings } from "../domain/resources.js";
import type { FailureReason } from "../domain/run-states.js";

export interface LaunchRequest {
  attemptId: string;
  runId: string;
  /** Identifies the state root that owns the attempt; stored as a label so that list-owned finds only ours. */
  ownerId: string;
  image: string;
  /** Host path of the input .h5mu, mounted read-only at /input/data.h5mu. */
  datasetPath: string;
  /** Host path of the attempt's workspace, mounted read-write at /output. job_spec.json is already in it. */
  workspaceDir: string;
  env: Record<string, string>;
  memLimitBytes?: number;
  cpus?: number;
  gpu: boolean;
  network?: boolean;
  /** For the local executor: the model's entrypoint, directory, slug and version (its environment). */
  entrypoint?: string[];
  modelDirectory?: string;
  modelSlug?: string;
  modelVersion?: string;
  timeoutSeconds?: number;
  /** For the Slurm executor: the run's settings (partition, account, ...) over the executor's defaults. */
  slurm?: SlurmSettings;
}

export type AttemptState = "created" | "running" | "exited" | "missing";

export interface AttemptObservation {
  attemptId: string;
  state: AttemptState;
  exitCode?: number | null;
  oomKilled?: boolean;
  startedAt?: string;
  finishedAt?: string;
  /** Engine-side error text when the engine reports one (e.g. a start failure). */
  error?: string;
  /** The engine's own verdict on an exited attempt (a batch scheduler's TIMEOUT, NODE_FAIL, ...), when it has one. */
  failure?: { reason: FailureReason; message: string };
  labels?: Record<string, string>;
}

export type LaunchFailureKind = "image_missing" | "launch_error" | "engine_unavailable";

export class LaunchError extends Error {
  constructor(readonly kind: LaunchFailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LaunchError";
  }
}

export interface Executor {
  readonly backend: Backend;
  /**
   * Resolve an image reference to its identity; null when the image is not present locally. Executors that run
   * no images (the local executor) identify the model's environment instead, from `model`.
   */
  resolveImage(reference: string, model?: { slug: string; version?: string; directory?: string }): Promise<ImageIdentity | null>;
  /** Create and start the attempt. Idempotent per attemptId: a second call for a live attempt does nothing. */
  launch(request: LaunchRequest): Promise<void>;
  observe(attemptId: string): Promise<AttemptObservation>;
  /** Stop the attempt: a grace period, then kill. Idempotent; a missing attempt is not an error. */
  cancel(attemptId: string, graceSeconds: number): Promise<void>;
  /** Write the attempt's captured stdout/stderr to `destinationFile` (container.log). */
  collectLogs(attemptId: string, destinationFile: string): Promise<void>;
  /** Every attempt this owner has in the engine, found by label, for adoption after a restart. */
  listOwned(ownerId: string): Promise<AttemptObservation[]>;
  /** Remove engine-side leftovers of a finished attempt (the workspace is never touched). */
  release(attemptId: string): Promise<void>;
  /**
   * Optional watch: resolves when the attempt is no longer running (at once when it is not). The controller
   * requeues the run when it resolves; executors without a watch are polled.
   */
  waitForExit?(attemptId: string): Promise<void>;
}

export const LABELS = {
  managed: "io.multiverse.managed",
  owner: "io.multiverse.owner",
  attempt: "io.multiverse.attempt-id",
  run: "io.multiverse.run-id",
} as const;

/** Deterministic engine-side name of an attempt. */
export function attemptHandle(attemptId: string): string {
  return `mv-${attemptId}`;
}
