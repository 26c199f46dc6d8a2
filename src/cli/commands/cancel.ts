/**
 * `multiverse cancel run NAME | benchmark NAME`. With a controller running on the state root, the request is
 * dropped into <state>/requests/ for it (the single writer) and the command waits until the runs have left
 * their running phases. With no controller, the command takes the lock and runs the cancellation saga itself:
 * CANCEL_REQUESTED, stop with a grace period, CANCELLED; workspaces and logs kept.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { isTerminal, type RunPhase } from "../../domain/run-states.js";
import { storeLayout } from "../../artifacts/layout.js";
import { ExecutorRegistry } from "../../executors/registry.js";
import { RunIndex, indexPath } from "../../index/run-index.js";
import { acquireStateLock, lockHolder } from "../../state/state-root.js";
import { openControllerSession } from "../../services/controller-session.js";
import { writeControllerRequest } from "../../services/controller-info.js";
import { hostCapacity } from "../../executors/host-capacity.js";
import { json, type Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";

export interface CancelOptions extends StateRootOptions {
  wait?: boolean;
  timeoutSeconds?: number;
  graceSeconds?: number;
  json?: boolean;
}

export async function cancelCommand(kind: string, name: string, options: CancelOptions, io: Io): Promise<number> {
  if (kind !== "run" && kind !== "benchmark") throw Errors.usage(`expected "run" or "benchmark", got "${kind}"`);
  const stateRoot = resolveStateRoot(options);
  if (!existsSync(join(stateRoot, "journal"))) throw Errors.notFound(`${stateRoot} holds no multiverse journal`);
  const holder = lockHolder(stateRoot);
  const outcome = holder?.purpose === "multiverse controller" ? await viaController(stateRoot, kind, name, options) : await directly(stateRoot, kind, name, options);
  if (options.json) io.out(json(outcome));
  else for (const run of outcome.runs) io.out(`${run.name} [${run.runId.slice(0, 12)}]: ${run.phase}`);
  if (outcome.runs.length === 0) io.out(kind === "benchmark" ? `benchmark ${name} has no unfinished runs` : "nothing to cancel");
  return EXIT_OK;
}

interface CancelOutcome {
  via: "controller" | "direct";
  runs: { runId: string; name: string; phase: string }[];
}

function targets(index: RunIndex, kind: string, name: string): { runId: string; name: string; phase: string }[] {
  if (kind === "run") {
    const row = index.getRun(name);
    return [{ runId: row.runId, name: row.name, phase: row.phase }];
  }
  const rows = index.listRuns({ benchmark: name });
  if (rows.length === 0 && !index.getBenchmark(name)) throw Errors.notFound(`no benchmark named "${name}" in this state root`);
  return rows.filter((r) => !isTerminal(r.phase as RunPhase)).map((r) => ({ runId: r.runId, name: r.name, phase: r.phase }));
}

async function viaController(stateRoot: string, kind: string, name: string, options: CancelOptions): Promise<CancelOutcome> {
  const index = RunIndex.openReadOnly(indexPath(stateRoot));
  try {
    const wanted = targets(index, kind, name);
    writeControllerRequest(stateRoot, { kind: kind as "run" | "benchmark", name: kind === "run" ? wanted[0]!.runId : name, requestedAt: new Date().toISOString() });
    if (options.wait === false) return { via: "controller", runs: wanted };
    const deadline = Date.now() + (options.timeoutSeconds ?? 60) * 1000;
    for (;;) {
      const now = wanted.map((w) => ({ ...w, phase: index.getRun(w.runId).phase }));
      if (now.every((r) => isTerminal(r.phase as RunPhase))) return { via: "controller", runs: now };
      if (Date.now() > deadline) {
        throw Errors.timeout(`the controller took the request but ${now.filter((r) => !isTerminal(r.phase as RunPhase)).length} runs are not CANCELLED yet after ${options.timeoutSeconds ?? 60}s`, {
          details: now.map((r) => `${r.name}: ${r.phase}`),
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    index.close();
  }
}

async function directly(stateRoot: string, kind: string, name: string, options: CancelOptions): Promise<CancelOutcome> {
  const lock = acquireStateLock(stateRoot, `multiverse cancel ${kind} ${name}`);
  try {
    const session = openControllerSession({
      stateRoot,
      layout: storeLayout(stateRoot, "store"),
      executors: new ExecutorRegistry({ stateRoot }),
      capacity: hostCapacity({}),
      graceSeconds: options.graceSeconds,
    });
    try {
      const wanted = targets(session.index, kind, name).filter((r) => !isTerminal(r.phase as RunPhase));
      for (const run of wanted) session.controller.requestCancel(run.runId);
      const settled = await session.controller.runUntilSettled(wanted.map((r) => r.runId));
      return { via: "direct", runs: settled.map((r) => ({ runId: r.runId, name: r.name, phase: r.snapshot.value })) };
    } finally {
      session.close();
    }
  } finally {
    lock.release();
  }
}
