/**
 * Slurm figures, on the real single-node cluster (scripts/start-slurm.sh) with the Docker runtime in the batch scripts:
 * - Slurm calls per minute made by `multiverse run --backend slurm` with 200 jobs queued (a blocker job holds the
 *   node's CPUs, so all 200 stay PENDING while the controller polls them): squeue calls are counted by a PATH shim;
 *   the aim is a constant number per poll, independent of the job count;
 * - the time to submit the 200 jobs, and to cancel them all (Ctrl-C);
 * - time from a job's completion (its exit code file appears in the workspace) to its promotion (the bundle appears).
 * BENCH_SLURM_JOBS (default 200), BENCH_SLURM_WINDOW_S (default 60).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../src/util/paths.js";
import { EXIT_FILE } from "../src/executors/slurm/batch-script.js";
import { CLI, cli, cliSync } from "../test/helpers/cli.js";
import { waitFor } from "../test/helpers/controller.js";
import { journalRecords, type RawRecord } from "../test/helpers/journal.js";
import { cancelJobsUnder, SlurmShims } from "../test/helpers/slurm.js";

const JOBS = Number(process.env.BENCH_SLURM_JOBS ?? 200);
const WINDOW_S = Number(process.env.BENCH_SLURM_WINDOW_S ?? 60);
const DATASET = join(repoRoot(), "data", "generated", "demo-rna.h5mu");
const work = mkdtempSync(join(tmpdir(), "mv-bench-slurm-"));
const shims = new SlurmShims(work);
const env = { ...process.env, PATH: shims.path(), MULTIVERSE_SLURM_RUNTIME: "docker" };
let blocker: string | undefined;

function stateRoot(name: string): string {
  const out = join(work, name);
  const registered = cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", out]);
  if (registered.code !== 0) throw new Error(registered.stderr);
  return out;
}

function cpus(): number {
  return Number(spawnSync("sinfo", ["-h", "-o", "%c"], { encoding: "utf8" }).stdout.trim().split("\n")[0]);
}

try {
  // 1. JOBS queued jobs, polled for WINDOW_S seconds.
  const held = spawnSync("sbatch", ["--parsable", "-c", String(cpus()), "-J", "mv-bench-blocker", "-o", "/dev/null", "--wrap", "sleep 3600"], { encoding: "utf8" });
  if (held.status !== 0) throw new Error(held.stderr);
  blocker = held.stdout.trim().split(";")[0];
  const out = stateRoot("queued");
  const manifest = join(work, "queued.yaml");
  writeFileSync(manifest, `globals: {experiment_name: queued, backend: slurm}\ndatasets:\n  d: {path: ${DATASET}}\njobs:\n  - {name: q, dataset_slug: d, model_name: contract-test, seeds: [${Array.from({ length: JOBS }, (_, i) => i).join(", ")}]}\n`);
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, "run", "--manifest", manifest, "--output", out, "--max-concurrent", String(JOBS), "--json"], { env, stdio: "ignore" });
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  await waitFor(`${JOBS} jobs submitted`, () => shims.calls("sbatch").length >= JOBS, 600_000, 200);
  const submitSeconds = (Date.now() - started) / 1000;
  const windowStart = Date.now();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
  const windowEnd = Date.now();
  const inWindow = (tool: string) => shims.calls(tool).filter((c) => c.at >= windowStart && c.at < windowEnd).length;
  const perMinute = (n: number) => +((n * 60_000) / (windowEnd - windowStart)).toFixed(1);
  const squeuePerMinute = perMinute(inWindow("squeue"));
  const otherPerMinute = perMinute(inWindow("sbatch") + inWindow("scancel") + inWindow("sacct"));
  const pending = spawnSync("squeue", ["-h", "-t", "PENDING", "-o", "%o"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.startsWith(out)).length;
  const cancelStart = Date.now();
  child.kill("SIGINT");
  await closed;
  const cancelSeconds = (Date.now() - cancelStart) / 1000;
  spawnSync("scancel", [blocker!]);
  blocker = undefined;

  // 2. Completion -> promotion, for a few quick jobs on a free node.
  const quick = stateRoot("quick");
  const quickManifest = join(work, "quick.yaml");
  writeFileSync(quickManifest, `globals: {experiment_name: quick, backend: slurm}\ndatasets:\n  d: {path: ${DATASET}}\njobs:\n  - {name: k, dataset_slug: d, model_name: contract-test, model_params: {behavior: sleep, sleep_seconds: 3}, seeds: [0, 1, 2, 3]}\n`);
  const running = cli(["run", "--manifest", quickManifest, "--output", quick, "--json"], { PATH: shims.path(), MULTIVERSE_SLURM_RUNTIME: "docker" });
  // Completion: the batch script's exit code file appears in the workspace (watched every 20 ms);
  // promotion: the journal's PROMOTED record.
  const exitedAt = new Map<string, number>();
  const workspaces = join(quick, "store", "workspaces");
  let finished = false;
  void running.then(() => (finished = true));
  while (!finished) {
    for (const attempt of existsSync(workspaces) ? readdirSync(workspaces) : []) {
      if (!exitedAt.has(attempt) && existsSync(join(workspaces, attempt, EXIT_FILE))) exitedAt.set(attempt, Date.now());
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const result = await running;
  if (result.code !== 0) throw new Error(`the quick runs failed:\n${result.stdout}\n${result.stderr}`);
  const promoted = (journalRecords(quick) as (RawRecord & { ts: string })[]).filter((r) => r.type === "RUN_TRANSITION" && r.event === "PROMOTED");
  const latencies = promoted
    .filter((record) => exitedAt.has(record.attemptId!))
    .map((record) => Math.round(Date.parse(record.ts) - exitedAt.get(record.attemptId!)!))
    .sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({
      bench: "slurm-calls",
      queuedJobs: JOBS,
      stillPendingAfterWindow: pending,
      submitSeconds: +submitSeconds.toFixed(1),
      windowSeconds: WINDOW_S,
      squeueCallsPerMinute: squeuePerMinute,
      otherSlurmCallsPerMinute: otherPerMinute,
      cancelAllSeconds: +cancelSeconds.toFixed(1),
      completionToPromotionMs: { runs: latencies.length, median: latencies[Math.floor(latencies.length / 2)] ?? null, max: latencies.at(-1) ?? null },
    })}\n`,
  );
} finally {
  if (blocker) spawnSync("scancel", [blocker]);
  cancelJobsUnder(work);
  spawnSync("chmod", ["-R", "u+w", work]);
  rmSync(work, { recursive: true, force: true });
}
