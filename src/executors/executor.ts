/**
 * One interface, several engines (Docker, local process, Slurm, Kubernetes). Every executor passes the
 * shared conformance suite in test/contracts/executor-contract.ts.
 */
import type { Capacity } from "../domain/capacity.js";
import type { Backend, ImageIdentity, SlurmSettings } from "../domain/resources.js";
import type { FailureReason } from "../domain/run-states.js";
import type { Mount } from "./mounts.js";

/** The model an attempt runs, as the catalog knows it (executors that run no images find its environment by it). */
export interface ModelRef {
  slug: string;
  version?: string;
  /** The model's directory in the catalog (its code, for engines that run it from the host). */
  directory?: string;
}

/** The local process executor's settings: what to run in the model's own environment. */
export interface LocalProcessSettings {
  /** The model's runtime.entrypoint, e.g. ["python3", "container/run.py"], relative to its directory. */
  entrypoint: string[];
}

/**
 * Per-backend launch settings, one key per engine that needs more than the generic request. The controller passes
 * what the run's spec holds; each executor reads its own key and ignores the others.
 */
export interface LaunchSettings {
  /** The run's Slurm settings (partition, account, ...), merged by the executor over its defaults. */
  slurm?: SlurmSettings;
  local?: LocalProcessSettings;
}

export interface LaunchRequest {
  attemptId: string;
  runId: string;
  /** Identifies the state root that owns the attempt; stored as a label so that list-owned finds only ours. */
  ownerId: string;
  image: string;
  /**
   * What the attempt sees of the host: the input read-only and the workspace (job_spec.json is already in it)
   * read-write, at the contract paths (see contractMounts).
   */
  mounts: Mount[];
  env: Record<string, string>;
  memLimitBytes?: number;
  cpus?: number;
  gpu: boolean;
  network?: boolean;
  model?: ModelRef;
  timeoutSeconds?: number;
  settings?: LaunchSettings;
}

/** What the broker may be told about a run of this process: --max-concurrent and globals.host_ram_gb. */
export interface CapacityLimits {
  maxConcurrent?: number;
  hostRamGb?: number;
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
  resolveImage(reference: string, model?: ModelRef): Promise<ImageIdentity | null>;
  /** Engines that pull from registries (Docker): fetch `reference` (repo@digest for an exact image). */
  pullImage?(reference: string): Promise<void>;
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
  /**
   * What the broker may hand out on this engine at once: an engine on this host offers the host's CPUs, memory
   * (capped by host_ram_gb) and GPUs; a cluster scheduler offers unbounded resources and only caps the attempts
   * in flight. ExecutorRegistry.capacityFor combines them for a set of backends.
   */
  capacity(limits?: CapacityLimits): Capacity;
  /** Optional: stop the engine watches this executor keeps open (a Kubernetes watch), so that the process may exit. */
  close?(): Promise<void>;
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
