/**
 * Which state root a command acts on: src/state/resolve-state-root.ts decides (--state-root, --output,
 * $MULTIVERSE_STATE_DIR, the config file's state_dir, $XDG_STATE_HOME/multiverse, ~/.multiverse).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { locateStateRoot } from "../state/locate.js";
import type { ResolvedStateRoot } from "../state/resolve-state-root.js";
import { checkStateVersion } from "../state/version-file.js";

export interface StateRootOptions {
  stateRoot?: string;
  output?: string;
}

export function withStateRoot(command: Command): Command {
  return command
    .option("--state-root <dir>", "state root (default $MULTIVERSE_STATE_DIR, config state_dir, $XDG_STATE_HOME/multiverse or ~/.multiverse)")
    .option("--output <dir>", "alias of --state-root: the --output of multiverse run");
}

/** The state root and the rule that chose it; a simple-layout output directory resolves to its .multiverse/ state. */
export function locateStateRootOf(options: StateRootOptions): ResolvedStateRoot {
  const located = locateStateRoot({ flag: options.stateRoot, output: options.output });
  const simple = join(located.path, ".multiverse");
  return !existsSync(join(located.path, "journal")) && existsSync(join(simple, "journal")) ? { ...located, path: simple } : located;
}

/** The state root of a command; one written by an older or newer layout is refused with what to run. */
export function resolveStateRoot(options: StateRootOptions): string {
  const path = locateStateRootOf(options).path;
  if (existsSync(path)) checkStateVersion(path, { write: false });
  return path;
}
