/**
 * Which state root a command acts on, and which rule chose it. Pure: the caller passes the flags, the
 * environment, the home directory and the config file's `state_dir` (read by config-file.ts).
 *
 * Order (the seeds' M1 resolver): --state-root > --output (the `multiverse run` spelling) > $MULTIVERSE_STATE_DIR
 * > $MULTIVERSE_STATE_ROOT (older spelling) > `state_dir` of $XDG_CONFIG_HOME/multiverse/config.yaml
 * > $XDG_STATE_HOME/multiverse > ~/.multiverse.
 */
import { isAbsolute, join, resolve } from "node:path";

export type StateRootRule = "flag" | "output" | "env" | "legacy-env" | "config" | "xdg" | "home";

export interface StateRootInputs {
  flag?: string;
  output?: string;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  cwd: string;
  /** The config file's `state_dir`, when the file exists and sets it. */
  config?: { file: string; stateDir: string };
}

export interface ResolvedStateRoot {
  path: string;
  rule: StateRootRule;
  /** Human-readable origin: "--state-root", "$MULTIVERSE_STATE_DIR", "/home/u/.config/multiverse/config.yaml", ... */
  source: string;
}

/** `~` and `~/x` are the home directory; a relative path is relative to `base`. */
export function expandPath(path: string, home: string, base: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(base, path);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value : undefined;
}

export function resolveStateRootFrom(inputs: StateRootInputs): ResolvedStateRoot {
  const { env, home, cwd } = inputs;
  const at = (path: string, rule: StateRootRule, source: string, base = cwd): ResolvedStateRoot => ({ path: expandPath(path, home, base), rule, source });
  const flag = nonEmpty(inputs.flag);
  if (flag) return at(flag, "flag", "--state-root");
  const output = nonEmpty(inputs.output);
  if (output) return at(output, "output", "--output");
  const dir = nonEmpty(env.MULTIVERSE_STATE_DIR);
  if (dir) return at(dir, "env", "$MULTIVERSE_STATE_DIR");
  const legacy = nonEmpty(env.MULTIVERSE_STATE_ROOT);
  if (legacy) return at(legacy, "legacy-env", "$MULTIVERSE_STATE_ROOT");
  if (inputs.config && nonEmpty(inputs.config.stateDir)) {
    // A relative state_dir is relative to the config file's directory, not to wherever the command runs.
    return at(inputs.config.stateDir, "config", inputs.config.file, resolve(inputs.config.file, ".."));
  }
  const xdg = nonEmpty(env.XDG_STATE_HOME);
  if (xdg && isAbsolute(xdg)) return { path: join(resolve(xdg), "multiverse"), rule: "xdg", source: "$XDG_STATE_HOME/multiverse" };
  return { path: join(home, ".multiverse"), rule: "home", source: "~/.multiverse" };
}

/** Where the config file is: $XDG_CONFIG_HOME/multiverse/config.yaml, else ~/.config/multiverse/config.yaml. */
export function configFilePath(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const xdg = nonEmpty(env.XDG_CONFIG_HOME);
  return join(xdg && isAbsolute(xdg) ? resolve(xdg) : join(home, ".config"), "multiverse", "config.yaml");
}
