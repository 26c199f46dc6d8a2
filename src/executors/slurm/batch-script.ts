/**
 * One sbatch script per attempt, readable and kept in the workspace (job.sbatch). Directives carry the
 * resources and the attempt's identity (job name and comment, so a restarted controller finds its jobs); the
 * body runs the container and writes the model's exit code to a file in the workspace, so the outcome is known
 * even after the job has left the queue and without an accounting database.
 */
import { requireMount } from "../mounts.js";
import { containerArgv, type ContainerCommandInput } from "./container-command.js";

export const EXIT_FILE = ".multiverse-exit";
const DATASET_SLOT = "\u0001dataset\u0001";
export const SCRIPT_FILE = "job.sbatch";
export const JOB_LOG = "container.log";

export interface SlurmResources {
  partition?: string;
  account?: string;
  qos?: string;
  timeMinutes?: number;
  memGb?: number;
  cpusPerTask?: number;
  gpus?: number;
  /** Extra #SBATCH lines, each without the "#SBATCH " prefix (e.g. "--constraint=avx2"). */
  extraDirectives?: string[];
  /** Copy the dataset to node-local $TMPDIR before the run. */
  useTmpdir?: boolean;
}

export interface BatchScriptInput {
  jobName: string;
  /** Free text stored as the job's comment: owner, run and attempt ids. */
  comment: string;
  workspaceDir: string;
  resources: SlurmResources;
  container: ContainerCommandInput;
}

/** POSIX shell single quoting: safe for any byte but NUL. */
export function shellQuote(value: string): string {
  if (value.includes("\u0000")) throw new Error("a NUL byte cannot be passed through a shell");
  if (value === "") return "''";
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function directive(option: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`#SBATCH ${option}: a value cannot span lines`);
  return `#SBATCH ${option}=${value.includes(" ") ? `"${value.replace(/"/g, "'")}"` : value}`;
}

/** Whole minutes as minutes, anything finer as M:SS (sbatch reads both). */
export function slurmTime(minutes: number): string {
  const seconds = Math.max(1, Math.ceil(minutes * 60));
  return seconds % 60 === 0 ? String(seconds / 60) : `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** One option (with its value) per line, so the script reads like a hand-written one. */
function readable(argv: string[]): string {
  const lines: string[] = [];
  for (const [i, arg] of argv.entries()) {
    const last = lines.length - 1;
    if (i < 2 || (!arg.startsWith("-") && i !== argv.length - 1 && lines[last]?.trimStart().startsWith("-") && !lines[last]!.includes(" ", 2))) {
      if (last >= 0 && i > 0) lines[last] = `${lines[last]} ${arg}`;
      else lines.push(arg);
    } else lines.push(`  ${arg}`);
  }
  return lines.join(" \\\n");
}

export function renderBatchScript(input: BatchScriptInput): string {
  const r = input.resources;
  const lines = [
    "#!/bin/bash",
    `# multiverse attempt ${input.jobName}: written by the Slurm executor, kept in the workspace as evidence.`,
    directive("--job-name", input.jobName),
    directive("--comment", input.comment),
    directive("--output", `${input.workspaceDir}/${JOB_LOG}`),
    "#SBATCH --open-mode=append",
    "#SBATCH --nodes=1",
    "#SBATCH --ntasks=1",
  ];
  if (r.partition) lines.push(directive("--partition", r.partition));
  if (r.account) lines.push(directive("--account", r.account));
  if (r.qos) lines.push(directive("--qos", r.qos));
  if (r.timeMinutes !== undefined) lines.push(directive("--time", slurmTime(r.timeMinutes)));
  if (r.memGb !== undefined) lines.push(directive("--mem", `${Math.max(1, Math.ceil(r.memGb * 1024))}M`));
  if (r.cpusPerTask !== undefined) lines.push(directive("--cpus-per-task", String(Math.max(1, Math.ceil(r.cpusPerTask)))));
  if (r.gpus) lines.push(directive("--gres", `gpu:${r.gpus}`));
  for (const extra of r.extraDirectives ?? []) {
    if (!/^--?[A-Za-z]/.test(extra) || /[\r\n]/.test(extra)) throw new Error(`extra directive "${extra}" is not a single sbatch option`);
    lines.push(`#SBATCH ${extra}`);
  }
  const workspace = shellQuote(input.workspaceDir);
  const exitFile = shellQuote(`${input.workspaceDir}/${EXIT_FILE}`);
  lines.push(
    "",
    "set -u",
    `echo "multiverse: job $SLURM_JOB_ID on $(hostname) started $(date -u +%Y-%m-%dT%H:%M:%SZ)"`,
  );
  const datasetMount = requireMount(input.container.mounts, "input");
  let dataset = shellQuote(datasetMount.source);
  if (r.useTmpdir) {
    lines.push(
      'STAGE="${TMPDIR:-/tmp}/multiverse-$SLURM_JOB_ID"',
      'mkdir -p "$STAGE"',
      `cp ${dataset} "$STAGE/data.h5mu"`,
      'trap \'rm -rf "$STAGE"\' EXIT',
    );
    dataset = '"$STAGE/data.h5mu"';
  }
  // The dataset may be a shell expression (the staged copy): every other piece is quoted as a literal.
  const mounts = input.container.mounts.map((mount) => (mount === datasetMount ? { ...mount, source: DATASET_SLOT } : mount));
  const argv = containerArgv({ ...input.container, mounts }).map((arg) =>
    arg
      .split(DATASET_SLOT)
      .map((piece) => (piece === "" ? "" : shellQuote(piece)))
      .join(dataset),
  );
  lines.push(
    `cd ${workspace}`,
    readable(argv),
    "code=$?",
    `echo "$code" > ${exitFile}.tmp && mv ${exitFile}.tmp ${exitFile}`,
    'echo "multiverse: model exited with code $code"',
    "exit $code",
    "",
  );
  return lines.join("\n");
}
