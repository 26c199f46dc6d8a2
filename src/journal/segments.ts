/** Segment files of a journal directory: naming, listing, and scanning one segment into records. */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Errors } from "../domain/errors.js";
import { decodeLine } from "./codec.js";
import type { JournalRecord } from "./records.js";

const SEGMENT_PATTERN = /^segment-(\d{6,})\.jsonl$/;

export interface Segment {
  n: number;
  file: string;
}

export function journalDir(stateRoot: string): string {
  return join(stateRoot, "journal");
}

export function segmentBaseName(n: number): string {
  return `segment-${String(n).padStart(6, "0")}`;
}

export function segmentFileName(n: number): string {
  return `${segmentBaseName(n)}.jsonl`;
}

export function listSegments(dir: string): Segment[] {
  if (!existsSync(dir)) return [];
  const segments: Segment[] = [];
  for (const name of readdirSync(dir)) {
    const match = SEGMENT_PATTERN.exec(name);
    if (match) segments.push({ n: Number(match[1]), file: join(dir, name) });
  }
  return segments.sort((a, b) => a.n - b.n);
}

export interface SegmentScan {
  records: JournalRecord[];
  /** Byte length of the valid prefix (the whole file unless the tail is torn). */
  goodBytes: number;
  totalBytes: number;
  torn?: { offset: number; reason: string };
}

/**
 * Reads one segment. A damaged final line of the last segment is a torn write (reported, not thrown);
 * a damaged line anywhere else is corruption and throws with the file and line number.
 */
export function scanSegment(file: string, isLast: boolean): SegmentScan {
  const buffer = readFileSync(file);
  const records: JournalRecord[] = [];
  let offset = 0;
  let lineNumber = 0;
  while (offset < buffer.length) {
    lineNumber += 1;
    const newline = buffer.indexOf(0x0a, offset);
    const end = newline === -1 ? buffer.length : newline;
    const result = newline === -1 ? { ok: false as const, reason: "no trailing newline" } : decodeLine(buffer.toString("utf8", offset, end));
    if (!result.ok) {
      const isFinalLine = newline === -1 || newline === buffer.length - 1;
      if (isLast && isFinalLine) return { records, goodBytes: offset, totalBytes: buffer.length, torn: { offset, reason: result.reason } };
      throw Errors.journalCorrupt(`journal line ${lineNumber} is damaged (${result.reason})`, {
        location: { file, line: lineNumber },
        details: ["only a torn last line can be ignored safely; restore the journal from a backup or move the damaged segment aside"],
      });
    }
    records.push(result.record);
    offset = end + 1;
  }
  return { records, goodBytes: buffer.length, totalBytes: buffer.length };
}

/** Checks that seq numbers continue without gap or repeat; returns the last seq. */
export function checkSequence(records: readonly JournalRecord[], previousSeq: number, file: string): number {
  let last = previousSeq;
  for (const [i, record] of records.entries()) {
    if (record.seq !== last + 1) {
      const what = record.seq <= last ? `repeats or goes back (${record.seq} after ${last})` : `jumps from ${last} to ${record.seq}`;
      throw Errors.journalCorrupt(`journal sequence ${what}`, {
        location: { file, line: i + 1 },
        details: ["sequence numbers must increase by one across all segments; a segment may be missing or damaged"],
      });
    }
    last = record.seq;
  }
  return last;
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
