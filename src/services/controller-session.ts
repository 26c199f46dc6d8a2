/**
 * Opens the machinery of one state root for a single writer: journal, index (caught up with the journal) and a
 * RunController loaded with the journal's history. Shared by `multiverse run` and `multiverse recover`.
 */
import type { Backend } from "../domain/resources.js";
import type { RunPhase } from "../domain/run-states.js";
import type { Executor } from "../executors/executor.js";
import type { StoreLayout } from "../artifacts/layout.js";
import { Journal, readJournal } from "../journal/journal.js";
import type { JournalRecord } from "../journal/records.js";
import { RunIndex, indexPath } from "../index/run-index.js";
import { ownerIdOf } from "../state/state-root.js";
import type { Capacity } from "../domain/capacity.js";
import { RunController } from "../../controllers/run-controller.js";
import type { RunRecord } from "../journal/run-records.js";
import { TrackingProjector } from "../../controllers/tracking-projector.js";
import { orchestratorLog } from "../../controllers/workspace.js";
import { DockerStatsSampler } from "../tracking/system-metrics.js";

export interface ControllerSessionOptions {
  stateRoot: string;
  layout: StoreLayout;
  executors: Partial<Record<Backend, Executor>>;
  capacity: Capacity;
  pollIntervalMs?: number;
  /** Seconds between the polite stop and the kill when an attempt is cancelled (default 10). */
  graceSeconds?: number;
  logLevel?: string;
  onTransition?: (run: RunRecord, from: RunPhase, to: RunPhase) => void;
  onError?: (run: RunRecord, error: unknown) => void;
  onAppend?: (records: readonly JournalRecord[]) => void;
}

export interface ControllerSession {
  controller: RunController;
  index: RunIndex;
  journal: Journal;
  /** The journal's records when the session opened (for other controllers to load). */
  history: readonly JournalRecord[];
  /** The MLflow projection (sweeps open their studies' parent runs through it). */
  tracking: TrackingProjector;
  close(): void;
}

/** The caller must hold the state root's lock. */
export function openControllerSession(options: ControllerSessionOptions): ControllerSession {
  const journal = Journal.open(options.stateRoot);
  const index = RunIndex.open(indexPath(options.stateRoot));
  try {
    const history = readJournal(options.stateRoot);
    const missing = history.records.filter((r) => r.seq > index.lastAppliedSeq);
    if (missing.length > 0) index.apply(missing);
    const appendTo: { controller?: RunController } = {};
    const tracking = new TrackingProjector({
      append: (records) => appendTo.controller?.append(records),
      layout: options.layout,
      log: (run, attemptId, message) => orchestratorLog(options.layout.workspaceDir(attemptId), `[${run.name}] ${message}`),
      samplers: options.executors.docker ? { docker: new DockerStatsSampler() } : {},
    });
    tracking.observe(history.records);
    const controller = new RunController(
      {
        journal,
        index,
        layout: options.layout,
        ownerId: ownerIdOf(options.stateRoot),
        executors: options.executors,
        onTransition: options.onTransition,
        onError: options.onError,
        onAppend: (records) => {
          tracking.observe(records);
          options.onAppend?.(records);
        },
        tracking,
      },
      {
        capacity: options.capacity,
        pollIntervalMs: options.pollIntervalMs ?? 2000,
        graceSeconds: options.graceSeconds ?? 10,
        logLevel: options.logLevel ?? process.env.MULTIVERSE_LOG_LEVEL ?? "INFO",
      },
    );
    controller.load(history.records);
    appendTo.controller = controller;
    return {
      controller,
      index,
      journal,
      history: history.records,
      tracking,
      close: () => {
        tracking.close();
        index.close();
        journal.close();
      },
    };
  } catch (error) {
    index.close();
    journal.close();
    throw error;
  }
}
