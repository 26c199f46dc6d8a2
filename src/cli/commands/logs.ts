import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { isTerminal, RUN_PHASES, type RunPhase } from "../../domain/run-states.js";
import type { Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { openIndexFor } from "./get-runs.js";

export interface LogsOptions extends StateRootOptions {
  container?: boolean;
  orchestrator?: boolean;
  model?: boolean;
  follow?: boolean;
  attempt?: string;
}

const FILES = { container: "container.log", orchestrator: "orchestrator.log", model: "run.log" } as const;

/**
 * `multiverse logs run <run>`: the host's orchestrator.log, the model's run.log or the captured container.log of
 * a run's latest attempt (or --attempt). --follow keeps printing what is appended until the run is terminal.
 */
export async function logsCommand(run: string, options: LogsOptions, io: Io): Promise<number> {
  const kinds = (Object.keys(FILES) as (keyof typeof FILES)[]).filter((k) => options[k]);
  if (kinds.length > 1) throw Errors.usage("choose one of --container, --orchestrator and --model");
  const kind = kinds[0] ?? "model";
  const index = openIndexFor(resolveStateRoot(options));
  let workspace: string;
  let runId: string;
  try {
    const row = index.getRun(run);
    runId = row.runId;
    const attempts = index.attempts(row.runId);
    const attempt = options.attempt ? attempts.find((a) => a.attemptId === options.attempt || String(a.attempt) === options.attempt) : attempts[attempts.length - 1];
    if (!attempt?.workspaceDir) throw Errors.notFound(`run ${row.name} has ${options.attempt ? `no attempt ${options.attempt}` : "not been launched yet"}`);
    workspace = attempt.workspaceDir;
  } finally {
    index.close();
  }
  const file = join(workspace, FILES[kind]);
  let offset = 0;
  const drain = () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fd = openSync(file, "r");
    try {
      const buffer = Buffer.alloc(size - offset);
      readSync(fd, buffer, 0, buffer.length, offset);
      offset = size;
      process.stdout.write(buffer);
    } finally {
      closeSync(fd);
    }
  };
  drain();
  if (!options.follow) {
    if (!existsSync(file)) io.err(`${FILES[kind]} does not exist (yet) in ${workspace}`);
    return EXIT_OK;
  }
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    drain();
    const current = openIndexFor(resolveStateRoot(options));
    let phase: RunPhase;
    try {
      const value = current.getRun(runId).phase;
      phase = (RUN_PHASES as readonly string[]).includes(value) ? (value as RunPhase) : "PENDING";
    } finally {
      current.close();
    }
    if (isTerminal(phase) || phase === "RECOVERY_PENDING") {
      drain();
      return EXIT_OK;
    }
  }
}
