/**
 * GPU utilisation and memory of the GPUs an attempt was given, read from the host with nvidia-smi (the driver's own
 * tool; no NVML binding needed). Where nvidia-smi is absent the reader says so once and reads nothing again.
 */
import { execFile } from "node:child_process";

export interface GpuSample {
  index: number;
  utilizationPercent?: number;
  memoryUsedMb?: number;
}

export interface GpuReading extends GpuSample {
  uuid: string;
}

export interface GpuReader {
  /** Every GPU of the host now; undefined when GPUs cannot be read here. */
  read(): Promise<GpuReading[] | undefined>;
}

/** Numbers nvidia-smi cannot give are printed as "[N/A]" or "[Not Supported]": left out, never read as 0. */
function numberOrUndefined(field: string | undefined): number | undefined {
  if (field === undefined) return undefined;
  const value = Number(field.trim());
  return field.trim() !== "" && Number.isFinite(value) ? value : undefined;
}

/** `nvidia-smi --query-gpu=index,uuid,utilization.gpu,memory.used --format=csv,noheader,nounits`. */
export function parseNvidiaSmiCsv(text: string): GpuReading[] {
  const readings: GpuReading[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const [index, uuid, utilization, memory] = line.split(",").map((f) => f.trim());
    const number = numberOrUndefined(index);
    if (number === undefined || !uuid) continue;
    const reading: GpuReading = { index: number, uuid };
    const utilizationPercent = numberOrUndefined(utilization);
    const memoryUsedMb = numberOrUndefined(memory);
    if (utilizationPercent !== undefined) reading.utilizationPercent = utilizationPercent;
    if (memoryUsedMb !== undefined) reading.memoryUsedMb = memoryUsedMb;
    readings.push(reading);
  }
  return readings;
}

/** A Docker device request as the engine reports it in HostConfig.DeviceRequests. */
export interface DeviceRequestShape {
  Driver?: string;
  Count?: number;
  DeviceIDs?: string[] | null;
  Capabilities?: string[][] | null;
}

/** Which GPUs a container was given: none, all of them (Count -1), or the listed indices/UUIDs. */
export function requestedGpus(requests: readonly DeviceRequestShape[] | null | undefined): "none" | "all" | string[] {
  const gpu = (requests ?? []).filter((r) => (r.Capabilities ?? []).some((set) => set.includes("gpu")) || r.Driver === "nvidia");
  if (gpu.length === 0) return "none";
  const ids = gpu.flatMap((r) => r.DeviceIDs ?? []);
  if (ids.length > 0) return ids;
  return gpu.some((r) => (r.Count ?? 0) !== 0) ? "all" : "none";
}

/** The readings of the GPUs given to the attempt (matched by index or UUID). */
export function gpusOfAttempt(readings: readonly GpuReading[], given: "all" | string[]): GpuSample[] {
  const chosen = given === "all" ? readings : readings.filter((r) => given.includes(String(r.index)) || given.includes(r.uuid));
  return chosen.map(({ index, utilizationPercent, memoryUsedMb }) => ({
    index,
    ...(utilizationPercent !== undefined ? { utilizationPercent } : {}),
    ...(memoryUsedMb !== undefined ? { memoryUsedMb } : {}),
  }));
}

export const NVIDIA_SMI_QUERY = ["--query-gpu=index,uuid,utilization.gpu,memory.used", "--format=csv,noheader,nounits"] as const;

export class NvidiaSmiReader implements GpuReader {
  private unavailable = false;

  constructor(private readonly command = "nvidia-smi", private readonly timeoutMs = 5000) {}

  read(): Promise<GpuReading[] | undefined> {
    if (this.unavailable) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      execFile(this.command, [...NVIDIA_SMI_QUERY], { timeout: this.timeoutMs, encoding: "utf8" }, (error, stdout) => {
        if (error) {
          // No driver tool on this host: stop trying. A failing call on a host that has it is retried next time.
          if ((error as NodeJS.ErrnoException).code === "ENOENT") this.unavailable = true;
          resolve(undefined);
          return;
        }
        resolve(parseNvidiaSmiCsv(stdout));
      });
    });
  }
}
