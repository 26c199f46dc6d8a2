/**
 * The writer's index connection, kept on the file that readers open: when multiverse_state.db is deleted or
 * replaced while the controller runs, the next projection notices (the path no longer names the file it has open)
 * and reopens the path, catching the new file up from the journal, so readers never stay on a stale or empty copy.
 * Readers (the status API) reopen read-only the same way and see the rebuilt file.
 */
import { statSync } from "node:fs";
import type { JournalRecord } from "../journal/records.js";
import type { JournalProjection } from "../journal/journal-writer.js";
import { RunIndex } from "./database.js";

function identityOf(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return "missing";
  }
}

export class ReopeningIndex implements JournalProjection {
  private index: RunIndex;
  private identity: string;

  /** `journal` is given to the writer (it catches a new file up); readers open read-only and only follow the path. */
  constructor(private readonly file: string, private readonly journal?: () => readonly JournalRecord[], private readonly onReopen?: (why: string) => void) {
    this.index = this.open();
    this.identity = identityOf(file);
  }

  static reader(file: string): ReopeningIndex {
    return new ReopeningIndex(file);
  }

  private open(): RunIndex {
    return this.journal ? RunIndex.open(this.file) : RunIndex.openReadOnly(this.file);
  }

  /** The connection now (it changes when the file was replaced). */
  get current(): RunIndex {
    this.ensureCurrent();
    return this.index;
  }

  get lastAppliedSeq(): number {
    return this.index.lastAppliedSeq;
  }

  apply(records: readonly JournalRecord[]): void {
    this.ensureCurrent();
    this.index.apply(records);
  }

  close(): void {
    this.index.close();
  }

  private ensureCurrent(): void {
    const now = identityOf(this.file);
    if (now === this.identity) return;
    if (!this.journal && now === "missing") return; // a reader keeps its file until the writer makes the new one
    const why = now === "missing" ? `${this.file} was deleted` : `${this.file} was replaced`;
    try {
      this.index.close();
    } catch {
      // the old connection's file is gone; nothing to flush
    }
    this.index = this.open();
    this.identity = identityOf(this.file);
    if (!this.journal) return;
    const missing = this.journal().filter((r) => r.seq > this.index.lastAppliedSeq);
    if (missing.length > 0) this.index.apply(missing);
    this.onReopen?.(`${why}: reopened and rebuilt from the journal (${missing.length} records)`);
  }
}
