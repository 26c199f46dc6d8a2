/**
 * The Slurm executor: one batch job per attempt, named after the attempt and commented with its owner, so that
 * a restarted controller finds and adopts its jobs instead of submitting them again. The queue is read with one
 * squeue call per poll for all attempts (shared by concurrent observers); a job that has left the queue is
 * resolved from the exit code file its batch script writes into the workspace. Slurm pushes nothing, so there is
 * no waitForExit: the controller polls, and one squeue answer serves all of its observers.
 */
import { createHash } from "node:crypto";
import { closeSync, copyFileSync, createReadStream, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { Capacity } from "../../domain/capacity.js";
import type { ImageIdentity } from "../../domain/resources.js";
import { attemptHandle, LABELS, LaunchError, type AttemptObservation, type CapacityLimits, type Executor, type LaunchRequest, type ModelRef } from "../executor.js";
import { requireMount } from "../mounts.js";
import { slurmCapacity } from "./capacity.js";
import { EXIT_FILE, JOB_LOG, renderBatchScript, SCRIPT_FILE, type SlurmResources } from "./batch-script.js";
import type { CommandRunner } from "./command-runner.js";
import type { ContainerRuntime } from "./container-command.js";
import { endedObservation, memoryKillInLog, queuedState } from "./job-state.js";
import { jobResources, wantsGpu } from "./job-resources.js";
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

/** The longest a failed squeue answer is kept before the queue is read again. */
const QUEUE_BACKOFF_MAX_MS = 30_000;

/** Memory the batch job needs beside a Docker-run model (the docker client and the script); see jobResources. */
const DOCKER_CLIENT_HEADROOM_GB = 0.25;

interface AttemptRecord {
  jobId?: string;
  workspaceDir: string;
  containerName: string;
  /** Who launched it (listOwned finds attempts that have left the queue by these). */
  ownerId?: string;
  runId?: string;
}

export class SlurmExecutor implements Executor {
  readonly backend = "slurm" as const;
  private snapshot: { at: number; jobs: Map<string, QueuedJob> } | undefined;
  private inflight: Promise<Map<string, QueuedJob>> | undefined;
  private jsonSupported = true;
  private queueFailure: { until: number; error: unknown; streak: number } | undefined;
  /** False once sacct has said the cluster keeps no accounting: it is not asked again. */
  private accounting = true;
  /** squeue invocations so far (the one-call-per-poll promise is tested against it). */
  queueReads = 0;

  constructor(private readonly options: SlurmExecutorOptions) {
    mkdirSync(options.runtimeDir, { recursive: true });
  }

  private get clock(): () => number {
    return this.options.clock ?? Date.now;
  }

  /** The cluster schedules CPUs, memory and GPUs; only the jobs in flight are capped (--max-concurrent). */
  capacity(limits?: CapacityLimits): Capacity {
    return slurmCapacity(limits?.maxConcurrent);
  }

  /** The image a job runs: a SIF file for apptainer/singularity, the engine's image for docker. */
  imageFor(reference: string, model?: ModelRef): string {
    if (this.options.runtime === "docker" || reference.endsWith(".sif") || isAbsolute(reference)) return reference;
    if (!model || !this.options.sifDir) return reference;
    return join(this.options.sifDir, `${model.slug}-${model.version ?? "latest"}.sif`);
  }

  async resolveImage(reference: string, model?: ModelRef): Promise<ImageIdentity | null> {
    if (this.options.runtime === "docker") return this.options.resolveDockerImage ? this.options.resolveDockerImage(reference) : null;
    const sif = this.imageFor(reference, model);
    if (!existsSync(sif)) return null;
    const digest = `sha256:${await sha256File(sif)}`;
    return { reference: sif, kind: "unverified_local", digest, sifDigest: digest };
  }

  async launch(request: LaunchRequest): Promise<void> {
    const name = attemptHandle(request.attemptId);
    const known = this.read(request.attemptId);
    const workspaceDir = requireMount(request.mounts, "workspace").source;
    const record: AttemptRecord = { workspaceDir, containerName: `${name}-slurm`, ownerId: request.ownerId, runId: request.runId, ...known };
    if (record.jobId || existsSync(join(workspaceDir, EXIT_FILE))) return; // submitted before: observe() follows it
    if (known) {
      // A record without a job id: a crash between the record and sbatch's answer. The queue says whether sbatch ran.
      // (No record means never submitted, as the record is written first: a first launch reads no queue.)
      const queued = (await this.queue(false)).get(name);
      if (queued) {
        this.write(request.attemptId, { ...record, jobId: queued.jobId });
        return;
      }
    }
    const image = this.imageFor(request.image, request.model);
    if (this.options.runtime !== "docker" && !existsSync(image)) {
      throw new LaunchError("image_missing", `the SIF ${image} does not exist (build it with: multiverse build-sif --slug ${request.model?.slug ?? "<slug>"})`);
    }
    const resources = jobResources(this.options.defaults, { ...request, slurm: request.settings?.slurm }, this.options.runtime === "docker" ? DOCKER_CLIENT_HEADROOM_GB : 0);
    const script = renderBatchScript({
      jobName: name,
      comment: `multiverse owner=${request.ownerId} run=${request.runId} attempt=${request.attemptId}`,
      workspaceDir,
      resources,
      container: {
        runtime: this.options.runtime,
        image,
        mounts: request.mounts,
        env: request.env,
        gpu: wantsGpu(resources, request.gpu),
        network: request.network ?? false,
        containerName: record.containerName,
        ...(request.memLimitBytes !== undefined ? { memLimitBytes: request.memLimitBytes } : {}),
        ...(request.cpus !== undefined ? { cpus: request.cpus } : {}),
      },
    });
    const scriptPath = join(workspaceDir, SCRIPT_FILE);
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
    const memoryExceeded = exitCode !== 0 && memoryKillInLog(logTail(join(record.workspaceDir, JOB_LOG)));
    if (job) return endedObservation(attemptId, job.state, exitCode, { ...detail, memoryExceeded });
    if (exitCode !== undefined || memoryExceeded) return endedObservation(attemptId, undefined, exitCode, { memoryExceeded });
    const accounted = record.jobId ? await this.sacct(record.jobId) : undefined;
    if (accounted) return endedObservation(attemptId, accounted, undefined, {});
    return { attemptId, state: "missing", ...(record.jobId ? { error: `job ${record.jobId} left the queue without an exit code file` } : {}) };
  }

  async cancel(attemptId: string, graceSeconds: number): Promise<void> {
    const name = attemptHandle(attemptId);
    const record = this.read(attemptId);
    const job = (await this.queue(false)).get(name);
    // A job that never started has nothing to flush: signalling it would only make scancel retry until it starts.
    if (job && queuedState(job.state) === "running" && !notStarted(job.state)) {
      // SIGTERM to the batch step first, so the model may flush; then the grace period; then scancel kills.
      await this.options.runner.run("scancel", ["--signal=TERM", "--full", `--name=${name}`]);
      if (this.options.runtime === "docker" && record) {
        await this.options.runner.run("docker", ["stop", "-t", String(Math.max(0, Math.round(graceSeconds))), record.containerName]);
      } else {
        await this.waitUntilEnded(name, graceSeconds * 1000);
      }
    }
    await this.options.runner.run("scancel", [`--name=${name}`]);
    this.snapshot = undefined;
  }

  /** Polls the shared queue answer until the job has ended or the time is up (cancels of many jobs share the reads). */
  private async waitUntilEnded(name: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms; // real time: the waiting is real, whatever clock the cache uses
    for (;;) {
      const job = (await this.queue(false)).get(name);
      if (!job || queuedState(job.state) === "ended" || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
  }

  async collectLogs(attemptId: string, destinationFile: string): Promise<void> {
    const record = this.read(attemptId);
    if (!record) return;
    const source = join(record.workspaceDir, JOB_LOG);
    if (source === destinationFile || !existsSync(source)) return; // the job writes its log where it is collected
    copyFileSync(source, destinationFile);
  }

  /**
   * This owner's attempts: the jobs in the queue whose comment names the owner, and the attempts recorded here that
   * have left it (a cluster's MinJobAge may be short). Released attempts are forgotten and not listed.
   */
  async listOwned(ownerId: string): Promise<AttemptObservation[]> {
    const owned = new Map<string, { runId?: string; job?: QueuedJob }>();
    for (const job of (await this.queue(true)).values()) {
      const fields = commentFields(job.comment);
      if (fields.owner === ownerId && fields.attempt) owned.set(fields.attempt, { runId: fields.run, job });
    }
    for (const file of readdirSync(this.options.runtimeDir)) {
      if (!file.endsWith(".json")) continue;
      const attemptId = file.slice(0, -".json".length);
      const record = this.read(attemptId);
      if (record?.ownerId === ownerId && !owned.has(attemptId)) owned.set(attemptId, { runId: record.runId });
    }
    const observations: AttemptObservation[] = [];
    for (const [attemptId, { runId, job }] of owned) {
      const observation = await this.observe(attemptId);
      if (observation.state === "missing" && !this.read(attemptId)) continue; // released
      observations.push({
        ...observation,
        labels: {
          [LABELS.owner]: ownerId,
          [LABELS.attempt]: attemptId,
          ...(runId ? { [LABELS.run]: runId } : {}),
          ...(job ? { jobId: job.jobId, slurmState: job.state } : {}),
        },
      });
    }
    return observations;
  }

  /** Forgets the attempt's bookkeeping (and removes a Docker-runtime container); the workspace is never touched. */
  async release(attemptId: string): Promise<void> {
    const record = this.read(attemptId);
    if (record && this.options.runtime === "docker") await this.options.runner.run("docker", ["rm", "-f", record.containerName]);
    this.forget(attemptId);
  }

  /**
   * One squeue call serves every observer for queueTtlMs; concurrent callers share the call in flight. A failed
   * call is shared the same way, and kept for longer after each failure in a row (doubling, at most
   * QUEUE_BACKOFF_MAX_MS), so a controller that cannot reach slurmctld does not hammer it with one call per job.
   */
  private async queue(fresh: boolean): Promise<Map<string, QueuedJob>> {
    const ttl = this.options.queueTtlMs ?? 1000;
    if (!fresh && this.snapshot && this.clock() - this.snapshot.at < ttl) return this.snapshot.jobs;
    if (this.queueFailure && this.clock() < this.queueFailure.until) throw this.queueFailure.error;
    if (this.inflight) return this.inflight;
    this.inflight = this.readQueue()
      .then(
        (jobs) => {
          this.queueFailure = undefined;
          return jobs;
        },
        (error: unknown) => {
          const streak = (this.queueFailure?.streak ?? 0) + 1;
          const holdMs = Math.min(QUEUE_BACKOFF_MAX_MS, Math.max(ttl, 250) * 2 ** (streak - 1));
          this.queueFailure = { until: this.clock() + holdMs, error, streak };
          throw error;
        },
      )
      .finally(() => {
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
    if (!this.accounting) return undefined;
    const result = await this.options.runner.run("sacct", ["-n", "-X", "-P", "-o", "State", "-j", jobId]);
    if (result.code !== 0) {
      if (/accounting storage is disabled|not running a supported accounting_storage plugin/i.test(result.stderr)) this.accounting = false;
      return undefined;
    }
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

/** The last 64 KiB of the job's log, where slurmstepd notes a memory kill; empty when there is none. */
function logTail(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** "multiverse owner=o run=r attempt=a" -> {owner: "o", run: "r", attempt: "a"}. */
function commentFields(comment: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of comment.matchAll(/(\w+)=(\S+)/g)) fields[match[1]!] = match[2]!;
  return fields;
}

const NOT_STARTED = new Set(["PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"]);

function notStarted(state: string): boolean {
  return NOT_STARTED.has(state);
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
