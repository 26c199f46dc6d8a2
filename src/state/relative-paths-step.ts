/**
 * Layout step 1 -> 2: journal records written with absolute paths of the output root (wherever the root was when they
 * were written) are rewritten with those paths relative to it, segment by segment (a temp file, fsynced, renamed over
 * the segment), so the root keeps working wherever it is moved, copied or mounted. Seq, ts and every other field stay;
 * each line gets its checksum again. Idempotent: a segment with nothing to rewrite is left alone, so an interrupted
 * step simply runs again.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { outputRootOf } from "../domain/output-root.js";
import { encodeLine } from "../journal/codec.js";
import { Journal } from "../journal/journal.js";
import { fsyncPath, journalDir, listSegments, scanSegment } from "../journal/segments.js";
import { formerOutputRoots, mapRecordPaths, relativeToAny } from "../journal/stored-paths.js";

export interface RelativizeResult {
  formerRoots: string[];
  rewrittenSegments: number;
  rewrittenRecords: number;
}

export function relativizeJournalPaths(stateRoot: string): RelativizeResult {
  // Opening the journal as a writer cuts a torn last line (keeping a copy), so every line left is intact.
  Journal.open(stateRoot).close();
  const dir = journalDir(stateRoot);
  const segments = listSegments(dir).map((segment) => ({ ...segment, records: scanSegment(segment.file, false).records }));
  const roots = formerOutputRoots(segments.flatMap((s) => s.records), outputRootOf);
  const current = outputRootOf(stateRoot);
  const all = roots.includes(current) ? roots : [...roots, current].sort((a, b) => b.length - a.length);
  let rewrittenSegments = 0;
  let rewrittenRecords = 0;
  for (const segment of segments) {
    let changed = 0;
    const text = segment.records
      .map((record) => {
        const stored = mapRecordPaths(record, (path) => relativeToAny(all, path));
        if (stored !== record && JSON.stringify(stored) !== JSON.stringify(record)) changed += 1;
        return encodeLine(stored);
      })
      .join("");
    if (changed === 0) continue;
    const tmp = `${segment.file}.relativize-${process.pid}`;
    const fd = openSync(tmp, "w");
    try {
      const data = Buffer.from(text, "utf8");
      let offset = 0;
      while (offset < data.length) offset += writeSync(fd, data, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, segment.file);
    fsyncPath(dir);
    rewrittenSegments += 1;
    rewrittenRecords += changed;
  }
  return { formerRoots: roots, rewrittenSegments, rewrittenRecords };
}
