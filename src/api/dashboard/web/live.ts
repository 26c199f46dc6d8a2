/**
 * The journal's SSE stream for the whole page: one EventSource, records handed to whichever view listens. The
 * browser reconnects by itself with Last-Event-ID, so the server replays what was missed.
 */
import type { LiveRecord } from "./types.js";

type Listener = (record: LiveRecord) => void;

const RECORD_TYPES = [
  "RUN_PLANNED",
  "RUN_TRANSITION",
  "LAUNCH_INTENT",
  "ATTEMPT_EXITED",
  "PROMOTION_INTENT",
  "PROMOTED",
  "RUN_REUSED",
  "TRACKING_PROJECTION",
  "BENCHMARK_APPLIED",
  "BENCHMARK_DELETED",
  "BENCHMARK_STATUS",
  "SWEEP_TRIAL_ASKED",
  "SWEEP_TRIAL_TOLD",
];

export class LiveStream {
  private readonly listeners = new Set<Listener>();
  private source: EventSource | undefined;

  constructor(private readonly onState: (state: "live" | "connecting" | "offline") => void) {}

  start(): void {
    const source = new EventSource("/api/v1/events");
    this.source = source;
    this.onState("connecting");
    source.onopen = () => this.onState("live");
    source.onerror = () => this.onState(source.readyState === EventSource.CLOSED ? "offline" : "connecting");
    const deliver = (event: MessageEvent<string>) => {
      let record: LiveRecord;
      try {
        record = JSON.parse(event.data) as LiveRecord;
      } catch {
        return;
      }
      for (const listener of this.listeners) listener(record);
    };
    for (const type of RECORD_TYPES) source.addEventListener(type, deliver);
  }

  /** Returns the unsubscribe function. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Calls `fn` once, `ms` after the last of a burst of calls. */
export function debounce(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}
