/**
 * The command a batch job runs to start the model's container with the contract mounts as binds
 * (/input/data.h5mu read-only, the workspace at /output), no network, the environment given. Apptainer (or Singularity) runs a SIF; the
 * Docker runtime exists so that a machine without Apptainer can run the same batch scripts for real.
 */
import { requireMount, type Mount } from "../mounts.js";

export type ContainerRuntime = "apptainer" | "singularity" | "docker";

export interface ContainerCommandInput {
  runtime: ContainerRuntime;
  /** A .sif path for apptainer/singularity, an image reference for docker. */
  image: string;
  /** The contract mounts, bound in order; the input's source may be a shell expression such as "$STAGE/data.h5mu". */
  mounts: Mount[];
  env: Record<string, string>;
  gpu: boolean;
  network: boolean;
  /** Docker runtime only: the container's name (deterministic, so a cancel can stop it). */
  containerName: string;
  memLimitBytes?: number;
  cpus?: number;
}

/** source:target, with :ro for a read-only mount (a read-write bind is the runtimes' default). */
function bindSpec(mount: Mount): string {
  return `${mount.source}:${mount.target}${mount.readOnly ? ":ro" : ""}`;
}

export function containerArgv(input: ContainerCommandInput): string[] {
  const workdir = requireMount(input.mounts, "workspace").target;
  const env = Object.entries(input.env).sort(([a], [b]) => a.localeCompare(b));
  if (input.runtime === "docker") {
    return [
      "docker", "run", "--rm", "--name", input.containerName,
      ...(input.network ? [] : ["--network", "none"]),
      "--security-opt", "no-new-privileges",
      ...(input.memLimitBytes ? ["--memory", String(input.memLimitBytes)] : []),
      ...(input.cpus ? ["--cpus", String(input.cpus)] : []),
      ...(input.gpu ? ["--gpus", "all"] : []),
      ...input.mounts.flatMap((mount) => ["-v", bindSpec(mount)]),
      "-w", workdir,
      ...env.flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      input.image,
    ];
  }
  // run (not exec): the image's runscript is the model's entrypoint, as Docker's ENTRYPOINT is.
  return [
    input.runtime, "run",
    "--containall", "--cleanenv", "--no-home", "--writable-tmpfs",
    ...(input.network ? [] : ["--net", "--network", "none"]),
    ...(input.gpu ? ["--nv"] : []),
    ...input.mounts.flatMap((mount) => ["--bind", bindSpec(mount)]),
    "--pwd", workdir,
    ...env.flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    input.image,
  ];
}
