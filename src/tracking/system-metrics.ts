/**
 * Host-side resource sampling of a running attempt, behind a small interface, and the conversion of samples
 * to MLflow's system metric names (`system/...`, as MLflow's own monitor names them).
 */
import { createRequire } from "node:module";
import type Docker from "dockerode";
import { attemptHandle } from "../executors/executor.js";
import type { MlflowMetric } from "./mlflow-types.js";
import { gpusOfAttempt, NvidiaSmiReader, requestedGpus, type DeviceRequestShape, type GpuReader, type GpuSample } from "./gpu-metrics.js";

/** dockerode is loaded when a Docker client is made, not when this module is imported: other backends start faster. */
const loadDockerode = (): typeof Docker => createRequire(import.meta.url)("dockerode") as typeof Docker;

export type { GpuSample } from "./gpu-metrics.js";

export interface ResourceSample {
  /** Milliseconds since the epoch. */
  timestamp: number;
  cpuPercent?: number;
  memoryBytes?: number;
  memoryLimitBytes?: number;
  gpus?: GpuSample[];
}

export interface ResourceSampler {
  /** Where the numbers come from, recorded as a tag. */
  readonly source: string;
  /** One sample of the attempt; "gone" once it no longer runs; undefined when nothing could be read this time. */
  sample(attemptId: string): Promise<ResourceSample | "gone" | undefined>;
}

/** The subset of `docker stats` (GET /containers/{id}/stats?stream=false) used here. */
export interface DockerStatsDocument {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

/**
 * CPU percent the way `docker stats` computes it (100 = one full core) and memory without the page cache
 * (cgroup v2 `inactive_file`, v1 `total_inactive_file`), as `docker stats` shows it.
 */
export function sampleFromDockerStats(stats: DockerStatsDocument, now: number): ResourceSample {
  const sample: ResourceSample = { timestamp: now };
  const cpu = stats.cpu_stats;
  const pre = stats.precpu_stats;
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  const cores = cpu?.online_cpus ?? cpu?.cpu_usage?.percpu_usage?.length ?? 1;
  if (pre?.system_cpu_usage !== undefined && systemDelta > 0 && cpuDelta >= 0) sample.cpuPercent = (cpuDelta / systemDelta) * cores * 100;
  const memory = stats.memory_stats;
  if (memory?.usage !== undefined) {
    const cache = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? 0;
    sample.memoryBytes = Math.max(0, memory.usage - (cache < memory.usage ? cache : 0));
    if (memory.limit !== undefined && memory.limit > 0) sample.memoryLimitBytes = memory.limit;
  }
  return sample;
}

/** Samples as MLflow system metrics, one step per sample. */
export function systemMetrics(samples: readonly ResourceSample[], firstStep = 0): MlflowMetric[] {
  const metrics: MlflowMetric[] = [];
  samples.forEach((s, step) => {
    const push = (key: string, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value)) metrics.push({ key, value: Math.round(value * 1000) / 1000, timestamp: s.timestamp, step: firstStep + step });
    };
    push("system/cpu_utilization_percentage", s.cpuPercent);
    if (s.memoryBytes !== undefined) {
      push("system/system_memory_usage_megabytes", s.memoryBytes / 1024 / 1024);
      if (s.memoryLimitBytes) push("system/system_memory_usage_percentage", (s.memoryBytes / s.memoryLimitBytes) * 100);
    }
    for (const gpu of s.gpus ?? []) {
      push(`system/gpu_${gpu.index}_utilization_percentage`, gpu.utilizationPercent);
      push(`system/gpu_${gpu.index}_memory_usage_megabytes`, gpu.memoryUsedMb);
    }
  });
  return metrics;
}

interface DockerErrorShape {
  statusCode?: number;
}

/**
 * The Docker engine's own accounting of the attempt's container (cgroup numbers, as `docker stats`), plus the
 * utilisation and memory of the GPUs the container was given, from nvidia-smi, where the host has GPUs.
 */
export class DockerStatsSampler implements ResourceSampler {
  readonly source = "docker stats";
  private readonly docker: Docker;
  private readonly gpus: GpuReader;

  constructor(options: { socketPath?: string; docker?: Docker; gpus?: GpuReader } = {}) {
    this.docker = options.docker ?? new (loadDockerode())({ socketPath: options.socketPath ?? "/var/run/docker.sock" });
    this.gpus = options.gpus ?? new NvidiaSmiReader();
  }

  async sample(attemptId: string): Promise<ResourceSample | "gone" | undefined> {
    const container = this.docker.getContainer(attemptHandle(attemptId));
    try {
      const info = await container.inspect();
      if (info.State.Status === "created") return undefined;
      if (info.State.Status !== "running") return "gone";
      const stats = (await container.stats({ stream: false })) as unknown as DockerStatsDocument;
      const sample = sampleFromDockerStats(stats, Date.now());
      const given = requestedGpus(info.HostConfig?.DeviceRequests as DeviceRequestShape[] | undefined);
      if (given !== "none") {
        const readings = await this.gpus.read();
        if (readings) sample.gpus = gpusOfAttempt(readings, given);
      }
      return sample;
    } catch (error) {
      if ((error as DockerErrorShape)?.statusCode === 404) return undefined; // not created yet, or already released
      return undefined;
    }
  }
}

/**
 * Samples one attempt every `intervalMs` until stopped or the attempt is gone. Samples are kept in memory and
 * handed to `onSamples` in groups of `flushEvery` (for live logging); `stop()` returns every sample taken.
 */
export class SamplingLoop {
  private readonly samples: ResourceSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private flushed = 0;
  private missing = 0;

  constructor(
    private readonly sampler: ResourceSampler,
    private readonly attemptId: string,
    private readonly options: { intervalMs: number; flushEvery: number; onSamples?: (samples: ResourceSample[], firstStep: number) => void; maxMissing?: number },
  ) {}

  start(): void {
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const result = await this.sampler.sample(this.attemptId).catch(() => undefined);
    if (this.stopped) return;
    if (result === "gone") {
      this.stopped = true;
      return;
    }
    if (result === undefined) {
      this.missing += 1;
      // Never seen running for a long time (launch failed, or the container was released): give up.
      if (this.samples.length === 0 && this.missing > (this.options.maxMissing ?? 120)) {
        this.stopped = true;
        return;
      }
    } else {
      this.samples.push(result);
      if (this.options.onSamples && this.samples.length - this.flushed >= this.options.flushEvery) {
        const batch = this.samples.slice(this.flushed);
        this.options.onSamples(batch, this.flushed);
        this.flushed = this.samples.length;
      }
    }
    this.schedule(this.options.intervalMs);
  }

  /** Stops sampling; returns the samples not yet handed to onSamples, and the step of the first of them. */
  stop(): { samples: ResourceSample[]; firstStep: number; all: ResourceSample[] } {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    return { samples: this.samples.slice(this.flushed), firstStep: this.flushed, all: [...this.samples] };
  }
}
