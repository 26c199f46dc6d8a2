import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Errors, EXIT_OK, EXIT_RUN_FAILED } from "../../domain/errors.js";
import { storeLayout } from "../../artifacts/layout.js";
import { ExecutorRegistry } from "../../executors/registry.js";
import { acquireStateLock } from "../../state/state-root.js";
import { locateStateRoot } from "../../state/locate.js";
import type { StateRootOptions } from "../state-root-option.js";
import { openControllerSession } from "../../services/controller-session.js";
import { hostCapacity } from "../../executors/host-capacity.js";
import type { Io } from "../output.js";

/**
 * `multiverse recover adopt|discard <run> --output DIR`: the explicit decision on a RECOVERY_PENDING run.
 * adopt validates the kept outputs again and promotes them if they pass; discard records the run as FAILED
 * (reason discarded). Either way nothing is deleted.
 */
export async function recoverCommand(decision: string, run: string, options: StateRootOptions, io: Io): Promise<number> {
  if (decision !== "adopt" && decision !== "discard") throw Errors.usage(`expected "adopt" or "discard", got "${decision}"`);
  const output = resolve(locateStateRoot({ flag: options.stateRoot, output: options.output }).path);
  const simple = existsSync(join(output, ".multiverse", "journal"));
  const stateRoot = simple ? join(output, ".multiverse") : output;
  if (!existsSync(join(stateRoot, "journal"))) throw Errors.notFound(`${output} holds no multiverse journal`);
  const lock = acquireStateLock(stateRoot, `multiverse recover ${decision} ${run}`);
  try {
    const session = openControllerSession({
      stateRoot,
      layout: storeLayout(output, simple ? "simple" : "store"),
      executors: new ExecutorRegistry({ stateRoot }),
      capacity: hostCapacity({}),
    });
    try {
      const row = session.index.getRun(run);
      const record = session.controller.get(row.runId);
      if (!record) throw Errors.notFound(`run ${row.name} is not in the journal`);
      if (record.snapshot.value !== "RECOVERY_PENDING") {
        throw Errors.usage(`run ${row.name} is ${record.snapshot.value}, not RECOVERY_PENDING: there is nothing to decide`);
      }
      session.controller.decide(row.runId, decision);
      const [settled] = await session.controller.runUntilSettled([row.runId]);
      const phase = settled?.snapshot.value ?? "UNKNOWN";
      const reason = settled?.snapshot.context.reason;
      io.out(`${row.name}: ${decision} -> ${phase}${reason ? ` (${reason}: ${settled?.snapshot.context.message ?? ""})` : ""}${settled?.snapshot.context.artifactDir && phase === "ARTIFACT_SUCCESS" ? ` at ${settled.snapshot.context.artifactDir}` : ""}`);
      return decision === "adopt" && phase !== "ARTIFACT_SUCCESS" ? EXIT_RUN_FAILED : EXIT_OK;
    } finally {
      session.close();
    }
  } finally {
    lock.release();
  }
}
