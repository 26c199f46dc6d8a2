/**
 * `multiverse doctor`: what this machine and state root can do, check by check. Each check is ok, warning
 * (something is unavailable that only some runs need) or blocked (nothing can run as configured).
 */
import { accessSync, constants, existsSync, statfsSync } from "node:fs";
import { join } from "node:path";
import type { CommandRunner } from "../executors/slurm/command-runner.js";
import { verifyIndex } from "../index/run-index.js";
import { readJournal } from "../journal/journal.js";
import { MlflowClient } from "../tracking/mlflow-client.js";
import { isNotFound } from "../tracking/mlflow-errors.js";
import { ledgerVerdict, mlflowVerdict, type TrackingServerProbe } from "./doctor-state-checks.js";
import { lockHolder } from "../state/state-root.js";
import type { Check, CheckStatus } from "./doctor-check.js";
import type { ResolvedStateRoot } from "../state/resolve-state-root.js";

export type { Check, CheckStatus };

export interface DoctorReport {
  checks: Check[];
  exitCode: 0 | 1 | 2;
}

export interface DoctorOptions {
  stateRoot: string;
  /** Which resolver rule chose the state root (printed as the first check). */
  located?: ResolvedStateRoot;
  runner: CommandRunner;
  deepSlurm?: boolean;
  smokePartition?: string;
  /** How the MLflow servers named by the journal are asked (default: the REST client). */
  trackingProbe?: (trackingUri: string) => TrackingServerProbe;
}

function mlflowProbe(trackingUri: string): TrackingServerProbe {
  let client: MlflowClient;
  try {
    client = new MlflowClient({ trackingUri, retries: 0, timeoutMs: 5000 });
  } catch {
    return { healthy: () => Promise.resolve(false), runTags: () => Promise.resolve(undefined) };
  }
  return {
    healthy: () => client.health(3000),
    runTags: async (id) => {
      try {
        return (await client.getRun(id)).tags;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
  };
}

async function version(runner: CommandRunner, command: string, args: string[]): Promise<string | undefined> {
  const result = await runner.run(command, args, { timeoutMs: 15_000 });
  return result.code === 0 ? result.stdout.trim().split("\n")[0] : undefined;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { runner, stateRoot } = options;
  const checks: Check[] = [];
  if (options.located) checks.push({ name: "state root location", status: "ok", detail: `${stateRoot} (rule ${options.located.rule}: ${options.located.source})` });

  if (!existsSync(stateRoot)) checks.push({ name: "state root", status: "warning", detail: `${stateRoot} does not exist yet (it is created by the first run)` });
  else {
    try {
      accessSync(stateRoot, constants.W_OK);
      const holder = lockHolder(stateRoot);
      checks.push({ name: "state root", status: "ok", detail: `${stateRoot} is writable${holder ? `; in use by process ${holder.pid} (${holder.purpose ?? "?"})` : ""}` });
    } catch {
      checks.push({ name: "state root", status: "blocked", detail: `${stateRoot} is not writable` });
    }
    checks.push(freeSpaceCheck(stateRoot));
    if (existsSync(join(stateRoot, "journal"))) {
      try {
        const verification = verifyIndex(stateRoot);
        checks.push(
          verification.inSync
            ? { name: "journal and index", status: "ok", detail: "the index agrees with the journal" }
            : { name: "journal and index", status: "warning", detail: `the index drifted from the journal (${verification.drift.length} differences): run multiverse rebuild-index` },
        );
      } catch (error) {
        checks.push({ name: "journal and index", status: "blocked", detail: (error as Error).message });
      }
      try {
        const records = readJournal(stateRoot).records;
        checks.push(ledgerVerdict(records, lockHolder(stateRoot) !== undefined));
        checks.push(await mlflowVerdict(records, options.trackingProbe ?? mlflowProbe));
      } catch (error) {
        checks.push({ name: "reservation ledger", status: "blocked", detail: `the journal cannot be read: ${(error as Error).message}` });
      }
    }
  }

  const docker = await version(runner, "docker", ["version", "--format", "{{.Server.Version}}"]);
  checks.push(docker ? { name: "docker", status: "ok", detail: `engine ${docker}` } : { name: "docker", status: "warning", detail: "no Docker engine answers (the docker backend cannot run; scripts/start-dockerd.sh starts one)" });
  const bwrap = await version(runner, "bwrap", ["--version"]);
  checks.push(bwrap ? { name: "local sandbox", status: "ok", detail: bwrap } : { name: "local sandbox", status: "warning", detail: "bubblewrap is missing: the local executor runs models without a sandbox" });

  const sinfo = await runner.run("sinfo", ["-h", "-o", "%P|%a|%D|%T"], { timeoutMs: 15_000 });
  if (sinfo.code !== 0) checks.push({ name: "slurm", status: "warning", detail: `Slurm does not answer (${sinfo.stderr.trim().split("\n").pop() ?? "sinfo failed"})` });
  else {
    const partitions = sinfo.stdout.trim().split("\n").filter(Boolean).map((line) => {
      const [name = "", availability = "", nodes = "", state = ""] = line.split("|");
      return `${name} (${availability}, ${nodes} nodes ${state})`;
    });
    checks.push({ name: "slurm", status: partitions.length > 0 ? "ok" : "warning", detail: partitions.length > 0 ? `partitions: ${partitions.join(", ")}` : "no partitions" });
  }
  const apptainer = (await version(runner, "apptainer", ["--version"])) ?? (await version(runner, "singularity", ["--version"]));
  checks.push(apptainer ? { name: "apptainer", status: "ok", detail: apptainer } : { name: "apptainer", status: "warning", detail: "neither apptainer nor singularity is on PATH (SIFs cannot be built or run here)" });

  if (options.deepSlurm) {
    if (sinfo.code !== 0) checks.push({ name: "slurm smoke job", status: "blocked", detail: "Slurm does not answer" });
    else {
      const args = ["--parsable", "--wait", "--time=1", "--job-name=mv-doctor-smoke", "--output=/dev/null", ...(options.smokePartition ? [`--partition=${options.smokePartition}`] : []), "--wrap=true"];
      const started = Date.now();
      const smoke = await runner.run("sbatch", args, { timeoutMs: 10 * 60_000 });
      checks.push(
        smoke.code === 0
          ? { name: "slurm smoke job", status: "ok", detail: `job ${smoke.stdout.trim()} ran and exited 0 in ${((Date.now() - started) / 1000).toFixed(1)} s` }
          : { name: "slurm smoke job", status: "blocked", detail: `sbatch --wait failed (${smoke.code}): ${smoke.stderr.trim()}` },
      );
    }
  }
  const exitCode = checks.some((c) => c.status === "blocked") ? 2 : checks.some((c) => c.status === "warning") ? 1 : 0;
  return { checks, exitCode };
}

/** Below this much free space on the state root's filesystem doctor warns (bundles, workspaces and the journal grow there). */
export const LOW_FREE_BYTES = 1024 ** 3;

export function freeSpaceVerdict(freeBytes: number, totalBytes: number): Check {
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
  const detail = `${gib(freeBytes)} free of ${gib(totalBytes)}`;
  return freeBytes < LOW_FREE_BYTES
    ? { name: "state root free space", status: "warning", detail: `${detail}: runs may fail to write bundles (multiverse gc frees failed workspaces)` }
    : { name: "state root free space", status: "ok", detail };
}

function freeSpaceCheck(stateRoot: string): Check {
  try {
    const stat = statfsSync(stateRoot);
    return freeSpaceVerdict(stat.bavail * stat.bsize, stat.blocks * stat.bsize);
  } catch (error) {
    return { name: "state root free space", status: "warning", detail: `cannot read the filesystem's free space (${(error as Error).message})` };
  }
}
