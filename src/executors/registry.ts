/** Which executor runs a backend. New engines register here and must pass the executor conformance suite. */
import { join } from "node:path";
import type { Backend } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { defaultStateRoot } from "../state/state-root.js";
import type { Executor } from "./executor.js";
import { DockerExecutor } from "./docker/docker-executor.js";
import { LocalExecutor } from "./local/local-executor.js";
import { SlurmExecutor } from "./slurm/slurm-executor.js";
import { processRunner } from "./slurm/command-runner.js";
import type { ContainerRuntime } from "./slurm/container-command.js";

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
    case "slurm": {
      const runtime = (process.env.MULTIVERSE_SLURM_RUNTIME ?? "apptainer") as ContainerRuntime;
      if (!["apptainer", "singularity", "docker"].includes(runtime)) {
        throw Errors.usage(`MULTIVERSE_SLURM_RUNTIME must be apptainer, singularity or docker, got "${runtime}"`);
      }
      const docker = runtime === "docker" ? new DockerExecutor({ socketPath: process.env.MULTIVERSE_DOCKER_SOCKET }) : undefined;
      return new SlurmExecutor({
        runner: processRunner,
        runtime,
        runtimeDir: join(context.stateRoot, "slurm-runtime"),
        sifDir: process.env.MULTIVERSE_SIF_DIR ?? join(context.stateRoot, "sif"),
        defaults: {
          ...(process.env.MULTIVERSE_SLURM_PARTITION ? { partition: process.env.MULTIVERSE_SLURM_PARTITION } : {}),
          ...(process.env.MULTIVERSE_SLURM_ACCOUNT ? { account: process.env.MULTIVERSE_SLURM_ACCOUNT } : {}),
          ...(process.env.MULTIVERSE_SLURM_QOS ? { qos: process.env.MULTIVERSE_SLURM_QOS } : {}),
        },
        ...(docker ? { resolveDockerImage: (reference: string) => docker.resolveImage(reference) } : {}),
      });
    }
    default:
      throw Errors.usage(`backend "${backend}" is not available in this version; supported: docker, local, slurm`);
  }
}
