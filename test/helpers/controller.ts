/** Starts `multiverse controller` as a child process and waits on what it logs and what the index says. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, cliSync, parseJson } from "./cli.js";

export interface ControllerProcess {
  child: ChildProcess;
  log(): string;
  /** Resolves when the log matches, rejects after timeoutMs. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** The API address once the controller is ready (when started with --listen). */
  apiAddress(): string | undefined;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startControllerProcess(stateRoot: string, watchDir: string, extra: string[] = [], env: Record<string, string> = {}): Promise<ControllerProcess> {
  const child = spawn(process.execPath, [CLI, "controller", "--watch", watchDir, "--state-root", stateRoot, "--debounce-ms", "50", "--poll-interval-ms", "300", ...extra], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (data: Buffer) => {
    text += data.toString();
    for (const waiter of [...waiters]) if (waiter.pattern.test(text)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const waitForLog = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(text)) return resolve();
      const timer = setTimeout(() => reject(new Error(`controller log did not match ${pattern} within ${timeoutMs} ms:\n${text}`)), timeoutMs);
      waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
      void exited.then((code) => {
        clearTimeout(timer);
        if (!pattern.test(text)) reject(new Error(`controller exited (${code}) before its log matched ${pattern}:\n${text}`));
      });
    });
  const process_: ControllerProcess = {
    child,
    log: () => text,
    waitForLog,
    apiAddress: () => {
      const file = join(stateRoot, "controller.json");
      return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { api?: string }).api : undefined;
    },
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return process_;
}

export interface RunView {
  runId: string;
  name: string;
  benchmark: string;
  phase: string;
  reason: string | null;
  artifactDir: string | null;
  workspaceDir: string | null;
  seed: number;
}

export function listRuns(stateRoot: string, benchmark?: string): RunView[] {
  if (!existsSync(join(stateRoot, "multiverse_state.db"))) return [];
  const result = cliSync(["get", "runs", "--state-root", stateRoot, "-o", "json", ...(benchmark ? ["--benchmark", benchmark] : [])]);
  return parseJson<RunView[]>(result);
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
