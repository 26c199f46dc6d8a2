import { existsSync } from "node:fs";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { isTerminal, RUN_PHASES, type RunPhase } from "../../domain/run-states.js";
import type { Io } from "../output.js";
import { drainLog, LOG_FILES, LogTail, locateLog, type LogLocation, type LogSource } from "../../services/run-logs.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { openIndexFor } from "./get-runs.js";

export interface LogsOptions extends StateRootOptions {
  container?: boolean;
  orchestrator?: boolean;
  model?: boolean;
  follow?: boolean;
  attempt?: string;
}

/**
 * `multiverse logs run <run>`: the host's orchestrator.log, the model's run.log or the captured container.log of
 * a run's latest attempt (or --attempt). --follow keeps printing what is appended until the run is terminal.
 */
export async function logsCommand(run: string, options: LogsOptions, io: Io): Promise<number> {
  const kinds = (Object.keys(LOG_FILES) as LogSource[]).filter((k) => options[k]);
  if (kinds.length > 1) throw Errors.usage("choose one of --container, --orchestrator and --model");
  const kind = kinds[0] ?? "model";
  const index = openIndexFor(resolveStateRoot(options));
  let location: LogLocation;
  try {
    location = locateLog(index, run, kind, options.attempt);
  } finally {
    index.close();
  }
  const tail = new LogTail(location.file);
  // process.stdout writes synchronously to files and pipes (Linux), so one chunk at a time is all that is held.
  const drain = () => drainLog(tail, (chunk) => process.stdout.write(chunk));
  drain();
  if (!options.follow) {
    if (!existsSync(location.file)) io.err(`${LOG_FILES[kind]} does not exist (yet) in ${location.workspace}`);
    return EXIT_OK;
  }
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    drain();
    const current = openIndexFor(resolveStateRoot(options));
    let phase: RunPhase;
    try {
      const value = current.getRun(location.runId).phase;
      phase = (RUN_PHASES as readonly string[]).includes(value) ? (value as RunPhase) : "PENDING";
      // Promotion moves the attempt's logs into its bundle: the rest of this log is read there.
      const now = locateLog(current, location.runId, kind, location.attemptId);
      if (now.file !== tail.file) tail.moveTo(now.file);
    } finally {
      current.close();
    }
    if (isTerminal(phase) || phase === "RECOVERY_PENDING") {
      drain();
      return EXIT_OK;
    }
  }
}
