/**
 * Which executor runs a backend. New engines register in createExecutor and must pass the executor conformance
 * suite (test/contracts/executor-contract.ts). ExecutorRegistry is the one place that creates executors, decides
 * a job's backend (resolveBackend) and the broker's capacity for a set of backends (capacityFor).
 */
import { join } from "node:path";
import type { Capacity } from "../domain/capacity.js";
import type { Backend } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { defaultStateRoot } from "../state/state-root.js";
import type { CapacityLimits, Executor } from "./executor.js";
import { combineCapacities, jobBackends, resolveBackend, type BackendChoice } from "./backend-resolution.js";
import { DockerExecutor } from "./docker/docker-executor.js";
import { LocalExecutor } from "./local/local-executor.js";
import { SlurmExecutor } from "./slurm/slurm-executor.js";
import { processRunner } from "./slurm/command-runner.js";
import type { ContainerRuntime } from "./slurm/container-command.js";
import { KubernetesJobExecutor } from "./kubernetes/kubernetes-executor.js";
import { kubernetesSettings, type KubernetesFlags } from "./kubernetes/settings.js";
import { ownerIdOf } from "../state/state-root.js";

export { DEFAULT_BACKEND, jobBackends, resolveBackend, type BackendChoice } from "./backend-resolution.js";

export function envsRoot(): string {
  return process.env.MULTIVERSE_ENVS_DIR ?? join(defaultStateRoot(), "envs");
}

export interface ExecutorContext {
  stateRoot: string;
  /** `--kube-*` flags (over MULTIVERSE_K8S_* variables) for the kubernetes backend. */
  kubernetes?: KubernetesFlags;
}

export function createExecutor(backend: Backend, context: ExecutorContext): Executor {
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
    case "kubernetes": {
      const docker = new DockerExecutor({ socketPath: process.env.MULTIVERSE_DOCKER_SOCKET });
      return new KubernetesJobExecutor({
        settings: kubernetesSettings(context.kubernetes ?? {}, process.env, context.stateRoot),
        owner: () => ownerIdOf(context.stateRoot),
        // Images built on this host: the same identity a Docker-run attempt records (see image-identity.ts).
        resolveLocalImage: (reference) => docker.resolveImage(reference),
      });
    }
    default:
      throw Errors.usage(`backend "${backend}" is not available in this version; supported: docker, local, slurm, kubernetes`);
  }
}

export interface ExecutorRegistryOptions {
  stateRoot: string;
  /** How an executor is made (tests inject fakes); createExecutor by default. */
  create?: (backend: Backend, stateRoot: string) => Executor;
}

/** The executors of one state root, created on first use, one per backend. */
export class ExecutorRegistry {
  /** The executors created so far, by backend (the same object for the registry's life). */
  readonly executors: Partial<Record<Backend, Executor>> = {};
  private readonly create: (backend: Backend, stateRoot: string) => Executor;

  constructor(private readonly options: ExecutorRegistryOptions) {
    this.create = options.create ?? ((backend, stateRoot) => createExecutor(backend, { stateRoot }));
  }

  get(backend: Backend): Executor {
    return (this.executors[backend] ??= this.create(backend, this.options.stateRoot));
  }

  /** The executors created so far (those whose engines may hold attempts, e.g. leftovers to release). */
  created(): Executor[] {
    return Object.values(this.executors).filter((executor): executor is Executor => executor !== undefined);
  }

  /** Stops the watches of the executors created so far (those that keep any). */
  async close(): Promise<void> {
    await Promise.all(this.created().map((executor) => executor.close?.()));
  }

  /** The executors of a set of backends, created now (e.g. to resolve images before planning). */
  forBackends(backends: Iterable<Backend>): Partial<Record<Backend, Executor>> {
    const chosen: Partial<Record<Backend, Executor>> = {};
    for (const backend of backends) chosen[backend] = this.get(backend);
    return chosen;
  }

  /** See resolveBackend: CLI override > job > benchmark > default. */
  resolveBackend(choice: BackendChoice): Backend {
    return resolveBackend(choice);
  }

  /** The backends of a benchmark's jobs (see resolveBackend). */
  jobBackends(spec: Parameters<typeof jobBackends>[0], choice: Parameters<typeof jobBackends>[1] = {}): Set<Backend> {
    return jobBackends(spec, choice);
  }

  /**
   * The broker's capacity for runs on these backends: the element-wise minimum of each executor's capacity()
   * (see combineCapacities). Only Slurm jobs: the cluster schedules, --max-concurrent caps the jobs in flight;
   * any backend on this host among them: the host's CPUs, memory (host_ram_gb) and GPUs.
   */
  capacityFor(backends: Iterable<Backend>, limits: CapacityLimits = {}): Capacity {
    const capacities = [...new Set(backends)].map((backend) => this.get(backend).capacity(limits));
    if (capacities.length === 0) throw new RangeError("capacityFor needs at least one backend");
    return combineCapacities(capacities);
  }
}
