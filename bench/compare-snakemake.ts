/**
 * multiverse against Snakemake and a bare shell loop on one workload (bench/snakemake-workloads.ts), N runs at
 * each concurrency, every run the same command on every side:
 * - `--engine docker` (the default): the contract-test model container, the same `docker run` flags the Docker
 *   executor uses; multiverse runs it with its Docker executor;
 * - `--engine local`: pca on pbmc68k-reduced in the local executor's bubblewrap sandbox with its environment.
 * Snakemake (pinned, from PyPI, in its own venv under ~/.cache/multiverse/bench, installed here on first use) has one
 * rule per seed whose shell command is that run's script; the bare loop runs the scripts with `xargs -P`. The three
 * are interleaved (A B C A B C ...) and the medians are printed.
 *
 * Measured per side with GNU time: wall, CPU (user + system of the whole process tree), peak RSS (the largest
 * single process). The orchestrator's own cost is the difference to the bare loop: per-run overhead in wall and CPU.
 * Cold = the first run into an empty output; warm = the same command again, when nothing is to be done
 * (multiverse --skip-completed verifies the bundles; Snakemake checks that its outputs are up to date).
 *
 * CPU is what the kernel accounts to each side's process tree: a container's processes (children of containerd) and
 * a sandbox's (bubblewrap --unshare-pid) are not accounted to it, on every side alike, so the CPU column is the
 * orchestrator's own (the docker CLI's on the Snakemake and bare sides).
 * multiverse's runs are also broken down by the journal's timestamps (launch intent -> running -> exited -> validated
 * -> promoted) and, with --profile, by a CPU profile of one more run (not timed) charged to the parts of the code.
 *
 * Needs: a build (dist/); docker: the Docker engine and the contract-test image (scripts/setup.sh); local:
 * scripts/setup-demo.sh (dataset, pca environment, bubblewrap).
 * Usage: node dist/bench/compare-snakemake.js [--engine docker|local] [--seeds N] [--reps R] [--concurrency 1,2] [--profile] [--json]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../src/util/paths.js";
import { readJournal } from "../src/journal/journal.js";
import { median, parseBenchArgs, snakemakeBinary } from "./bench-support.js";
import { STEPS, stepSeconds, type Step } from "./journal-phases.js";
import { attribute, shares, type CpuProfile } from "./cpu-attribution.js";
import { dockerWorkload, localWorkload, type Workload } from "./snakemake-workloads.js";

const SNAKEMAKE_VERSION = "9.27.1";

interface Measure {
  wall: number;
  cpu: number;
  peakRssMiB: number;
}
type Side = "multiverse" | "snakemake" | "bare";

const args = parseBenchArgs(process.argv.slice(2), { engine: "docker", seeds: 0, reps: 3, concurrency: "1,2", profile: false });
if (args.engine !== "docker" && args.engine !== "local") throw new Error(`--engine must be docker or local, got ${String(args.engine)}`);
const concurrencies = String(args.concurrency).split(",").map(Number);
const root = repoRoot();
const snakemake = snakemakeBinary(SNAKEMAKE_VERSION);
const work = mkdtempSync(join(tmpdir(), "mv-bench-snakemake-"));
const workload: Workload = args.engine === "docker" ? await dockerWorkload(work) : localWorkload();
const seedCount = Number(args.seeds) > 0 ? Number(args.seeds) : workload.engine === "docker" ? 20 : 4;
const seeds = Array.from({ length: seedCount }, (_, i) => i);

/** The run's script, written under DIR/scripts (Snakemake would read braces in an inline command as its own). */
function scriptFile(dir: string, seed: number): string {
  const file = join(dir, "scripts", `run-${seed}.sh`);
  mkdirSync(join(dir, "scripts"), { recursive: true });
  writeFileSync(file, `set -e\n${workload.script(join(dir, "runs", String(seed)), seed)}\n`);
  return file;
}

function timed(argv: string[], cwd: string): Measure {
  const out = join(work, "time.txt");
  const result = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", "-o", out, ...argv], { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${argv.slice(0, 3).join(" ")} ... failed (${result.status}) in ${cwd}:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-3000)}`);
  const [wall, user, system, rssKb] = readFileSync(out, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
  return { wall: wall!, cpu: user! + system!, peakRssMiB: rssKb! / 1024 };
}

const journalSteps = new Map<Step, number[]>(STEPS.map((step) => [step, []]));
let cpuByPart: Record<string, number> | undefined;

function multiverseSide(dir: string, concurrency: number, nodeArgs: string[] = []): { cold: Measure; warm: Measure } {
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, "m.yaml");
  writeFileSync(manifest, workload.manifest(seeds));
  const out = join(dir, "out");
  workload.prepareStateRoot(out);
  const run = (extra: string[]) => timed(["node", ...nodeArgs, join(root, "bin", "multiverse.js"), "run", "--manifest", manifest, "--output", out, "--max-concurrent", String(concurrency), "--json", ...extra], dir);
  const cold = run([]);
  for (const [step, seconds] of stepSeconds(readJournal(out).records)) journalSteps.get(step)!.push(...seconds);
  const warm = run(["--skip-completed"]);
  return { cold, warm };
}

function snakemakeSide(dir: string, concurrency: number): { cold: Measure; warm: Measure } {
  mkdirSync(dir, { recursive: true });
  const rules = seeds.map((seed) => `rule seed_${seed}:\n    output: "runs/${seed}/embeddings.h5"\n    shell: "sh ${scriptFile(dir, seed)}"\n`);
  writeFileSync(join(dir, "Snakefile"), `rule all:\n    input: [${seeds.map((s) => `"runs/${s}/embeddings.h5"`).join(", ")}]\n\n${rules.join("\n")}`);
  const run = () => timed([snakemake, "--cores", String(concurrency), "--quiet", "all"], dir);
  const cold = run();
  const warm = run();
  return { cold, warm };
}

function bareSide(dir: string, concurrency: number): Measure {
  mkdirSync(dir, { recursive: true });
  const scripts = seeds.map((seed) => scriptFile(dir, seed)).join(" ");
  // xargs -P keeps `concurrency` runs going (at 1 it is a plain loop).
  return timed(["sh", "-c", `printf '%s\\n' ${scripts} | xargs -n 1 -P ${concurrency} sh`], dir);
}

const samples = new Map<string, Measure[]>();
const add = (key: string, m: Measure) => samples.set(key, [...(samples.get(key) ?? []), m]);
const loads: number[] = [];
try {
  for (let rep = 0; rep < Number(args.reps); rep += 1) {
    for (const c of concurrencies) {
      loads.push(loadavg()[0]!);
      const base = join(work, `r${rep}-c${c}`);
      const mv = multiverseSide(join(base, "mv"), c);
      add(`multiverse/${c}/cold`, mv.cold);
      add(`multiverse/${c}/warm`, mv.warm);
      const sm = snakemakeSide(join(base, "sm"), c);
      add(`snakemake/${c}/cold`, sm.cold);
      add(`snakemake/${c}/warm`, sm.warm);
      add(`bare/${c}/cold`, bareSide(join(base, "bare"), c));
      rmSync(base, { recursive: true, force: true });
      process.stderr.write(`rep ${rep + 1}/${args.reps} at concurrency ${c} done (load ${loadavg()[0]!.toFixed(1)})\n`);
    }
  }
  if (args.profile) {
    try {
      profileBreakdown(join(work, "profile"));
    } catch (error) {
      process.stderr.write(`compare-snakemake: the profiled run failed, no breakdown: ${(error as Error).message}\n`);
    }
  }
} finally {
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
}

/** One more cold multiverse run (one at a time, not timed) under --cpu-prof: its main thread's busy time by part. */
function profileBreakdown(dir: string): void {
  const profiles = join(dir, "profiles");
  multiverseSide(dir, 1, ["--cpu-prof", `--cpu-prof-dir=${profiles}`]);
  // The first profile written is the cold run's (the warm run writes the second).
  const [first] = readdirSync(profiles).filter((f) => f.endsWith(".cpuprofile")).sort();
  const profile = JSON.parse(readFileSync(join(profiles, first!), "utf8")) as CpuProfile;
  cpuByPart = shares(attribute(profile));
}

const med = (key: string, field: keyof Measure) => median((samples.get(key) ?? []).map((m) => m[field]));
const n = seeds.length;
const rows = concurrencies.flatMap((c) => (["multiverse", "snakemake", "bare"] as Side[]).map((side) => {
  const key = `${side}/${c}`;
  const wall = med(`${key}/cold`, "wall");
  const cpu = med(`${key}/cold`, "cpu");
  return {
    side, concurrency: c, runs: n,
    wallS: wall, cpuS: cpu, peakRssMiB: med(`${key}/cold`, "peakRssMiB"),
    overheadWallPerRunS: (wall - med(`bare/${c}/cold`, "wall")) / n,
    overheadCpuPerRunS: (cpu - med(`bare/${c}/cold`, "cpu")) / n,
    warmWallS: side === "bare" ? null : med(`${key}/warm`, "wall"),
    warmCpuS: side === "bare" ? null : med(`${key}/warm`, "cpu"),
    vsSnakemake: wall / med(`snakemake/${c}/cold`, "wall"),
    vsBare: wall / med(`bare/${c}/cold`, "wall"),
  };
}));
const machine = { cores: execFileSync("nproc", { encoding: "utf8" }).trim(), loadAvgDuring: median(loads), reps: Number(args.reps), snakemake: SNAKEMAKE_VERSION, engine: workload.engine, workload: workload.describe };
const steps = Object.fromEntries(STEPS.map((step) => [step, median(journalSteps.get(step)!)]));
if (args.json) {
  console.log(JSON.stringify({ machine, rows, multiverseJournalStepsS: steps, multiverseBusySharePercent: cpuByPart ?? null }, null, 2));
} else {
  const f = (x: number | null, d = 2) => (x === null ? "-" : x.toFixed(d));
  console.log(`${workload.describe}: ${n} runs, medians of ${args.reps} interleaved reps; ${machine.cores} cores, load average ${machine.loadAvgDuring.toFixed(1)} while measuring`);
  console.log("side        conc  wall s   cpu s   peak MiB  overhead/run wall s  cpu s   warm wall s  warm cpu s  x snakemake  x bare");
  for (const r of rows) {
    console.log(`${r.side.padEnd(11)} ${String(r.concurrency).padStart(4)}  ${f(r.wallS).padStart(6)}  ${f(r.cpuS).padStart(6)}  ${f(r.peakRssMiB, 0).padStart(8)}  ${f(r.overheadWallPerRunS, 3).padStart(19)}  ${f(r.overheadCpuPerRunS, 3).padStart(6)}  ${f(r.warmWallS).padStart(11)}  ${f(r.warmCpuS).padStart(10)}  ${f(r.vsSnakemake).padStart(11)}  ${f(r.vsBare).padStart(6)}`);
  }
  console.log(`multiverse per run, medians from the journal: ${STEPS.map((step) => `${step} ${steps[step]!.toFixed(2)} s`).join("; ")}`);
  if (cpuByPart) console.log(`multiverse main thread busy, share by part (--cpu-prof, one more run): ${Object.entries(cpuByPart).map(([p, pct]) => `${p} ${pct.toFixed(0)}%`).join(", ")}`);
}
