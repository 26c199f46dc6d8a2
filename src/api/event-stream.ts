/**
 * Journal records as Server-Sent Events (id = seq, event = record type, data = the record as JSON). A client that
 * reconnects with Last-Event-ID (or ?since=) first gets what it missed, replayed from the journal asynchronously,
 * then the live records, each exactly once and in order. A client that stops reading is disconnected once too
 * much is buffered for it; it reconnects and catches up from the journal instead of growing our memory.
 */
import type { ServerResponse } from "node:http";
import type { JournalRecord } from "../journal/records.js";
import type { ControllerPort } from "../status/controller-port.js";
import { toApiError } from "./errors.js";
import { replayJournal } from "./journal-replay.js";
import { drained } from "./log-stream.js";

export interface EventStreamOptions {
  stateRoot: string;
  controller: ControllerPort;
  /** Replay records after this seq first; undefined: live records only. */
  afterSeq: number | undefined;
  heartbeatMs: number;
  /** Bytes queued for one client beyond which it is disconnected. */
  maxBufferedBytes: number;
}

export const RETRY_MS = 2000;

export function formatEvent(record: JournalRecord): string {
  return `id: ${record.seq}\nevent: ${record.type}\ndata: ${JSON.stringify(record)}\n\n`;
}

/** The replay start from a Last-Event-ID header (a non-negative integer) or else the `since` query parameter. */
export function replayStart(lastEventId: string | string[] | undefined, since: number | undefined): number | undefined {
  if (typeof lastEventId === "string" && /^\d{1,15}$/.test(lastEventId.trim())) return Number(lastEventId.trim());
  return since;
}

/** Starts the stream on `raw` (already hijacked). Returns a function that ends it (server shutdown). */
export function streamEvents(raw: ServerResponse, options: EventStreamOptions): () => void {
  raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
  raw.write(`retry: ${RETRY_MS}\n\n`);
  let ended = false;
  let unsubscribe = () => {};
  const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), options.heartbeatMs);
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    unsubscribe();
    if (!raw.writableEnded) raw.end();
  };
  raw.on("close", end);

  // An id beyond the journal (a client of an earlier state root) must not hold back every live record.
  let sent = Math.min(options.afterSeq ?? 0, options.controller.metrics().journalSeq);
  const send = (record: JournalRecord): boolean => {
    if (record.seq <= sent) return true;
    sent = record.seq;
    return raw.write(formatEvent(record));
  };
  // Subscribe before replaying: what is appended meanwhile waits in `waiting` and is sent after the replay.
  let waiting: JournalRecord[] | undefined = options.afterSeq !== undefined ? [] : undefined;
  unsubscribe = options.controller.subscribe((records) => {
    if (ended) return;
    if (waiting) {
      waiting.push(...records);
      return;
    }
    for (const record of records) send(record);
    if (raw.writableLength > options.maxBufferedBytes) end();
  });
  if (waiting) {
    replay(raw, options.stateRoot, sent, send, () => ended).then(
      () => {
        const missed = waiting ?? [];
        waiting = undefined;
        if (!ended) for (const record of missed) send(record);
      },
      (error: unknown) => {
        if (!ended) raw.write(`event: STREAM_ERROR\ndata: ${JSON.stringify(toApiError(error).body)}\n\n`);
        end();
      },
    );
  }
  return end;
}

async function replay(raw: ServerResponse, stateRoot: string, afterSeq: number, send: (record: JournalRecord) => boolean, isEnded: () => boolean): Promise<void> {
  for await (const batch of replayJournal(stateRoot, afterSeq)) {
    for (const record of batch) {
      if (isEnded()) return;
      if (!send(record)) await drained(raw);
    }
  }
}
