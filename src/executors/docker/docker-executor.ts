/**
 * The Docker executor (dockerode against the local engine): one container per attempt, named and labelled
 * deterministically, input mounted read-only, the workspace as /output, no network unless asked,
 * no-new-privileges, memory/CPU/GPU limits from the job.
 */
import { PassThrough } from "node:stream";
import { createRequire } from "node:module";
import type Docker from "dockerode";
import { BoundedLogFile } from "../../artifacts/bounded-log.js";
import type { Capacity } from "../../domain/capacity.js";
import type { ImageIdentity } from "../../domain/resources.js";
import { registryDigestOf } from "../../domain/image-reference.js";
import { attemptHandle, LABELS, LaunchError, type AttemptObservation, type CapacityLimits, type Executor, type LaunchRequest } from "../executor.js";
import { hostCapacity } from "../host-capacity.js";
import { requireMount, type Mount } from "../mounts.js";

/** dockerode is loaded when a Docker client is made, not when this module is imported: other backends start faster. */
const loadDockerode = (): typeof Docker => createRequire(import.meta.url)("dockerode") as typeof Docker;

interface DockerErrorShape {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string };
}

function statusOf(error: unknown): number | undefined {
  return (error as DockerErrorShape)?.statusCode;
}

function isEngineDown(error: unknown): boolean {
  const code = (error as DockerErrorShape)?.code;
  return code === "ENOENT" || code === "ECONNREFUSED" || code === "EACCES" || code === "ECONNRESET";
}

function engineMessage(error: unknown): string {
  const e = error as DockerErrorShape;
  return e?.json?.message ?? e?.message ?? String(error);
}

export interface DockerExecutorOptions {
  socketPath?: string;
  docker?: Docker;
}

export class DockerExecutor implements Executor {
  readonly backend = "docker" as const;
  private readonly docker: Docker;

  constructor(options: DockerExecutorOptions = {}) {
    this.docker = options.docker ?? new (loadDockerode())({ socketPath: options.socketPath ?? "/var/run/docker.sock" });
  }

  /** Containers share this host: its CPUs, memory and GPUs. */
  capacity(limits?: CapacityLimits): Capacity {
    return hostCapacity(limits);
  }

  async resolveImage(reference: string): Promise<ImageIdentity | null> {
    try {
      const info = await this.docker.getImage(reference).inspect();
      const digest = registryDigestOf(reference, info.RepoDigests ?? []);
      if (digest) return { reference, kind: "registry", digest };
      return { reference, kind: "unverified_local", digest: info.Id };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      if (isEngineDown(error)) throw new LaunchError("engine_unavailable", `the Docker engine does not answer: ${engineMessage(error)}`, { cause: error });
      throw error;
    }
  }

  /** Pulls `reference` (repo@digest for an exact image) from its registry; a registry that refuses is an image_missing LaunchError. */
  async pullImage(reference: string): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(reference);
    } catch (error) {
      if (isEngineDown(error)) throw new LaunchError("engine_unavailable", `the Docker engine does not answer: ${engineMessage(error)}`, { cause: error });
      throw new LaunchError("image_missing", `pulling ${reference} failed: ${engineMessage(error)}`, { cause: error });
    }
    const outcome = await new Promise<string | undefined>((resolve) => {
      this.docker.modem.followProgress(stream, (error: unknown, output: unknown[] | undefined) => {
        const refused = (output ?? []).map((entry) => (entry as { error?: string }).error).find((text) => typeof text === "string");
        resolve(error ? engineMessage(error) : refused);
      });
    });
    if (outcome !== undefined) throw new LaunchError("image_missing", `pulling ${reference} failed: ${outcome}`);
  }

  async launch(request: LaunchRequest): Promise<void> {
    const name = attemptHandle(request.attemptId);
    const existing = await this.inspect(name);
    if (existing) {
      if (existing.State.Status === "created") await this.start(name);
      return;
    }
    const hostConfig: Docker.HostConfig = {
      Binds: request.mounts.map(bindOf),
      SecurityOpt: ["no-new-privileges"],
      NetworkMode: request.network ? "bridge" : "none",
      Init: true,
    };
    if (request.network) hostConfig.ExtraHosts = ["host.docker.internal:host-gateway"];
    if (request.memLimitBytes !== undefined) {
      hostConfig.Memory = request.memLimitBytes;
      hostConfig.MemorySwap = request.memLimitBytes;
    }
    if (request.cpus !== undefined) hostConfig.NanoCpus = Math.round(request.cpus * 1e9);
    if (request.gpu) hostConfig.DeviceRequests = [{ Driver: "nvidia", Count: -1, Capabilities: [["gpu"]] }];
    try {
      await this.docker.createContainer({
        name,
        Image: request.image,
        Env: Object.entries(request.env).map(([k, v]) => `${k}=${v}`),
        Labels: {
          [LABELS.managed]: "true",
          [LABELS.owner]: request.ownerId,
          [LABELS.attempt]: request.attemptId,
          [LABELS.run]: request.runId,
        },
        WorkingDir: requireMount(request.mounts, "workspace").target,
        HostConfig: hostConfig,
      });
    } catch (error) {
      if (statusOf(error) === 409) {
        // created concurrently by an earlier call for the same attempt: idempotent
      } else if (statusOf(error) === 404) {
        throw new LaunchError("image_missing", `image ${request.image} is not present in the local Docker engine (build it, e.g. scripts/build-images.sh)`, { cause: error });
      } else if (isEngineDown(error)) {
        throw new LaunchError("engine_unavailable", `the Docker engine does not answer: ${engineMessage(error)}`, { cause: error });
      } else {
        throw new LaunchError("launch_error", `container create failed: ${engineMessage(error)}`, { cause: error });
      }
    }
    await this.start(name);
  }

  private async start(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).start();
    } catch (error) {
      if (statusOf(error) === 304) return; // already started
      if (isEngineDown(error)) throw new LaunchError("engine_unavailable", `the Docker engine does not answer: ${engineMessage(error)}`, { cause: error });
      throw new LaunchError("launch_error", `container start failed: ${engineMessage(error)}`, { cause: error });
    }
  }

  private async inspect(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(name).inspect();
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      if (isEngineDown(error)) throw new LaunchError("engine_unavailable", `the Docker engine does not answer: ${engineMessage(error)}`, { cause: error });
      throw error;
    }
  }

  async observe(attemptId: string): Promise<AttemptObservation> {
    const info = await this.inspect(attemptHandle(attemptId));
    if (!info) return { attemptId, state: "missing" };
    return toObservation(attemptId, info);
  }

  async cancel(attemptId: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(attemptHandle(attemptId)).stop({ t: graceSeconds });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 304) return;
      throw error;
    }
  }

  /** Streamed into a bounded file (BoundedLogFile): the whole log is never held in memory. */
  async collectLogs(attemptId: string, destinationFile: string): Promise<void> {
    const container = this.docker.getContainer(attemptHandle(attemptId));
    const info = await container.inspect();
    const stream = (await container.logs({ stdout: true, stderr: true, follow: true, timestamps: false })) as NodeJS.ReadableStream;
    const out = new BoundedLogFile(destinationFile);
    const done = new Promise<void>((resolve, reject) => {
      out.on("finish", resolve);
      out.on("error", reject);
      stream.on("error", reject);
    });
    if (info.Config.Tty) stream.pipe(out);
    else {
      this.docker.modem.demuxStream(stream, out, out);
      stream.on("end", () => out.end());
    }
    await done;
  }

  async listOwned(ownerId: string): Promise<AttemptObservation[]> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${LABELS.owner}=${ownerId}`] } });
    const observations: AttemptObservation[] = [];
    for (const summary of containers) {
      const attemptId = summary.Labels[LABELS.attempt];
      if (!attemptId) continue;
      const info = await this.inspect(summary.Id);
      if (info) observations.push(toObservation(attemptId, info));
    }
    return observations;
  }

  async waitForExit(attemptId: string): Promise<void> {
    try {
      await this.docker.getContainer(attemptHandle(attemptId)).wait({ condition: "not-running" });
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw error;
    }
  }

  async release(attemptId: string): Promise<void> {
    try {
      await this.docker.getContainer(attemptHandle(attemptId)).remove({ force: true });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 409) return; // gone, or removal already in progress
      throw error;
    }
  }
}

/** A contract mount as a Docker bind: source:target:ro|rw. */
function bindOf(mount: Mount): string {
  return `${mount.source}:${mount.target}:${mount.readOnly ? "ro" : "rw"}`;
}

function toObservation(attemptId: string, info: Docker.ContainerInspectInfo): AttemptObservation {
  const state = info.State;
  const status = state.Status;
  const zero = "0001-01-01T00:00:00Z";
  // Removed (or being removed) behind our back: the attempt's outcome is unknown, not a result of the model.
  if (status === "removing" || status === "dead") {
    return { attemptId, state: "missing", error: `the container is ${status} in the engine`, labels: info.Config.Labels ?? {} };
  }
  const observation: AttemptObservation = {
    attemptId,
    state: status === "created" ? "created" : status === "running" || status === "restarting" || status === "paused" ? "running" : "exited",
    labels: info.Config.Labels ?? {},
  };
  if (state.StartedAt && state.StartedAt !== zero) observation.startedAt = state.StartedAt;
  if (observation.state === "exited") {
    observation.exitCode = state.ExitCode;
    observation.oomKilled = state.OOMKilled;
    if (state.FinishedAt && state.FinishedAt !== zero) observation.finishedAt = state.FinishedAt;
  }
  if (state.Error) observation.error = state.Error;
  return observation;
}

/** Docker's multiplexed log stream: 8-byte frame headers (stream type, 3 zero bytes, big-endian length). */
export function demultiplex(raw: Buffer, sink: PassThrough): void {
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const length = raw.readUInt32BE(offset + 4);
    const start = offset + 8;
    sink.write(raw.subarray(start, Math.min(raw.length, start + length)));
    offset = start + length;
  }
}

export async function pingDocker(socketPath = "/var/run/docker.sock"): Promise<boolean> {
  try {
    await new (loadDockerode())({ socketPath }).ping();
    return true;
  } catch {
    return false;
  }
}
