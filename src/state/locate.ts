/** The resolver applied to this process: its flags, environment, home directory and config file. */
import { homedir } from "node:os";
import { readUserConfig } from "./config-file.js";
import { configFilePath, resolveStateRootFrom, type ResolvedStateRoot } from "./resolve-state-root.js";

export function locateStateRoot(flags: { flag?: string; output?: string } = {}, env: Readonly<Record<string, string | undefined>> = process.env): ResolvedStateRoot {
  const home = env.HOME && env.HOME !== "" ? env.HOME : homedir();
  const needsConfig = !flags.flag && !flags.output && !env.MULTIVERSE_STATE_DIR && !env.MULTIVERSE_STATE_ROOT;
  const config = needsConfig ? readUserConfig(configFilePath(env, home)) : undefined;
  return resolveStateRootFrom({
    ...flags,
    env,
    home,
    cwd: process.cwd(),
    ...(config?.stateDir ? { config: { file: config.file, stateDir: config.stateDir } } : {}),
  });
}
