/**
 * The Slurm executor: one batch job per attempt, named after the attempt and commented with its owner, so that
 * a restarted controller finds and adopts its jobs instead of submitting them again. The queue is read with one
 * squeue call per poll for all attempts (shared by concurrent observers); a job that has left the queue is
 * resolved from the exit code file its batch script writes into the workspace. Slurm pushes nothing, so there is
 * no waitForExit: the controller polls, and one squeue answer serves all of its observers.
 */
import { createHash } from "node:crypto";
import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ImageIdentity } from "../../domain/resources.js";
import { attemptHandle, LaunchError, type AttemptObservation, type Executor, type LaunchRequest } from "../executor.js";
import { EXIT_FILE, JOB_LOG, renderBatchScript, SCRIPT_FILE, type SlurmResources } from "./batch-script.js";
import type { CommandRunner } from "./command-runner.js";
import type { ContainerRuntime } from "./container-command.js";
import { endedObservation, queuedState } from "./job-state.js";
import { parseSqueueJson, parseSqueuePlain, PLAIN_FORMAT, type QueuedJob } from "./squeue.js";

export interface SlurmExecutorOptions {
  runner: CommandRunner;
  /** Container runtime inside the batch script. */
  runtime: ContainerRuntime;
  /** Where per-attempt bookkeeping lives (job id, workspace), under the state root. */
  runtimeDir: string;
  /** Cluster settings every job gets (partition, account, qos, ...); per-attempt resources come from the request. */
  defaults?: SlurmResources;
  /** Where SIF images are found for apptainer/singularity: <sifDir>/<slug>-<version>.sif. */
  sifDir?: string;
  /** How long one squeue answer serves observers (default 1 s). */
  queueTtlMs?: number;
  /** The Docker runtime's image identity (the engine's image id or digest). */
  resolveDockerImage?: (reference: string) => Promise<ImageIdentity | null>;
  clock?: () => number;
}

interface AttemptRecord {
  jobId?: string;
  workspaceDir: string;
  containerName: string;
}

export class SlurmExecutor implements Executor {
  readonly backend = "slurm" as const;
  private snapshot: { at: number; jobs: Map<string, QueuedJob> } | undefined;
  private inflight: Promise<Map<string, QueuedJob>> | undefined;
  private jsonSupported = true;
  /** squeue invocations so far (the one-call-per-poll promise is tested against it). */
  queueReads = 0;

  constructor(private readonly options: SlurmExecutorOptions) {
    mkdirSync(options.runtimeDir, { recursive: true });
  }

  private get clock(): () => number {
    return this.options.clock ?? Date.now;
  }

  /** The image a job runs: a SIF file for apptainer/singularity, the engine's image for docker. */
  imageFor(reference: string, model?: { slug: string; version?: string }): string {
    if (this.options.runtime === "docker" || reference.endsWith(".sif")) return reference;
    if (!model || !this.options.sifDir) return reference;
    return join(this.options.sifDir, `${model.slug}-${model.version ?? "latest"}.sif`);
  }

  async resolveImage(reference: string, model?: { slug: string; version?: string }): Promise<ImageIdentity | null> {
    if (this.options.runtime === "docker") return this.options.resolveDockerImage ? this.options.resolveDockerImage(reference) : null;
    const sif = this.imageFor(reference, model);
    if (!existsSync(sif)) return null;
    const digest = `sha256:${await sha256File(sif)}`;
    return { reference: sif, kind: "unverified_local", digest, sifDigest: digest };
  }

  async launch(request: LaunchRequest): Promise<void> {
    const name = attemptHandle(request.attemptId);
    const record: AttemptRecord = { workspaceDir: request.workspaceDir, containerName: `${name}-slurm`, ...this.read(request.attemptId) };
    const queued = (await this.queue(true)).get(name);
    if (queued) {
      this.write(request.attemptId, { ...record, jobId: queued.jobId });
      return; // submitted before (a restart): adopt it
    }
    if (record.jobId || existsSync(join(request.workspaceDir, EXIT_FILE))) return; // ran and left the queue: observe() resolves it
    const script = renderBatchScript({
      jobName: name,
      comment: `multiverse owner=${request.ownerId} run=${request.runId} attempt=${request.attemptId}`,
      workspaceDir: request.workspaceDir,
      resources: {
        ...this.options.defaults,
        ...(request.cpus !== undefined ? { cpusPerTask: request.cpus } : {}),
        ...(request.memLimitBytes !== undefined ? { memGb: request.memLimitBytes / 1024 ** 3 } : {}),
        ...(request.gpu ? { gpus: 1 } : {}),
        ...(request.timeoutSeconds !== undefined ? { timeMinutes: request.timeoutSeconds / 60 } : {}),
      },
      container: {
        runtime: this.options.runtime,
        image: this.imageFor(request.image, request.modelSlug ? { slug: request.modelSlug, version: request.modelVersion } : undefined),
        datasetPath: request.datasetPath,
        workspaceDir: request.workspaceDir,
        env: request.env,
        gpu: request.gpu,
        network: request.network ?? false,
        containerName: record.containerName,
        ...(request.memLimitBytes !== undefined ? { memLimitBytes: request.memLimitBytes } : {}),
        ...(request.cpus !== undefined ? { cpus: request.cpus } : {}),
      },
    });
    const scriptPath = join(request.workspaceDir, SCRIPT_FILE);
    writeFileSync(scriptPath, script, { mode: 0o755 });
    // Recorded before sbatch: a crash in between leaves a record without a job id, found by name on the next launch.
    this.write(request.attemptId, record);
    const submitted = await this.options.runner.run("sbatch", ["--parsable", scriptPath]);
    if (submitted.code !== 0) throw submitFailure(submitted.code, submitted.stderr);
    const jobId = submitted.stdout.trim().split(";")[0] ?? "";
    this.write(request.attemptId, { ...record, jobId });
    this.snapshot = undefined;
  }

  async observe(attemptId: string): Promise<AttemptObservation> {
    const record = this.read(attemptId);
    const job = (await this.queue(false)).get(attemptHandle(attemptId));
    const detail = {
      ...(job && job.startTime > 0 ? { startedAt: new Date(job.startTime * 1000).toISOString() } : {}),
      ...(job && job.endTime > 0 && queuedState(job.state) === "ended" ? { finishedAt: new Date(job.endTime * 1000).toISOString() } : {}),
      ...(job?.reason && job.reason !== "None" ? { reason: job.reason } : {}),
    };
    if (job && queuedState(job.state) === "running") {
      return { attemptId, state: "running", ...(detail.startedAt ? { startedAt: detail.startedAt } : {}), labels: { jobId: job.jobId, slurmState: job.state } };
    }
    if (!record) return { attemptId, state: "missing" };
    const exitCode = readExitCode(record.workspaceDir);
    if (job) return endedObservation(attemptId, job.state, exitCode, detail);
    if (exitCode !== undefined) return endedObservation(attemptId, undefined, exitCode, {});
    const accounted = record.jobId ? await this.sacct(record.jobId) : undefined;
    if (accounted) return endedObservation(attemptId, accounted, undefined, {});
    return { attemptId, state: "missing", ...(record.jobId ? { error: `job ${record.jobId} left the queue without an exit code file` } : {}) };
  }

  async cancel(attemptId: string, graceSeconds: number): Promise<void> {
    const name = attemptHandle(attemptId);
    const record = this.read(attemptId);
    // SIGTERM to the batch step first, so the model may flush; scancel then kills after the cluster's KillWait.
    await this.options.runner.run("scancel", ["--signal=TERM", "--full", `--name=${name}`]);
    if (this.options.runtime === "docker" && record) {
      await this.options.runner.run("docker", ["stop", "-t", String(Math.max(0, Math.round(graceSeconds))), record.containerName]);
    }
    await this.options.runner.run("scancel", [`--name=${name}`]);
    this.snapshot = undefined;
  }

  async collectLogs(attemptId: string, destinationFile: string): Promise<void> {
    const record = this.read(attemptId);
    if (!record) return;
    const source = join(record.workspaceDir, JOB_LOG);
    if (source === destinationFile || !existsSync(source)) return; // the job writes its log where it is collected
    copyFileSync(source, destinationFile);
  }

  async listOwned(ownerId: string): Promise<AttemptObservation[]> {
    const jobs = [...(await this.queue(true)).values()].filter((job) => job.comment.includes(`owner=${ownerId}`));
    const observations: AttemptObservation[] = [];
    for (const job of jobs) {
      const attemptId = /attempt=(\S+)/.exec(job.comment)?.[1];
      if (attemptId) observations.push({ ...(await this.observe(attemptId)), labels: { jobId: job.jobId, slurmState: job.state } });
    }
    return observations;
  }

  async release(attemptId: string): Promise<void> {
    const record = this.read(attemptId);
    if (record && this.options.runtime === "docker") await this.options.runner.run("docker", ["rm", "-f", record.containerName]);
  }

  /** One squeue call serves every observer for queueTtlMs; concurrent callers share the call in flight. */
  private async queue(fresh: boolean): Promise<Map<string, QueuedJob>> {
    const ttl = this.options.queueTtlMs ?? 1000;
    if (!fresh && this.snapshot && this.clock() - this.snapshot.at < ttl) return this.snapshot.jobs;
    if (this.inflight) return this.inflight;
    this.inflight = this.readQueue().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async readQueue(): Promise<Map<string, QueuedJob>> {
    this.queueReads += 1;
    let jobs: QueuedJob[];
    if (this.jsonSupported) {
      const result = await this.options.runner.run("squeue", ["--json"]);
      if (result.code === 0) jobs = parseSqueueJson(result.stdout);
      else if (/json|unrecognized|invalid option|data_parser/i.test(result.stderr)) {
        this.jsonSupported = false;
        return this.readQueue();
      } else throw queueFailure(result.code, result.stderr);
    } else {
      const result = await this.options.runner.run("squeue", PLAIN_FORMAT);
      if (result.code !== 0) throw queueFailure(result.code, result.stderr);
      jobs = parseSqueuePlain(result.stdout);
    }
    const byName = new Map<string, QueuedJob>();
    for (const job of jobs) if (job.name.startsWith("mv-")) byName.set(job.name, job);
    this.snapshot = { at: this.clock(), jobs: byName };
    return byName;
  }

  /** The final state from accounting, when the cluster keeps it; undefined without accounting. */
  private async sacct(jobId: string): Promise<string | undefined> {
    const result = await this.options.runner.run("sacct", ["-n", "-X", "-P", "-o", "State", "-j", jobId]);
    if (result.code !== 0) return undefined;
    const state = result.stdout.trim().split("\n")[0]?.split(" ")[0];
    return state || undefined;
  }

  private file(attemptId: string): string {
    return join(this.options.runtimeDir, `${attemptId}.json`);
  }

  private read(attemptId: string): AttemptRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.file(attemptId), "utf8")) as AttemptRecord;
    } catch {
      return undefined;
    }
  }

  private write(attemptId: string, record: AttemptRecord): void {
    const file = this.file(attemptId);
    writeFileSync(`${file}.tmp`, JSON.stringify(record));
    renameSync(`${file}.tmp`, file);
  }

  /** For tests and doctor: forget the bookkeeping of an attempt. */
  forget(attemptId: string): void {
    rmSync(this.file(attemptId), { force: true });
  }
}

function readExitCode(workspaceDir: string): number | undefined {
  try {
    const text = readFileSync(join(workspaceDir, EXIT_FILE), "utf8").trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

function submitFailure(code: number, stderr: string): LaunchError {
  const message = stderr.trim() || `sbatch exited with ${code}`;
  if (code === 127 || /Unable to contact slurm controller|Connection refused|Socket timed out/i.test(message)) {
    return new LaunchError("engine_unavailable", `Slurm does not answer: ${message}`);
  }
  return new LaunchError("launch_error", `sbatch refused the job: ${message}`);
}

function queueFailure(code: number, stderr: string): LaunchError {
  return new LaunchError("engine_unavailable", `squeue failed (${code}): ${stderr.trim()}`);
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}
