/**
 * Journal records after a given seq, read without blocking the event loop (the API shares its process with the
 * reconcile loop): only the segments that can hold them are opened (a segment's first seq is read from its first
 * line), they are streamed in bounded chunks, and lines at or below the seq are skipped without being decoded.
 * Integrity rules are the journal's (segments.ts): a damaged last line of the last segment is a torn write and ends
 * the replay; a damaged line anywhere else is corruption.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Errors } from "../domain/errors.js";
import { decodeLine } from "../journal/codec.js";
import type { JournalRecord } from "../journal/records.js";
import { journalDir, listSegments, type Segment } from "../journal/segments.js";
import { resolvedRecord } from "../journal/stored-paths.js";
import { outputRootOf } from "../domain/output-root.js";

const CHUNK_BYTES = 256 * 1024;
/** encodeLine writes `seq` first: `{"seq":123,...`. */
const LEADING_SEQ = /^\{"seq":(\d+),/;

function leadingSeq(line: string): number | undefined {
  const match = LEADING_SEQ.exec(line);
  return match ? Number(match[1]) : undefined;
}

/** The seq of a segment's first record, or undefined when the segment is empty or its first line is unreadable. */
async function firstSeqOf(file: string): Promise<number | undefined> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return leadingSeq(buffer.toString("utf8", 0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** The segments that can hold records after `afterSeq`: the last one starting at or before afterSeq + 1, and all later ones. */
async function segmentsAfter(segments: readonly Segment[], afterSeq: number): Promise<readonly Segment[]> {
  for (let i = segments.length - 1; i >= 0; i -= 1) {
    const first = await firstSeqOf(segments[i]!.file);
    if (first !== undefined && first <= afterSeq + 1) return segments.slice(i);
  }
  return segments;
}

/**
 * Yields batches of the intact records with seq > afterSeq, in order (each batch one read chunk's worth).
 * Appends that land while the replay runs may or may not be included; callers dedupe by seq.
 */
export async function* replayJournal(stateRoot: string, afterSeq: number): AsyncGenerator<JournalRecord[]> {
  const base = outputRootOf(stateRoot);
  const all = listSegments(journalDir(stateRoot));
  const segments = await segmentsAfter(all, afterSeq);
  for (const [i, segment] of segments.entries()) {
    const isLast = i === segments.length - 1;
    let carry = "";
    let lineNumber = 0;
    let damaged: { line: number; reason: string } | undefined;
    for await (const chunk of createReadStream(segment.file, { encoding: "utf8", highWaterMark: CHUNK_BYTES })) {
      const lines = (carry + (chunk as string)).split("\n");
      carry = lines.pop()!;
      const batch: JournalRecord[] = [];
      for (const line of lines) {
        lineNumber += 1;
        if (damaged) throw corrupt(segment.file, damaged);
        const seq = leadingSeq(line);
        if (seq !== undefined && seq <= afterSeq) continue;
        const decoded = decodeLine(line);
        if (decoded.ok) batch.push(resolvedRecord(base, decoded.record));
        else damaged = { line: lineNumber, reason: decoded.reason };
      }
      if (batch.length > 0) yield batch;
    }
    if (damaged && carry.length > 0) throw corrupt(segment.file, damaged);
    damaged ??= carry.length > 0 ? { line: lineNumber + 1, reason: "no trailing newline" } : undefined;
    if (damaged) {
      // Only the very end of the journal may be torn (a crash, or an append still being written right now).
      if (isLast) return;
      throw corrupt(segment.file, damaged);
    }
  }
}

function corrupt(file: string, damaged: { line: number; reason: string }) {
  return Errors.journalCorrupt(`journal line ${damaged.line} is damaged (${damaged.reason})`, {
    location: { file, line: damaged.line },
    details: ["only a torn last line can be ignored safely; restore the journal from a backup or move the damaged segment aside"],
  });
}
