/** Where a run's logs are and how to read what was appended since last time (CLI `logs` and the API). */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { Errors } from "../domain/errors.js";
import type { RunIndex } from "../index/run-index.js";

export const LOG_FILES = { container: "container.log", orchestrator: "orchestrator.log", model: "run.log" } as const;
export type LogSource = keyof typeof LOG_FILES;

export interface LogLocation {
  runId: string;
  attemptId: string;
  name: string;
  workspace: string;
  file: string;
}

/** The log file of a run's latest attempt (or the attempt given by number or id). */
export function locateLog(index: RunIndex, run: string, source: LogSource, attempt?: string): LogLocation {
  const row = index.getRun(run);
  const attempts = index.attempts(row.runId);
  const chosen = attempt ? attempts.find((a) => a.attemptId === attempt || String(a.attempt) === attempt) : attempts[attempts.length - 1];
  if (!chosen?.workspaceDir) throw Errors.notFound(`run ${row.name} has ${attempt ? `no attempt ${attempt}` : "not been launched yet"}`);
  const file = join(chosen.workspaceDir, LOG_FILES[source]);
  // A promoted attempt's workspace keeps no second copy of its outputs: its logs are read from the bundle.
  const promoted = row.artifactDir && row.attemptId === chosen.attemptId ? join(row.artifactDir, LOG_FILES[source]) : undefined;
  if (!existsSync(file) && promoted && existsSync(promoted)) return { runId: row.runId, attemptId: chosen.attemptId, name: row.name, workspace: row.artifactDir!, file: promoted };
  return { runId: row.runId, attemptId: chosen.attemptId, name: row.name, workspace: chosen.workspaceDir, file };
}

/** The most one read of a LogTail returns: a 500 MB model log is printed in pieces, never held whole. */
export const LOG_CHUNK_BYTES = 1024 * 1024;

/** Reads a growing file from where the last read stopped, at most `chunkBytes` at a time. */
export class LogTail {
  private offset = 0;
  constructor(private path: string, private readonly chunkBytes: number = LOG_CHUNK_BYTES) {}

  get file(): string {
    return this.path;
  }

  /** The same log moved (promotion moves a workspace's logs into the bundle): go on reading it there, from where it was. */
  moveTo(file: string): void {
    this.path = file;
  }

  /** Up to chunkBytes of what was appended since the last call (empty when nothing was, or the file does not exist yet). */
  read(): Buffer {
    if (!existsSync(this.file)) return Buffer.alloc(0);
    const size = statSync(this.file).size;
    if (size < this.offset) this.offset = 0; // truncated or replaced: start over
    if (size === this.offset) return Buffer.alloc(0);
    const fd = openSync(this.file, "r");
    try {
      const buffer = Buffer.alloc(Math.min(size - this.offset, this.chunkBytes));
      const read = readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset += read;
      return buffer.subarray(0, read);
    } finally {
      closeSync(fd);
    }
  }
}

/** Hands every piece appended since the last read to `write`, one chunk at a time. */
export function drainLog(tail: LogTail, write: (chunk: Buffer) => void): void {
  for (let chunk = tail.read(); chunk.length > 0; chunk = tail.read()) write(chunk);
}
