/**
 * The append-only journal: JSONL segments, one record per line with a sequence number and a checksum.
 * Appends are synchronous and fsynced per batch (group commit): the record is durable before the side
 * effect it announces. A torn last line (crash mid-write) is reported and ignored, never silently accepted.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Errors } from "../domain/errors.js";
import { sha256Hex } from "../identity/hash.js";
import type { JournalRecord, NewJournalRecord } from "./records.js";

const SEGMENT_PATTERN = /^segment-(\d{6})\.jsonl$/;
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

export function journalDir(stateRoot: string): string {
  return join(stateRoot, "journal");
}

function segmentName(n: number): string {
  return `segment-${String(n).padStart(6, "0")}.jsonl`;
}

function listSegments(dir: string): { n: number; file: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ match: SEGMENT_PATTERN.exec(name), name }))
    .filter((e): e is { match: RegExpExecArray; name: string } => e.match !== null)
    .map((e) => ({ n: Number(e.match[1]), file: join(dir, e.name) }))
    .sort((a, b) => a.n - b.n);
}

export function checksum(body: string): string {
  return sha256Hex(body).slice(0, 16);
}

/** `{...record,"crc":"<16 hex>"}`: the checksum covers the exact JSON text that precedes it. */
export function encodeLine(record: JournalRecord): string {
  const body = JSON.stringify(record);
  return `${body.slice(0, -1)},"crc":"${checksum(body)}"}\n`;
}

type LineResult = { ok: true; record: JournalRecord } | { ok: false; reason: string };

function decodeLine(line: string): LineResult {
  const match = /,"crc":"([0-9a-f]{16})"\}$/.exec(line);
  if (!match) return { ok: false, reason: "no checksum" };
  const body = `${line.slice(0, match.index)}}`;
  if (checksum(body) !== match[1]) return { ok: false, reason: "checksum mismatch" };
  try {
    return { ok: true, record: JSON.parse(body) as JournalRecord };
  } catch {
    return { ok: false, reason: "invalid JSON" };
  }
}

interface SegmentScan {
  records: JournalRecord[];
  /** Byte length of the valid prefix. */
  goodBytes: number;
  torn?: { offset: number; reason: string };
}

function scanSegment(file: string, isLast: boolean): SegmentScan {
  const buffer = readFileSync(file);
  const records: JournalRecord[] = [];
  let offset = 0;
  let lineNumber = 0;
  while (offset < buffer.length) {
    lineNumber += 1;
    const newline = buffer.indexOf(0x0a, offset);
    const end = newline === -1 ? buffer.length : newline;
    const line = buffer.subarray(offset, end).toString("utf8");
    const result: LineResult = newline === -1 ? { ok: false, reason: "no trailing newline" } : decodeLine(line);
    if (!result.ok) {
      const isTail = newline === -1 || newline === buffer.length - 1;
      if (isLast && isTail) return { records, goodBytes: offset, torn: { offset, reason: result.reason } };
      throw Errors.journalCorrupt(`journal line ${lineNumber} is damaged (${result.reason})`, {
        location: { file, line: lineNumber },
        details: ["only a torn last line can be ignored safely; restore the journal from a backup or move the segment aside"],
      });
    }
    records.push(result.record);
    offset = end + 1;
  }
  return { records, goodBytes: buffer.length };
}

export function readJournal(stateRoot: string): JournalReadResult {
  const segments = listSegments(journalDir(stateRoot));
  const records: JournalRecord[] = [];
  let tornTail: TornTail | undefined;
  let lastSeq = 0;
  segments.forEach((segment, i) => {
    const scan = scanSegment(segment.file, i === segments.length - 1);
    for (const record of scan.records) {
      if (record.seq !== lastSeq + 1) {
        throw Errors.journalCorrupt(`journal sequence jumps from ${lastSeq} to ${record.seq}`, { location: { file: segment.file } });
      }
      lastSeq = record.seq;
      records.push(record);
    }
    if (scan.torn) tornTail = { file: segment.file, offset: scan.torn.offset, reason: scan.torn.reason };
  });
  return tornTail ? { records, tornTail } : { records };
}

export class Journal {
  private fd: number;
  private segment: number;
  private segmentSize: number;
  private seq: number;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly clock: () => Date,
    private readonly segmentBytes: number,
    state: { fd: number; segment: number; size: number; seq: number },
  ) {
    this.fd = state.fd;
    this.segment = state.segment;
    this.segmentSize = state.size;
    this.seq = state.seq;
  }

  static open(stateRoot: string, options: { clock?: () => Date; segmentBytes?: number } = {}): Journal {
    const dir = journalDir(stateRoot);
    mkdirSync(dir, { recursive: true });
    const segments = listSegments(dir);
    let seq = 0;
    segments.forEach((segment, i) => {
      const isLast = i === segments.length - 1;
      const scan = scanSegment(segment.file, isLast);
      if (scan.records.length > 0) seq = scan.records[scan.records.length - 1]!.seq;
      if (isLast && scan.torn) {
        // Keep the torn bytes as evidence, then cut them so that new lines never glue onto garbage.
        const size = statSync(segment.file).size;
        const torn = readFileSync(segment.file).subarray(scan.goodBytes, size);
        writeFileSync(join(dir, `torn-${segmentName(segment.n)}-${scan.goodBytes}.bin`), torn);
        const fd = openSync(segment.file, "r+");
        ftruncateSync(fd, scan.goodBytes);
        fsyncSync(fd);
        closeSync(fd);
      }
    });
    const last = segments[segments.length - 1];
    const segment = last?.n ?? 1;
    const file = join(dir, segmentName(segment));
    const fd = openSync(file, "a");
    if (!last) fsyncDir(dir);
    return new Journal(dir, options.clock ?? (() => new Date()), options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, {
      fd,
      segment,
      size: statSync(file).size,
      seq,
    });
  }

  get lastSeq(): number {
    return this.seq;
  }

  append(records: NewJournalRecord[]): JournalRecord[] {
    if (this.closed) throw new Error("journal is closed");
    if (records.length === 0) return [];
    if (this.segmentSize >= this.segmentBytes) this.rotate();
    const ts = this.clock().toISOString();
    const written: JournalRecord[] = [];
    const lines: string[] = [];
    let seq = this.seq;
    for (const record of records) {
      seq += 1;
      const full = { seq, ts, ...record } as JournalRecord;
      written.push(full);
      lines.push(encodeLine(full));
    }
    const data = Buffer.from(lines.join(""), "utf8");
    let offset = 0;
    while (offset < data.length) offset += writeSync(this.fd, data, offset);
    fsyncSync(this.fd);
    this.seq = seq;
    this.segmentSize += data.length;
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

  private rotate(): void {
    closeSync(this.fd);
    this.segment += 1;
    this.fd = openSync(join(this.dir, segmentName(this.segment)), "a");
    this.segmentSize = 0;
    fsyncDir(this.dir);
  }
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
