/**
 * The one writer of a state root's journal: append (fsynced) first, then project into the index, then tell the
 * subscribers (the run store, the Benchmark view, status sinks, the API's SSE, the MLflow projector) in the order
 * they subscribed. A projection or a subscriber that fails never fails the append: the journal is the truth and
 * everything after it can be rebuilt from it.
 */
import { Errors } from "../domain/errors.js";
import { storageProblem } from "../domain/storage-errors.js";
import type { Journal } from "./journal.js";
import type { JournalRecord, NewJournalRecord } from "./records.js";

/** The SQLite index, as the writer sees it. */
export interface JournalProjection {
  apply(records: readonly JournalRecord[]): void;
  readonly lastAppliedSeq: number;
}

export type JournalSubscriber = (records: readonly JournalRecord[]) => void;

export class JournalWriter {
  private readonly subscribers: JournalSubscriber[] = [];
  /** Records the index failed to take (a full disk, a locked file): projected first with the next batch. */
  private unprojected: JournalRecord[] = [];

  constructor(private readonly journal: Journal, private readonly projection?: JournalProjection, private readonly onSubscriberError?: (error: unknown) => void) {}

  get lastSeq(): number {
    return this.journal.lastSeq;
  }

  get projectedSeq(): number {
    return this.projection?.lastAppliedSeq ?? 0;
  }

  /** Appends and fsyncs the batch, then projects and notifies; returns the records as written. */
  append(records: readonly NewJournalRecord[]): JournalRecord[] {
    if (records.length === 0) return [];
    let written: JournalRecord[];
    try {
      written = this.journal.append([...records]);
    } catch (error) {
      throw Errors.journalUnwritable(`the journal cannot be written: ${storageProblem(error)} (${(error as Error).message}); nothing was recorded or done`, { cause: error });
    }
    this.project(written);
    for (const subscriber of [...this.subscribers]) {
      try {
        subscriber(written);
      } catch (error) {
        this.onSubscriberError?.(error);
      }
    }
    return written;
  }

  /** Into the index, after whatever it could not take before, so it never skips a record (no drift). */
  private project(written: readonly JournalRecord[]): void {
    if (!this.projection) return;
    const batch = [...this.unprojected, ...written];
    try {
      this.projection.apply(batch);
      this.unprojected = [];
    } catch {
      // The index is a projection: never fail a run for it; what it missed goes again with the next batch.
      let applied = 0;
      try {
        applied = this.projection.lastAppliedSeq;
      } catch {
        applied = 0;
      }
      this.unprojected = batch.filter((r) => r.seq > applied);
    }
  }

  /**
   * Called with every batch appended from now on; returns the unsubscribe function. `history` (the journal as read
   * when the session opened) is handed over first, so a projection is built by the same path that keeps it current;
   * a failure there is the caller's, unlike a failure on a later append.
   */
  subscribe(subscriber: JournalSubscriber, history: readonly JournalRecord[] = []): () => void {
    if (history.length > 0) subscriber(history);
    this.subscribers.push(subscriber);
    return () => {
      const at = this.subscribers.indexOf(subscriber);
      if (at >= 0) this.subscribers.splice(at, 1);
    };
  }
}
