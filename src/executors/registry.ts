/** Which executor runs a backend. New engines register here and must pass the executor conformance suite. */
import { join } from "node:path";
import type { Backend } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { defaultStateRoot } from "../state/state-root.js";
import type { Executor } from "./executor.js";
import { DockerExecutor } from "./docker/docker-executor.js";
import { LocalExecutor } from "./local/local-executor.js";

export function envsRoot(): string {
  return process.env.MULTIVERSE_ENVS_DIR ?? join(defaultStateRoot(), "envs");
}

export function createExecutor(backend: Backend, context: { stateRoot: string }): Executor {
  switch (backend) {
    case "docker":
      return new DockerExecutor({ socketPath: process.env.MULTIVERSE_DOCKER_SOCKET });
    case "local":
      return new LocalExecutor({
        runtimeDir: join(context.stateRoot, "local-runtime"),
        envsRoot: envsRoot(),
        sandbox: (process.env.MULTIVERSE_LOCAL_SANDBOX as "auto" | "bwrap" | "none" | undefined) ?? "auto",
      });
    default:
      throw Errors.usage(`backend "${backend}" is not available in this version; supported: docker, local`);
  }
}
