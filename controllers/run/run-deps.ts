/** What the run controller's parts share: the journal writer, the store, the layout, executors, options and hooks. */
import type { Backend } from "../../src/domain/resources.js";
import type { Capacity } from "../../src/domain/capacity.js";
import type { RunPhase } from "../../src/domain/run-states.js";
import type { Executor } from "../../src/executors/executor.js";
import type { JournalWriter } from "../../src/journal/journal-writer.js";
import type { RunRecord } from "../../src/journal/run-records.js";
import type { StoreLayout } from "../../src/artifacts/layout.js";
import type { TrackingHooks } from "../tracking-projector.js";
import type { RunStore } from "./run-store.js";

/** The executors of a state root, one per backend, created on first use. */
export interface RunExecutors {
  get(backend: Backend): Executor;
  /** Executors created so far (those whose engines may hold attempts). */
  created(): Executor[];
}

export interface RunControllerOptions {
  /** What the broker may hand out: CPUs, memory, GPUs and concurrent attempts. */
  capacity: Capacity;
  pollIntervalMs: number;
  graceSeconds: number;
  logLevel: string;
  clock?: () => Date;
  /**
   * `multiverse run`: a journal that cannot be written ends the wait for every run with that error (nothing can be
   * recorded, so nothing may act). The long-running controller keeps retrying with backoff instead.
   */
  failOnUnwritableJournal?: boolean;
}

export interface RunControllerDeps {
  writer: JournalWriter;
  store: RunStore;
  layout: StoreLayout;
  ownerId: string;
  executors: RunExecutors;
  onTransition?: (run: RunRecord, from: RunPhase, to: RunPhase) => void;
  onError?: (run: RunRecord, error: unknown) => void;
  /** MLflow projection of each attempt (controllers/tracking-projector.ts); never decides a run's phase. */
  tracking?: TrackingHooks;
}
