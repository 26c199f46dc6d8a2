/**
 * The scale curves, through the real CLI and controller process on this machine, printed as a table (or --json)
 * and drawn as docs/scale-curves.png (an SVG rendered by Chromium when it is installed):
 * - `run --dry-run` of N runs: wall time and peak RSS (process start, parse, validation, identity, journal, index);
 * - `rebuild-index` of those N runs: journal records per second;
 * - `multiverse controller` with K known runs (planned, then cancelled, so it runs none): time to "controller ready"
 *   and idle RSS; the cost of a known run is the RSS above an empty state root's, divided by K;
 * - a Benchmark file dropped into the watched directory -> its container started (the ADMITTED -> RUNNING line),
 *   on the real Docker engine, repeated, each drop after the previous run ended: written in place, and renamed
 *   into the directory after it was written (how tools that write atomically drop files);
 * - the status API's GET /api/v1/runs with M runs in the index (bench/api-throughput.ts).
 *
 * Usage: node dist/bench/scale-curves.js [--plan 1000,10000,100000] [--known 10000,100000] [--drops 10]
 *   [--api-runs 1000000] [--api-seconds 5] [--plot docs/scale-curves.png] [--json]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeH5mu } from "../src/h5/index.js";
import { repoRoot } from "../src/util/paths.js";
import { startControllerProcess, type ControllerProcess } from "../test/helpers/controller.js";
import { benchManifest, median, parseBenchArgs } from "./bench-support.js";
import { lineChart, renderPng, sideBySide } from "./svg-plot.js";

const args = parseBenchArgs(process.argv.slice(2), { plan: "1000,10000,100000", known: "10000,100000", drops: 10, "api-runs": 1_000_000, "api-seconds": 5, plot: "docs/scale-curves.png" });
const sizes = (name: string) => String(args[name]).split(",").filter(Boolean).map(Number);
const root = repoRoot();
const CLI = join(root, "bin", "multiverse.js");
const here = dirname(fileURLToPath(import.meta.url));
const quiet = Boolean(args.json);
const say = (line: string) => (quiet ? undefined : process.stderr.write(`${line}\n`));

interface Timed {
  wallS: number;
  peakRssMiB: number;
  stdout: string;
}

function timedCli(cliArgs: string[]): Timed {
  const out = join(tmpdir(), `mv-scale-time-${process.pid}.txt`);
  const result = spawnSync("/usr/bin/time", ["-f", "%e %M", "-o", out, process.execPath, CLI, ...cliArgs], { encoding: "utf8", maxBuffer: 1024 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`multiverse ${cliArgs.join(" ")} failed (${result.status}):\n${result.stderr.slice(-3000)}`);
  const [wall, rssKb] = readFileSync(out, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
  rmSync(out, { force: true });
  return { wallS: wall!, peakRssMiB: rssKb! / 1024, stdout: result.stdout };
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
}

const work = mkdtempSync(join(tmpdir(), "mv-bench-scale-"));
const dataset = join(work, "d.h5mu");
await writeH5mu(dataset, { nObs: 50, modalities: { rna: { nVars: 20 } }, seed: 1 });
const model = join(root, "test", "fixtures", "models", "contract-test", "model.yaml");

/** A state root with `runs` runs planned by a dry run (and, with `settle`, cancelled: known, but nothing to do). */
function plannedStateRoot(name: string, runs: number, settle: boolean): { stateRoot: string; plan: Timed; rebuild?: Timed } {
  const stateRoot = join(work, name);
  timedCli(["register-model", model, "--state-root", stateRoot]);
  if (runs === 0) return { stateRoot, plan: { wallS: 0, peakRssMiB: 0, stdout: "" } };
  const manifest = join(work, `${name}.yaml`);
  writeFileSync(manifest, benchManifest(dataset, runs, "scale"));
  const plan = timedCli(["run", "--manifest", manifest, "--output", stateRoot, "--dry-run", "--json"]);
  const planned = (JSON.parse(plan.stdout) as { runs: unknown[] }).runs.length;
  if (planned !== runs) throw new Error(`the dry run planned ${planned} runs, expected ${runs}`);
  const rebuild = timedCli(["rebuild-index", "--state-root", stateRoot, "--json"]);
  if (settle) timedCli(["cancel", "benchmark", "scale", "--state-root", stateRoot]);
  return { stateRoot, plan, rebuild };
}

const planRows: { runs: number; wallS: number; peakRssMiB: number; rebuildRecordsPerS: number }[] = [];
for (const runs of sizes("plan")) {
  say(`planning ${runs} runs (dry run), then rebuild-index ...`);
  const { plan, rebuild, stateRoot } = plannedStateRoot(`plan-${runs}`, runs, false);
  planRows.push({ runs, wallS: plan.wallS, peakRssMiB: plan.peakRssMiB, rebuildRecordsPerS: rebuild ? runs / rebuild.wallS : Number.NaN });
  rmSync(stateRoot, { recursive: true, force: true });
}

async function readyController(stateRoot: string, watch: string): Promise<{ controller: ControllerProcess; startS: number; idleRssMiB: number }> {
  mkdirSync(watch, { recursive: true });
  const started = performance.now();
  const controller = await startControllerProcess(stateRoot, watch, ["--max-concurrent", "2"]);
  await controller.waitForLog(/controller ready/, 300_000);
  const startS = (performance.now() - started) / 1000;
  // Idle RSS: the smallest of a few samples over the next second (start-up garbage is collected by then).
  let idle = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i += 1) {
    await new Promise((r) => setTimeout(r, 250));
    idle = Math.min(idle, rssMiB(controller.child.pid!));
  }
  return { controller, startS, idleRssMiB: idle };
}

const knownRows: { knownRuns: number; startS: number; idleRssMiB: number; kbPerKnownRun: number }[] = [];
say("controller on an empty state root ...");
const empty = plannedStateRoot("known-0", 0, true);
const baseline = await readyController(empty.stateRoot, join(work, "watch-0"));

interface Drop {
  knownRuns: number;
  how: "written" | "renamed";
  ms: number;
}
const drops: Drop[] = [];
const dockerUp = spawnSync("docker", ["info"], { stdio: "ignore" }).status === 0;
const dropText = (i: number) =>
  `apiVersion: multiverse.io/v1alpha1\nkind: Dataset\nmetadata: {name: drop-${i}}\nspec: {path: ${dataset}}\n---\napiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata: {name: drop-${i}}\nspec:\n  experimentName: drop-${i}\n  jobs:\n    - {name: j${i}, dataset: drop-${i}, model: contract-test, seeds: [${i}], params: {n_latent: 3}}\n`;
/**
 * Drops measured on a controller with `knownRuns` runs known, each after the run before it ended: even ones written
 * in place, odd ones renamed in from a file staged while the previous run went on (a prepared file moved in).
 */
async function measureDrops(controller: ControllerProcess, watch: string, knownRuns: number): Promise<void> {
  const staged = (i: number) => join(work, `drop-${i}.yaml`);
  for (let i = 0; i < Number(args.drops) * 2; i += 1) {
    const how: Drop["how"] = i % 2 === 0 ? "written" : "renamed";
    if (how === "written") writeFileSync(staged(i + 1), dropText(i + 1));
    const target = join(watch, `drop-${i}.yaml`);
    const dropped = performance.now();
    if (how === "renamed") renameSync(staged(i), target);
    else writeFileSync(target, dropText(i));
    await controller.waitForLog(new RegExp(`run j${i}-s${i}-\\S+ \\[\\w+\\] ADMITTED -> RUNNING`), 120_000);
    drops.push({ knownRuns, how, ms: performance.now() - dropped });
    await controller.waitForLog(new RegExp(`run j${i}-s${i}-\\S+ \\[\\w+\\] \\w+ -> (ARTIFACT_SUCCESS|FAILED\\w*)`), 120_000);
  }
}

for (const known of sizes("known")) {
  say(`controller with ${known} known runs (planned, cancelled) ...`);
  const { stateRoot } = plannedStateRoot(`known-${known}`, known, true);
  const watch = join(work, `watch-${known}`);
  const ready = await readyController(stateRoot, watch);
  knownRows.push({ knownRuns: known, startS: ready.startS, idleRssMiB: ready.idleRssMiB, kbPerKnownRun: ((ready.idleRssMiB - baseline.idleRssMiB) * 1024) / known });
  if (dockerUp && Number(args.drops) > 0) {
    say(`${args.drops} file drops of each kind -> container start ...`);
    await measureDrops(ready.controller, watch, known);
  }
  await ready.controller.stop("SIGTERM");
  rmSync(stateRoot, { recursive: true, force: true });
}
await baseline.controller.stop("SIGTERM");

interface ApiFigures {
  runsInIndex: number;
  fillSeconds: number;
  requestsPerSecond: number;
  p99ms: number;
  worstListingP99ms: number;
  scenarios: { scenario: string; requestsPerSecond: number; p99ms: number }[];
}
let api: ApiFigures | undefined;
let apiError: string | undefined;
if (Number(args["api-runs"]) > 0) {
  say(`status API with ${args["api-runs"]} runs in the index ...`);
  const child = spawn(process.execPath, [join(here, "api-throughput.js")], { env: { ...process.env, BENCH_RUNS: String(args["api-runs"]), BENCH_SECONDS: String(args["api-seconds"]) }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on("close", r));
  if (code === 0) api = JSON.parse(out.trim().split("\n").pop()!) as ApiFigures;
  else apiError = `bench/api-throughput exited ${code} (its stderr is above)`;
}
rmSync(work, { recursive: true, force: true });

const spread = (knownRuns: number, how: Drop["how"]) => {
  const ms = drops.filter((d) => d.knownRuns === knownRuns && d.how === how).map((d) => d.ms);
  return ms.length === 0 ? null : { knownRuns, how, n: ms.length, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms) };
};
const result = {
  machine: { cores: spawnSync("nproc", { encoding: "utf8" }).stdout.trim(), loadAvgAtEnd: loadavg()[0]! },
  plan: planRows,
  controller: { emptyStateRoot: { startS: baseline.startS, idleRssMiB: baseline.idleRssMiB }, known: knownRows },
  fileDropToContainerStart: dockerUp ? sizes("known").flatMap((k) => [spread(k, "written"), spread(k, "renamed")]).filter((s) => s !== null) : "skipped: no Docker engine answers",
  api: apiError ?? (api ? { runsInIndex: api.runsInIndex, fillSeconds: api.fillSeconds, scenarios: api.scenarios.map((s) => ({ scenario: s.scenario, requestsPerSecond: s.requestsPerSecond, p99ms: s.p99ms })) } : null),
  aims: { plan100kS: 5, controllerRssAt10kMiB: 150, kbPerKnownRunBelow: 7.9, rebuildRecordsPerS: 20_000, apiP99ms: 10, fileDropMs: 300 },
};

const plot = String(args.plot);
if (plot) {
  const svg = sideBySide([
    lineChart({ title: "run --dry-run", xLabel: "runs planned", yLabel: "seconds", logX: true, series: [{ name: "wall s", points: planRows.map((r) => [r.runs, r.wallS]) }] }),
    lineChart({ title: "run --dry-run", xLabel: "runs planned", yLabel: "peak RSS MiB", logX: true, series: [{ name: "MiB", points: planRows.map((r) => [r.runs, r.peakRssMiB]) }] }),
    lineChart({ title: "controller, idle", xLabel: "known runs (an empty state root drawn at 1)", yLabel: "RSS MiB / start s", logX: true, series: [
      { name: "RSS MiB", points: [[1, baseline.idleRssMiB], ...knownRows.map((r): [number, number] => [r.knownRuns, r.idleRssMiB])] },
      { name: "start s x 100", points: [[1, baseline.startS * 100], ...knownRows.map((r): [number, number] => [r.knownRuns, r.startS * 100])] },
    ] }),
  ], `multiverse scale curves (${result.machine.cores} cores)`);
  const target = resolve(root, plot);
  const rendered = renderPng(svg, target);
  say(rendered ? `plot: ${target}` : `plot: ${target.replace(/\.png$/, ".svg")} (no Chromium to render the PNG)`);
}

if (args.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
  console.log(`scale curves on ${result.machine.cores} cores (load ${f(result.machine.loadAvgAtEnd, 1)} at the end)`);
  console.log("run --dry-run         runs   wall s  peak MiB  rebuild-index records/s");
  for (const r of planRows) console.log(`                  ${String(r.runs).padStart(8)}  ${f(r.wallS).padStart(7)}  ${f(r.peakRssMiB, 0).padStart(8)}  ${f(r.rebuildRecordsPerS, 0).padStart(10)}`);
  console.log("controller    known runs  start s  idle MiB  KiB per known run");
  console.log(`              ${"0".padStart(10)}  ${f(baseline.startS).padStart(7)}  ${f(baseline.idleRssMiB, 1).padStart(8)}  -`);
  for (const r of knownRows) console.log(`              ${String(r.knownRuns).padStart(10)}  ${f(r.startS).padStart(7)}  ${f(r.idleRssMiB, 1).padStart(8)}  ${f(r.kbPerKnownRun, 2).padStart(8)}`);
  const d = result.fileDropToContainerStart;
  if (typeof d === "string") console.log(`file drop -> container start: ${d}`);
  else for (const s of d) console.log(`file drop (${s.how}, ${s.knownRuns} runs known) -> container start: median ${f(s.medianMs, 0)} ms, min ${f(s.minMs, 0)}, max ${f(s.maxMs, 0)} (${s.n} drops)`);
  if (apiError) console.log(`status API: ${apiError}`);
  if (api) {
    console.log(`status API, ${api.runsInIndex} runs in the index (filled in ${api.fillSeconds} s):`);
    for (const s of api.scenarios) console.log(`  ${s.scenario.padEnd(40)} ${String(s.requestsPerSecond).padStart(6)} req/s  p99 ${s.p99ms} ms`);
  }
}
