/**
 * Applies run machine events: the pure transition, journaled (fsynced) before anything acts on it, with the
 * broker's ledger entry when the run takes or gives back a reservation (same batch, so the two never disagree), then the
 * admission line's bookkeeping and the listeners. A stale event for a phase already left is a no-op
 * (level-triggered reconciles may decide the same thing twice).
 */
import type { RunPhase } from "../../src/domain/run-states.js";
import type { JournalWriter } from "../../src/journal/journal-writer.js";
import type { NewJournalRecord } from "../../src/journal/records.js";
import type { RunRecord } from "../../src/journal/run-records.js";
import { applyRunEvent, canApply, type RunEvent } from "../../reconcilers/run-machine.js";
import { holdsReservation } from "../../reconcilers/run-reconciler.js";
import type { AdmissionLine } from "./admission.js";

export class RunTransitions {
  constructor(
    private readonly writer: JournalWriter,
    private readonly admission: AdmissionLine,
    /** Whether this controller reconciles the run (only those return to the admission line after a rerun). */
    private readonly isTracked: (runId: string) => boolean,
    private readonly onTransition?: (run: RunRecord, from: RunPhase, to: RunPhase) => void,
  ) {}

  apply(record: RunRecord, event: RunEvent): void {
    if (!canApply(record.snapshot, event)) return;
    const held = holdsReservation(record.snapshot);
    const result = applyRunEvent(record.snapshot, event);
    const holds = holdsReservation(result.snapshot);
    const attemptId = result.snapshot.context.attemptId;
    const ledger: NewJournalRecord[] = [];
    if (!held && holds) ledger.push({ type: "RESERVATION_GRANTED", runId: record.runId, ...(attemptId ? { attemptId } : {}), ...this.admission.demandFor(record) });
    if (held && !holds) ledger.push({ type: "RESERVATION_RELEASED", runId: record.runId, ...(attemptId ? { attemptId } : {}), phase: result.to });
    this.writer.append([
      {
        type: "RUN_TRANSITION",
        runId: record.runId,
        attemptId: result.snapshot.context.attemptId,
        attempt: result.snapshot.context.attempt,
        event: event.type,
        from: result.from,
        to: result.to,
        reason: result.snapshot.context.reason,
        message: result.snapshot.context.message,
        snapshot: result.snapshot,
      },
      ...ledger,
    ]);
    if (result.from === "PENDING" && result.to !== "PENDING") this.admission.leave(record.runId);
    if (result.to === "PENDING" && result.from !== "PENDING" && this.isTracked(record.runId)) this.admission.enqueue(record.runId);
    if (held && !holds) this.admission.wakeHead();
    this.onTransition?.(record, result.from, result.to);
  }
}
