/**
 * The append-only journal: JSONL segments (`<stateRoot>/journal/segment-000001.jsonl`, ...), one record per
 * line with a sequence number and a checksum (codec.ts). Appends are synchronous and a whole batch is one
 * write and one fsync (group commit): a record is durable before the side effect it announces. A torn last
 * line (crash mid-write) is reported and ignored by readers, and cut off (with a copy kept) by the writer.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { JournalRecord, NewJournalRecord } from "./records.js";
import { encodeLine } from "./codec.js";
import { outputRootOf } from "../domain/output-root.js";
import { resolvedRecord, storedRecord } from "./stored-paths.js";
import { checkSequence, fsyncPath, journalDir, listSegments, scanSegment, segmentBaseName, segmentFileName, type Segment } from "./segments.js";

export { checksum, encodeLine } from "./codec.js";
export { journalDir } from "./segments.js";

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface TornTail {
  file: string;
  offset: number;
  reason: string;
}

export interface JournalReadResult {
  records: JournalRecord[];
  tornTail?: TornTail;
}

export interface JournalOptions {
  clock?: () => Date;
  /** Rotate to a new segment once the current one holds at least this many bytes (default 64 MiB). */
  segmentBytes?: number;
}

interface ScanResult {
  records: JournalRecord[];
  lastSeq: number;
  last?: Segment & { goodBytes: number; totalBytes: number };
  tornTail?: TornTail;
}

/** `base`: the output root the records' paths are stored relative to (stored-paths.ts); records come back absolute. */
function scanJournal(dir: string, keepRecords: boolean, base?: string): ScanResult {
  const segments = listSegments(dir);
  const records: JournalRecord[] = [];
  let lastSeq = 0;
  let tornTail: TornTail | undefined;
  let last: ScanResult["last"];
  segments.forEach((segment, i) => {
    const isLast = i === segments.length - 1;
    const scan = scanSegment(segment.file, isLast);
    lastSeq = checkSequence(scan.records, lastSeq, segment.file);
    if (keepRecords) for (const record of scan.records) records.push(base === undefined ? record : resolvedRecord(base, record));
    if (scan.torn) tornTail = { file: segment.file, offset: scan.torn.offset, reason: scan.torn.reason };
    if (isLast) last = { ...segment, goodBytes: scan.goodBytes, totalBytes: scan.totalBytes };
  });
  return { records, lastSeq, ...(last ? { last } : {}), ...(tornTail ? { tornTail } : {}) };
}

/** All intact records in seq order. A missing journal directory reads as no records. */
export function readJournal(stateRoot: string): JournalReadResult {
  const { records, tornTail } = scanJournal(journalDir(stateRoot), true, outputRootOf(stateRoot));
  return tornTail ? { records, tornTail } : { records };
}

export class Journal {
  private fd: number;
  private segment: number;
  private segmentSize: number;
  private seq: number;
  private closed = false;
  /** Set when a write or fsync failed: the file's state is unknown, so the writer must reopen (which rescans). */
  private failure: unknown;

  private constructor(
    private readonly dir: string,
    private readonly base: string,
    private readonly clock: () => Date,
    private readonly segmentBytes: number,
    state: { fd: number; segment: number; size: number; seq: number },
  ) {
    this.fd = state.fd;
    this.segment = state.segment;
    this.segmentSize = state.size;
    this.seq = state.seq;
  }

  static open(stateRoot: string, options: JournalOptions = {}): Journal {
    const dir = journalDir(stateRoot);
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      fsyncPath(dirname(dir));
    }
    const scan = scanJournal(dir, false);
    let size = 0;
    if (scan.last && scan.tornTail) {
      cutTornTail(dir, scan.last);
      size = scan.last.goodBytes;
    } else if (scan.last) {
      size = scan.last.totalBytes;
    }
    const segment = scan.last?.n ?? 1;
    const fd = openSync(join(dir, segmentFileName(segment)), "a");
    if (!scan.last) fsyncPath(dir);
    return new Journal(dir, outputRootOf(stateRoot), options.clock ?? (() => new Date()), options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, { fd, segment, size, seq: scan.lastSeq });
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Assigns seq and ts, writes the batch with one write and one fsync, and returns the records as written. */
  append(records: NewJournalRecord[]): JournalRecord[] {
    if (this.closed) throw new Error("journal is closed");
    if (this.failure !== undefined) throw new Error("an earlier journal write failed; reopen the journal", { cause: this.failure });
    if (records.length === 0) return [];
    if (this.segmentSize >= this.segmentBytes) this.rotate();
    const ts = this.clock().toISOString();
    const written: JournalRecord[] = [];
    let text = "";
    let seq = this.seq;
    for (const record of records) {
      seq += 1;
      // seq and ts come first in the line and cannot be overridden by stray fields of the input object.
      const full = Object.assign({ seq, ts }, record, { seq, ts }) as JournalRecord;
      written.push(full);
      text += encodeLine(storedRecord(this.base, full));
    }
    this.writeDurably(Buffer.from(text, "utf8"));
    this.seq = seq;
    return written;
  }

  appendOne(record: NewJournalRecord): JournalRecord {
    return this.append([record])[0]!;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private writeDurably(data: Buffer): void {
    try {
      let offset = 0;
      while (offset < data.length) offset += writeSync(this.fd, data, offset);
      fsyncSync(this.fd);
      this.segmentSize += data.length;
    } catch (error) {
      // Never leave half a batch for the next append to glue onto; if even that fails, refuse further appends.
      try {
        ftruncateSync(this.fd, this.segmentSize);
      } catch {
        this.failure = error;
      }
      if (isFsyncFailure(error)) this.failure = error;
      throw error;
    }
  }

  private rotate(): void {
    const next = this.segment + 1;
    const fd = openSync(join(this.dir, segmentFileName(next)), "a");
    fsyncPath(this.dir);
    closeSync(this.fd);
    this.fd = fd;
    this.segment = next;
    this.segmentSize = 0;
  }
}

/** After a failed fsync the page cache may have dropped the data (Linux): the file cannot be trusted. */
function isFsyncFailure(error: unknown): boolean {
  return error instanceof Error && "syscall" in error && (error as NodeJS.ErrnoException).syscall === "fsync";
}

/** Keeps the torn bytes in `torn-<segment>-<offset>.bin` (durably), then truncates the segment to its good prefix. */
function cutTornTail(dir: string, last: Segment & { goodBytes: number }): void {
  const torn = readFileSync(last.file).subarray(last.goodBytes);
  const evidence = uniquePath(join(dir, `torn-${segmentBaseName(last.n)}-${last.goodBytes}`), ".bin");
  const out = openSync(evidence, "wx");
  try {
    let offset = 0;
    while (offset < torn.length) offset += writeSync(out, torn, offset);
    fsyncSync(out);
  } finally {
    closeSync(out);
  }
  fsyncPath(dir);
  const fd = openSync(last.file, "r+");
  try {
    ftruncateSync(fd, last.goodBytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function uniquePath(base: string, extension: string): string {
  if (!existsSync(base + extension)) return base + extension;
  for (let i = 1; ; i += 1) if (!existsSync(`${base}.${i}${extension}`)) return `${base}.${i}${extension}`;
}

/** Makes a directory entry (a created or renamed file) durable. */
export function fsyncDir(dir: string): void {
  fsyncPath(dir);
}
