/**
 * Following a run's log over HTTP without blocking the event loop: appended bytes are read asynchronously in
 * bounded chunks and written with backpressure; a change to the file (fs.watch) triggers a read, a slow poll
 * catches what the watch misses (network file systems), and the run's terminal transition (from the controller's
 * journal subscription) ends the stream after a last read. Locating the file is services/run-logs.ts's job.
 */
import { watch, type FSWatcher } from "node:fs";
import { open } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { basename, dirname } from "node:path";
import { isTerminal, RUN_PHASES, type RunPhase } from "../domain/run-states.js";
import type { JournalRecord } from "../journal/records.js";
import type { ControllerPort } from "../status/controller-port.js";

const CHUNK_BYTES = 64 * 1024;

/** True when a phase ends a follow: terminal, or parked for a human decision. */
export function endsFollow(phase: string): boolean {
  return (RUN_PHASES as readonly string[]).includes(phase) && (isTerminal(phase as RunPhase) || phase === "RECOVERY_PENDING");
}

/** True when this journal record moves the given run into a phase that ends a follow. */
export function recordEndsFollow(record: JournalRecord, runId: string): boolean {
  return record.type === "RUN_TRANSITION" && record.runId === runId && endsFollow(record.to);
}

/**
 * Sends what was appended to a file since the last pump, in chunks of at most 64 KiB, each awaited through `write`.
 * Pumps never overlap: one asked for while another runs is queued, and further ones join the queued one.
 */
export class AsyncLogTail {
  private offset = 0;
  private chain: Promise<void> = Promise.resolve();
  private queued = false;

  constructor(
    readonly file: string,
    private readonly write: (chunk: Buffer) => Promise<void>,
  ) {}

  pump(): Promise<void> {
    if (!this.queued) {
      this.queued = true;
      this.chain = this.chain.then(() => {
        this.queued = false;
        return this.readToEnd();
      });
    }
    return this.chain;
  }

  private async readToEnd(): Promise<void> {
    let handle;
    try {
      handle = await open(this.file, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // not written yet
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size < this.offset) this.offset = 0; // truncated or replaced: start over
      const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(1, size - this.offset)));
      while (this.offset < size) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - this.offset), this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        await this.write(Buffer.from(buffer.subarray(0, bytesRead)));
      }
    } finally {
      await handle.close();
    }
  }
}

export interface FollowOptions {
  file: string;
  runId: string;
  controller: ControllerPort;
  /** Whether the run already is in a phase that ends a follow (read from the index by the slow poll). */
  isFinished: () => boolean;
  pollMs: number;
}

/** Resolves once the response can take more data (or is gone). */
export function drained(raw: ServerResponse): Promise<void> {
  if (raw.destroyed || raw.writableEnded || !raw.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      raw.off("drain", done);
      raw.off("close", done);
      resolve();
    };
    raw.on("drain", done);
    raw.on("close", done);
  });
}

/** Writes a chunk and resolves once the response can take more (or is gone). */
export function writeWithBackpressure(raw: ServerResponse, chunk: Buffer): Promise<void> {
  if (raw.destroyed || raw.writableEnded) return Promise.resolve();
  raw.write(chunk);
  return drained(raw);
}

/**
 * Streams the file into `raw` until the run ends (then a last read and the end of the response) or the client
 * goes away. Returns a function that stops the stream at once (server shutdown).
 */
export function followLog(raw: ServerResponse, options: FollowOptions): () => void {
  const tail = new AsyncLogTail(options.file, (chunk) => writeWithBackpressure(raw, chunk));
  let stopped = false;
  let watcher: FSWatcher | undefined;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    unsubscribe();
    watcher?.close();
  };
  const fail = () => {
    stop();
    raw.destroy();
  };
  const pump = () => {
    if (!stopped) tail.pump().catch(fail);
  };
  const finish = () => {
    if (stopped) return;
    stop();
    tail.pump().then(() => raw.end(), fail);
  };
  const unsubscribe = options.controller.subscribe((records) => {
    if (records.some((record) => recordEndsFollow(record, options.runId))) finish();
  });
  const timer: ReturnType<typeof setInterval> = setInterval(() => {
    if (options.isFinished()) finish();
    else pump();
  }, options.pollMs);
  try {
    const name = basename(options.file);
    watcher = watch(dirname(options.file), (_event, changed) => {
      if (changed === null || changed === name) pump();
    });
    watcher.on("error", () => watcher?.close());
  } catch {
    watcher = undefined; // the workspace is not there (yet): the poll covers it
  }
  raw.on("close", stop);
  if (options.isFinished()) finish();
  else pump();
  return () => {
    stop();
    if (!raw.writableEnded) raw.end();
  };
}
