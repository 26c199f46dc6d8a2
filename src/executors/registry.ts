/** Which executor runs a backend. New engines register here and must pass the executor conformance suite. */
import type { Backend } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import type { Executor } from "./executor.js";
import { DockerExecutor } from "./docker/docker-executor.js";

export function createExecutor(backend: Backend): Executor {
  switch (backend) {
    case "docker":
      return new DockerExecutor({ socketPath: process.env.MULTIVERSE_DOCKER_SOCKET });
    default:
      throw Errors.usage(`backend "${backend}" is not available in this version; supported: docker`);
  }
}
