/**
 * Opens the machinery of one state root for a single writer: the journal and its one writer (which projects into
 * the index, caught up with the journal first), the run store replayed from the journal, the MLflow projector and
 * the Run controller. Shared by `multiverse run`, `controller`, `cancel` and `recover`.
 */
import type { Capacity } from "../domain/capacity.js";
import type { RunPhase } from "../domain/run-states.js";
import type { StoreLayout } from "../artifacts/layout.js";
import { Journal, readJournal } from "../journal/journal.js";
import { JournalWriter } from "../journal/journal-writer.js";
import type { JournalRecord } from "../journal/records.js";
import type { RunRecord } from "../journal/run-records.js";
import type { RunIndex } from "../index/run-index.js";
import { indexPath } from "../index/run-index.js";
import { ReopeningIndex } from "../index/reopening-index.js";
import { ownerIdOf } from "../state/state-root.js";
import { RunController } from "../../controllers/run/run-controller.js";
import { RunStore } from "../../controllers/run/run-store.js";
import { TrackingProjector } from "../../controllers/tracking-projector.js";
import { orchestratorLog } from "../../controllers/workspace.js";
import { DockerStatsSampler } from "../tracking/system-metrics.js";
import type { ExecutorRegistry } from "../executors/registry.js";

export interface ControllerSessionOptions {
  stateRoot: string;
  layout: StoreLayout;
  /** The state root's executors, one per backend, made on first use (recovery may meet any backend). */
  executors: ExecutorRegistry;
  capacity: Capacity;
  pollIntervalMs?: number;
  /** Seconds between the polite stop and the kill when an attempt is cancelled (default 10). */
  graceSeconds?: number;
  logLevel?: string;
  /** `multiverse run`: give up when the journal cannot be written (the controller keeps retrying). */
  failOnUnwritableJournal?: boolean;
  /** The index file was deleted or replaced under the session and was rebuilt (logged by the controller). */
  onIndexReopened?: (message: string) => void;
  onTransition?: (run: RunRecord, from: RunPhase, to: RunPhase) => void;
  onError?: (run: RunRecord, error: unknown) => void;
}

export interface ControllerSession {
  controller: RunController;
  writer: JournalWriter;
  store: RunStore;
  index: RunIndex;
  journal: Journal;
  executors: ExecutorRegistry;
  /** The journal's records when the session opened (for other controllers to load). */
  history: readonly JournalRecord[];
  /** The MLflow projection (sweeps open their studies' parent runs through it). */
  tracking: TrackingProjector;
  close(): void;
}

/** The caller must hold the state root's lock. */
export function openControllerSession(options: ControllerSessionOptions): ControllerSession {
  const journal = Journal.open(options.stateRoot);
  const projection = new ReopeningIndex(indexPath(options.stateRoot), () => readJournal(options.stateRoot).records, options.onIndexReopened);
  try {
    const history = readJournal(options.stateRoot);
    const missing = history.records.filter((r) => r.seq > projection.lastAppliedSeq);
    if (missing.length > 0) projection.apply(missing);
    const writer = new JournalWriter(journal, projection);
    const store = new RunStore();
    writer.subscribe((records) => store.observe(records), history.records);
    const executors = options.executors;
    const tracking = new TrackingProjector({
      append: (records) => writer.append(records),
      layout: options.layout,
      log: (run, attemptId, message) => orchestratorLog(options.layout.workspaceDir(attemptId), `[${run.name}] ${message}`),
      samplers: executors.executors.docker ? { docker: new DockerStatsSampler() } : {},
    });
    writer.subscribe((records) => tracking.observe(records), history.records);
    const controller = new RunController(
      {
        writer,
        store,
        layout: options.layout,
        ownerId: ownerIdOf(options.stateRoot),
        executors,
        onTransition: options.onTransition,
        onError: options.onError,
        tracking,
      },
      {
        capacity: options.capacity,
        pollIntervalMs: options.pollIntervalMs ?? 2000,
        graceSeconds: options.graceSeconds ?? 10,
        logLevel: options.logLevel ?? process.env.MULTIVERSE_LOG_LEVEL ?? "INFO",
        ...(options.failOnUnwritableJournal ? { failOnUnwritableJournal: true } : {}),
      },
    );
    return {
      controller,
      writer,
      store,
      get index() {
        return projection.current;
      },
      journal,
      executors,
      history: history.records,
      tracking,
      close: () => {
        tracking.close();
        projection.close();
        journal.close();
      },
    };
  } catch (error) {
    projection.close();
    journal.close();
    throw error;
  }
}
