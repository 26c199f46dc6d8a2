/** Runs the real CLI (bin/multiverse.js over the compiled dist/) as a child process. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../src/util/paths.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const CLI = join(repoRoot(), "bin", "multiverse.js");

export function cliSync(args: string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** CLI processes still running, stopped with the test file when the runner ends it (its hang guard). */
const running = new Set<ChildProcess>();
let stopsChildren = false;

function stopChildrenWithTheTestFile(): void {
  if (stopsChildren) return;
  stopsChildren = true;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      for (const child of running) child.kill("SIGTERM");
      process.exit(signal === "SIGTERM" ? 143 : 130);
    });
  }
}

export function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  stopChildrenWithTheTestFile();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    running.add(child);
    child.on("close", () => running.delete(child));
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function parseJson<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`CLI did not print JSON (exit ${result.code}).\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/**
 * What a failed command said, for an assertion's message: its stderr, and with --json (where stderr stays quiet)
 * every run that did not succeed, with its phase, reason and message.
 */
export function explain(result: CliResult): string {
  let failed = "";
  try {
    const summary = JSON.parse(result.stdout) as { runs?: { name?: string; phase?: string; reason?: string | null; message?: string | null }[] };
    failed = (summary.runs ?? [])
      .filter((r) => r.phase !== "ARTIFACT_SUCCESS")
      .map((r) => `${r.name ?? "?"}: ${r.phase ?? "?"} ${r.reason ?? ""} ${r.message ?? ""}`.trim())
      .join("\n");
  } catch {
    failed = result.stdout.slice(-2000);
  }
  return `exit ${result.code}\nstderr:\n${result.stderr}\n${failed ? `runs not succeeded / stdout:\n${failed}` : ""}`;
}
