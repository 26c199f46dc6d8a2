/**
 * The ControllerPort of `multiverse serve`: the status API and the dashboard over a state root that no controller
 * of ours drives. It never writes the journal. Journal records reach SSE clients once the index has projected
 * them (another process — `multiverse run`, a controller without --listen — may still be writing): the index's
 * last applied seq is polled, and the journal is replayed up to it. A cancel is handed to a controller that
 * holds the state root (through its requests directory, as `multiverse cancel` does) and refused otherwise.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Errors } from "../../domain/errors.js";
import { indexPath, RunIndex } from "../../index/run-index.js";
import type { JournalRecord } from "../../journal/records.js";
import { requestsDir, type CancelRequest } from "../../services/controller-service.js";
import { lockHolder } from "../../state/state-root.js";
import type { ControllerPort } from "../../status/controller-port.js";
import { replayJournal } from "../journal-replay.js";

export interface ReadOnlyPortOptions {
  stateRoot: string;
  /** How often the index is asked whether another process projected more records; default 500 ms. */
  pollMs?: number;
}

export interface ReadOnlyPort extends ControllerPort {
  close(): void;
}

type Holder = { pid: number; purpose?: string } | undefined;

/** Where a cancel asked of `multiverse serve` goes: to the controller holding the state root, or nowhere (pure). */
export function cancelRoute(stateRoot: string, holder: Holder): { via: "controller" } | { refused: string } {
  if (holder?.purpose === "multiverse controller") return { via: "controller" };
  const base = `this API is served by multiverse serve, which only reads ${stateRoot}: cancelling needs the controller`;
  if (holder) return { refused: `${base}; process ${holder.pid} (${holder.purpose ?? "another multiverse command"}) holds the state root: stop it there (Ctrl-C cancels its runs)` };
  return { refused: `${base}, and none runs: start one with multiverse controller --state-root ${stateRoot} --watch DIR, or use multiverse cancel run NAME --state-root ${stateRoot}` };
}

export function openReadOnlyPort(options: ReadOnlyPortOptions): ReadOnlyPort {
  const { stateRoot } = options;
  const index = RunIndex.openReadOnly(indexPath(stateRoot));
  const meta = new Database(indexPath(stateRoot), { readonly: true, fileMustExist: true });
  const lastSeqQuery = meta.prepare("SELECT value FROM meta WHERE key = 'last_seq'").pluck();
  const projectedSeq = (): number => Number((lastSeqQuery.get() as string | undefined) ?? 0);
  const listeners = new Set<(records: readonly JournalRecord[]) => void>();
  let emitted = projectedSeq();
  let polling = false;
  let closed = false;

  const emit = (records: readonly JournalRecord[]) => {
    for (const listener of listeners) {
      try {
        listener(records);
      } catch {
        // a subscriber's failure is its own
      }
    }
  };
  const poll = async () => {
    if (polling || closed) return;
    polling = true;
    try {
      const upTo = projectedSeq();
      if (upTo <= emitted) return;
      if (listeners.size === 0) {
        emitted = upTo; // nobody listens: nothing to read
        return;
      }
      for await (const batch of replayJournal(stateRoot, emitted)) {
        const projected = batch.filter((r) => r.seq > emitted && r.seq <= upTo);
        if (projected.length > 0) {
          emitted = projected[projected.length - 1]!.seq;
          emit(projected);
        }
        if (emitted >= upTo || closed) break;
      }
    } catch {
      // the journal is being rotated or is damaged: the next poll tries again, the API's own reads say what is wrong
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void poll(), options.pollMs ?? 500);
  timer.unref();

  return {
    ready: () => !closed,
    metrics: () => ({ queueDepth: 0, reconcileSeconds: [], journalSeq: emitted, indexSeq: emitted }),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    cancelRun: async (idOrName) => {
      const row = index.getRun(idOrName);
      const route = cancelRoute(stateRoot, lockHolder(stateRoot));
      if ("refused" in route) throw Errors.readOnly(route.refused);
      const dir = requestsDir(stateRoot);
      mkdirSync(dir, { recursive: true });
      const request: CancelRequest = { kind: "run", name: row.runId, requestedAt: new Date().toISOString() };
      const file = join(dir, `${Date.now()}-${process.pid}-serve.json`);
      writeFileSync(`${file}.tmp`, JSON.stringify(request));
      renameSync(`${file}.tmp`, file);
      return { runId: row.runId, phase: row.phase };
    },
    close: () => {
      closed = true;
      clearInterval(timer);
      index.close();
      meta.close();
    },
  };
}
