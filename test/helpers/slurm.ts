/**
 * For integration tests on the real single-node Slurm (scripts/start-slurm.sh): PATH shims that log every call of
 * a Slurm tool (with a timestamp) before running the real binary, and clean-up of the jobs a test left queued.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function slurmUnavailableReason(): string | undefined {
  const sinfo = spawnSync("sinfo", ["-h", "-o", "%T"], { encoding: "utf8" });
  if (sinfo.error || sinfo.status !== 0) return `Slurm is not up (run scripts/start-slurm.sh): ${sinfo.error?.message ?? sinfo.stderr.trim()}`;
  if (!/^(idle|mixed|allocated|completing)/m.test(sinfo.stdout)) return `the Slurm node is not usable: ${sinfo.stdout.trim()}`;
  return undefined;
}

/** In CI a missing cluster is an error, elsewhere a skip reason. */
export function requireSlurmOrSkip(): string | undefined {
  const reason = slurmUnavailableReason();
  if (reason && process.env.CI) throw new Error(`CI needs Slurm: ${reason}`);
  return reason;
}

export interface ToolCall {
  /** Milliseconds since the epoch. */
  at: number;
  args: string;
}

export class SlurmShims {
  readonly dir: string;

  constructor(parent: string, tools: readonly string[] = ["sbatch", "squeue", "scancel", "sacct"]) {
    this.dir = join(parent, "slurm-shims");
    mkdirSync(this.dir, { recursive: true });
    for (const tool of tools) {
      const real = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
      if (!real) throw new Error(`${tool} is not on PATH`);
      writeFileSync(join(this.dir, tool), `#!/bin/sh\necho "$(date +%s%3N) $*" >> '${join(this.dir, `${tool}.calls`)}'\nexec ${real} "$@"\n`);
      chmodSync(join(this.dir, tool), 0o755);
    }
  }

  /** PATH with the shims first. */
  path(extra: string[] = []): string {
    return [...extra, this.dir, process.env.PATH ?? ""].join(":");
  }

  calls(tool: string): ToolCall[] {
    const file = join(this.dir, `${tool}.calls`);
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const space = line.indexOf(" ");
        return { at: Number(line.slice(0, space)), args: line.slice(space + 1) };
      });
  }
}

/** Cancels the jobs whose batch script lies under `dir` (a test's own jobs, not those of other suites). */
export function cancelJobsUnder(dir: string): void {
  const lines = spawnSync("squeue", ["-h", "-o", "%i|%o"], { encoding: "utf8" }).stdout.split("\n");
  const ids = lines.filter((line) => line.split("|")[1]?.startsWith(dir)).map((line) => line.split("|")[0]!);
  if (ids.length > 0) spawnSync("scancel", ids);
}

/** The Slurm state of the job named `name` ("" when it is not in the queue). */
export function jobState(name: string): string {
  return spawnSync("squeue", ["-h", "-n", name, "-o", "%T"], { encoding: "utf8" }).stdout.trim();
}
