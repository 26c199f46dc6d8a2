/** Starts `multiverse controller` as a child process and waits on what it logs and what the index says. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { CLI, cliSync, parseJson } from "./cli.js";
import { DEFAULT_WAIT_MS } from "./wait.js";

export { waitFor } from "./wait.js";

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
  const waitForLog = (pattern: RegExp, timeoutMs = DEFAULT_WAIT_MS) =>
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

/** A Dataset and a Benchmark resource (`<name>-data`, `<name>`) as one YAML file; `jobLines` are the jobs' lines. */
export function benchmarkResourceYaml(name: string, dataset: string, jobLines: string[]): string {
  return [
    `apiVersion: multiverse.io/v1alpha1`,
    `kind: Dataset`,
    `metadata: {name: ${name}-data}`,
    `spec: {path: ${dataset}}`,
    `---`,
    `apiVersion: multiverse.io/v1alpha1`,
    `kind: Benchmark`,
    `metadata: {name: ${name}}`,
    `spec:`,
    `  experimentName: ${name}`,
    `  jobs:`,
    ...jobLines,
    ``,
  ].join("\n");
}

export interface ControllerWorkspace {
  work: string;
  /** A small RNA dataset. */
  dataset: string;
  state: string;
  /** The directory the controller watches. */
  watch: string;
}

/** A temporary work directory with a dataset, a state root with the contract-test model registered, and a watch dir. */
export async function makeControllerWorkspace(prefix: string): Promise<ControllerWorkspace> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const dataset = join(work, "d.h5mu");
  await writeH5mu(dataset, { nObs: 24, modalities: { rna: { nVars: 8 } }, seed: 3 });
  const state = join(work, "state");
  const watch = join(work, "benchmarks");
  mkdirSync(watch);
  const registered = cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", state]);
  if (registered.code !== 0) throw new Error(`register-model failed: ${registered.stderr}`);
  return { work, dataset, state, watch };
}

/** Kills the controller, removes the containers it owned, and the work directory (unless MULTIVERSE_KEEP_TEST_DIRS). */
export async function removeControllerWorkspace(workspace: ControllerWorkspace, controller: ControllerProcess | undefined): Promise<void> {
  await controller?.stop("SIGKILL");
  spawnSync("sh", ["-c", `docker rm -f $(docker ps -aq --filter label=io.multiverse.owner=$(cat ${join(workspace.state, "owner-id")} 2>/dev/null) ) 2>/dev/null`]);
  if (process.env.MULTIVERSE_KEEP_TEST_DIRS) return;
  spawnSync("chmod", ["-R", "u+w", workspace.work]);
  rmSync(workspace.work, { recursive: true, force: true });
}
