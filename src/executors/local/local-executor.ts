/**
 * The daemon-less local executor: a model's entrypoint as a host process, in the model's own Python
 * environment, with the contract paths provided by bubblewrap when it is installed. Each attempt runs under a
 * small shell wrapper in its own process group that survives the controller and records the exit code in a
 * file, so that a restarted controller can observe, adopt or cancel it exactly like a container.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Capacity } from "../../domain/capacity.js";
import type { ImageIdentity } from "../../domain/resources.js";
import { repoRoot } from "../../util/paths.js";
import { LaunchError, type AttemptObservation, type CapacityLimits, type Executor, type LaunchRequest, type ModelRef } from "../executor.js";
import { hostCapacity } from "../host-capacity.js";
import { describeInterpreter, environmentDigest, interpreterFor } from "./model-envs.js";
import { bubblewrapCommand, plainCommand, type Interpreter } from "./sandbox.js";
import { processAlive } from "../../util/process.js";

export interface LocalExecutorOptions {
  /** Where per-attempt state (pid, exit code, log) is kept. */
  runtimeDir: string;
  /** Where model environments live (multiverse models setup). */
  envsRoot: string;
  sandbox?: "auto" | "bwrap" | "none";
  /** Interpreter used when a model has no environment of its own (tests, simple models); none by default. */
  fallbackPython?: string;
}

interface AttemptState {
  attemptId: string;
  runId: string;
  ownerId: string;
  pid: number;
  startedAt: string;
  isolated: boolean;
  memLimitBytes?: number;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}


function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const candidate = join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Thread pools sized to the declared CPUs, as a container's CPU quota would make them (at least one thread). */
export function threadEnv(cpus: number | undefined): Record<string, string> {
  if (cpus === undefined) return {};
  const threads = String(Math.max(1, Math.floor(cpus)));
  return { OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads, MKL_NUM_THREADS: threads, LOKY_MAX_CPU_COUNT: threads };
}

export class LocalExecutor implements Executor {
  readonly backend = "local" as const;
  private readonly bwrap: string | undefined;

  constructor(private readonly options: LocalExecutorOptions) {
    mkdirSync(options.runtimeDir, { recursive: true });
    const mode = options.sandbox ?? "auto";
    this.bwrap = mode === "none" ? undefined : which("bwrap");
    if (mode === "bwrap" && !this.bwrap) throw new LaunchError("engine_unavailable", "bubblewrap (bwrap) is required by --sandbox bwrap but is not installed");
  }

  private file(attemptId: string, suffix: string): string {
    return join(this.options.runtimeDir, `${attemptId}.${suffix}`);
  }

  private readState(attemptId: string): AttemptState | undefined {
    const file = this.file(attemptId, "json");
    if (!existsSync(file)) return undefined;
    return JSON.parse(readFileSync(file, "utf8")) as AttemptState;
  }

  private interpreter(modelDirectory: string, slug: string, version: string | undefined): Interpreter | null {
    if (version) {
      const own = interpreterFor(this.options.envsRoot, slug, version);
      if (own) return own;
    }
    return this.options.fallbackPython ? describeInterpreter(this.options.fallbackPython) : null;
  }

  /** Processes share this host: its CPUs, memory and GPUs. */
  capacity(limits?: CapacityLimits): Capacity {
    return hostCapacity(limits);
  }

  async resolveImage(reference: string, model?: ModelRef): Promise<ImageIdentity | null> {
    if (!model?.directory) return null;
    const digest = model.version ? environmentDigest(this.options.envsRoot, model.slug, model.version, model.directory) : null;
    if (digest) return { reference, kind: "local_process", digest };
    if (this.options.fallbackPython) return { reference, kind: "local_process", digest: `fallback:${describeInterpreter(this.options.fallbackPython).executable}` };
    return null;
  }

  async launch(request: LaunchRequest): Promise<void> {
    if (this.readState(request.attemptId)) return; // idempotent: this attempt was already started
    const entrypoint = request.settings?.local?.entrypoint;
    const modelDirectory = request.model?.directory;
    if (!entrypoint || !request.model || !modelDirectory) {
      throw new LaunchError("launch_error", "the model declares no runtime.entrypoint and model directory, which the local executor needs");
    }
    const slug = request.model.slug;
    const interpreter = this.interpreter(modelDirectory, slug, request.model.version);
    if (!interpreter) {
      throw new LaunchError("image_missing", `model ${slug} has no local environment: run \`multiverse models setup ${slug}\``);
    }
    const [program, ...rest] = entrypoint;
    const input = {
      interpreter,
      script: program && /python/.test(program) ? rest : entrypoint,
      modelDirectory,
      workerSdkDirectory: join(repoRoot(), "worker"),
      mounts: request.mounts,
      network: request.network ?? false,
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", ...threadEnv(request.cpus), ...request.env },
    };
    const command = this.bwrap ? bubblewrapCommand(input, this.bwrap) : plainCommand(input);
    const log = this.file(request.attemptId, "log");
    const exit = this.file(request.attemptId, "exit");
    // RLIMIT_DATA (ulimit -d) counts the process's private writable memory (heap, anonymous maps), not the address
    // space: shared libraries as large as torch's or LLVM's map gigabytes without using them, which ulimit -v refused.
    const limit = request.memLimitBytes ? `ulimit -d ${Math.ceil(request.memLimitBytes / 1024)}; ` : "";
    const script = `${limit}${command.argv.map(shellQuote).join(" ")} >${shellQuote(log)} 2>&1; code=$?; echo $code >${shellQuote(`${exit}.tmp`)}; mv ${shellQuote(`${exit}.tmp`)} ${shellQuote(exit)}`;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn("/bin/sh", ["-c", script], { cwd: command.cwd, env: command.env, detached: true, stdio: "ignore" });
    } catch (error) {
      throw new LaunchError("launch_error", `could not start the model process: ${(error as Error).message}`, { cause: error });
    }
    if (child.pid === undefined) throw new LaunchError("launch_error", "could not start the model process");
    child.unref();
    const state: AttemptState = { attemptId: request.attemptId, runId: request.runId, ownerId: request.ownerId, pid: child.pid, startedAt: new Date().toISOString(), isolated: command.isolated };
    if (request.memLimitBytes) state.memLimitBytes = request.memLimitBytes;
    const tmp = `${this.file(request.attemptId, "json")}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, this.file(request.attemptId, "json"));
  }

  async observe(attemptId: string): Promise<AttemptObservation> {
    const state = this.readState(attemptId);
    if (!state) return { attemptId, state: "missing" };
    const labels = { "io.multiverse.owner": state.ownerId, "io.multiverse.run-id": state.runId, "io.multiverse.attempt-id": attemptId };
    const exitFile = this.file(attemptId, "exit");
    if (existsSync(exitFile)) {
      const exitCode = Number.parseInt(readFileSync(exitFile, "utf8").trim(), 10);
      const log = existsSync(this.file(attemptId, "log")) ? readFileSync(this.file(attemptId, "log"), "utf8").slice(-4096) : "";
      // ulimit -v turns exhaustion into MemoryError (exit 1) rather than a kill: report it as OOM.
      const oomKilled = exitCode !== 0 && state.memLimitBytes !== undefined && /MemoryError|Cannot allocate memory|std::bad_alloc/.test(log);
      return { attemptId, state: "exited", exitCode, oomKilled, startedAt: state.startedAt, labels };
    }
    if (processAlive(state.pid)) return { attemptId, state: "running", startedAt: state.startedAt, labels };
    return { attemptId, state: "exited", exitCode: null, oomKilled: false, startedAt: state.startedAt, error: "the process ended without recording an exit code", labels };
  }

  async cancel(attemptId: string, graceSeconds: number): Promise<void> {
    const state = this.readState(attemptId);
    if (!state || existsSync(this.file(attemptId, "exit")) || !processAlive(state.pid)) return;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-state.pid, signal);
      } catch {
        // already gone
      }
    };
    signalGroup("SIGTERM");
    const deadline = Date.now() + graceSeconds * 1000;
    while (processAlive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (processAlive(state.pid)) signalGroup("SIGKILL");
    while (processAlive(state.pid)) await new Promise((r) => setTimeout(r, 20));
    if (!existsSync(this.file(attemptId, "exit"))) writeFileSync(this.file(attemptId, "exit"), "143\n");
  }

  async collectLogs(attemptId: string, destinationFile: string): Promise<void> {
    const log = this.file(attemptId, "log");
    if (existsSync(log)) copyFileSync(log, destinationFile);
    else writeFileSync(destinationFile, "");
  }

  async listOwned(ownerId: string): Promise<AttemptObservation[]> {
    const observations: AttemptObservation[] = [];
    for (const name of readdirSync(this.options.runtimeDir).filter((f) => f.endsWith(".json")).sort()) {
      const attemptId = name.slice(0, -".json".length);
      const state = this.readState(attemptId);
      if (state?.ownerId === ownerId) observations.push(await this.observe(attemptId));
    }
    return observations;
  }

  async release(attemptId: string): Promise<void> {
    const state = this.readState(attemptId);
    if (state && !existsSync(this.file(attemptId, "exit")) && processAlive(state.pid)) return; // never forget a live process
    for (const suffix of ["json", "exit", "log"]) rmSync(this.file(attemptId, suffix), { force: true });
  }

  async waitForExit(attemptId: string): Promise<void> {
    for (;;) {
      const observation = await this.observe(attemptId);
      if (observation.state !== "running" && observation.state !== "created") return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
