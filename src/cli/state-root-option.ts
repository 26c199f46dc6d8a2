/**
 * Which state root a command acts on: --state-root, else --output (the `multiverse run` spelling), else
 * $MULTIVERSE_STATE_ROOT, else the user's default (~/.multiverse).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { defaultStateRoot } from "../state/state-root.js";

export interface StateRootOptions {
  stateRoot?: string;
  output?: string;
}

export function withStateRoot(command: Command): Command {
  return command
    .option("--state-root <dir>", "state root (default $MULTIVERSE_STATE_ROOT or ~/.multiverse)")
    .option("--output <dir>", "alias of --state-root: the --output of multiverse run");
}

/** The state root; a simple-layout output directory resolves to its .multiverse/ state. */
export function resolveStateRoot(options: StateRootOptions): string {
  const root = resolve(options.stateRoot ?? options.output ?? process.env.MULTIVERSE_STATE_ROOT ?? defaultStateRoot());
  const simple = join(root, ".multiverse");
  return !existsSync(join(root, "journal")) && existsSync(join(simple, "journal")) ? simple : root;
}
