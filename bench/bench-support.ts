/** What the benches share: argument parsing (--name value, --flag, --json), medians, the pinned Snakemake venv. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export type BenchArgs = Record<string, string | number | boolean>;

/** `--seeds 4 --json` over the defaults; a number default makes its value a number; an unknown name is refused. */
export function parseBenchArgs(argv: string[], defaults: BenchArgs): BenchArgs {
  const parsed: BenchArgs = { ...defaults, json: false };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i]!.replace(/^--/, "");
    if (!argv[i]!.startsWith("--") || !(name in parsed)) throw new Error(`unknown argument ${argv[i]}; known: ${Object.keys(parsed).map((k) => `--${k}`).join(" ")}`);
    if (typeof parsed[name] === "boolean") {
      parsed[name] = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    i += 1;
    if (typeof parsed[name] === "number") {
      if (!Number.isFinite(Number(value))) throw new Error(`--${name} must be a number, got ${value}`);
      parsed[name] = Number(value);
    } else {
      parsed[name] = value;
    }
  }
  return parsed;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The snakemake executable of a venv under ~/.cache/multiverse/bench, made with pip from PyPI the first time. */
export function snakemakeBinary(version: string): string {
  const venv = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "multiverse", "bench", `snakemake-${version}`);
  const binary = join(venv, "bin", "snakemake");
  if (existsSync(binary)) return binary;
  mkdirSync(venv, { recursive: true });
  process.stderr.write(`installing snakemake ${version} into ${venv} (once)\n`);
  const steps: [string, string[]][] = [
    ["python3", ["-m", "venv", venv]],
    [join(venv, "bin", "pip"), ["install", "-q", "--disable-pip-version-check", `snakemake==${version}`]],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { stdio: "inherit" });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed`);
  }
  return binary;
}

/** A run manifest of `runs` contract-test runs (jobs of 100 seeds, each job its own parameters) on `dataset`. */
export function benchManifest(dataset: string, runs: number, experiment: string): string {
  const seedsPerJob = Math.min(100, runs);
  const jobs: string[] = [];
  for (let j = 0; j < runs / seedsPerJob; j += 1) {
    const seeds = Array.from({ length: seedsPerJob }, (_, i) => i).join(", ");
    jobs.push(`  - name: job-${j}\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { n_latent: ${2 + (j % 50)}, sleep_seconds: ${j} }\n    seeds: [${seeds}]\n`);
  }
  return `globals:\n  experiment_name: ${experiment}\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n${jobs.join("")}`;
}
