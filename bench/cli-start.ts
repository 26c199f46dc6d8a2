/**
 * CLI start-up: median wall time and peak RSS of `multiverse --help`, `get runs` on a 4-run state root and
 * `run --dry-run` of the demo manifest, over BENCH_REPS repetitions (default 15), next to the floor of this
 * machine (`node -e 0`). With BENCH_COMPARE_CLI=/other/checkout/bin/multiverse.js the same cases run against that
 * CLI too, interleaved (A B A B ...), and the ratios are printed. Target: --help and get runs under 150 ms.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { repoRoot } from "../src/util/paths.js";
import { CLI } from "../test/helpers/cli.js";

const REPS = Number(process.env.BENCH_REPS ?? 15);
const TIME = "/usr/bin/time";
const DEMO_MANIFEST = join(repoRoot(), "manifests", "demo", "run_manifest.yaml");

interface Sample {
  ms: number;
  rssMiB: number | null;
}

/** One process run: wall time around the spawn, peak RSS from GNU time when it is installed. */
function sample(argv: string[]): Sample {
  const withTime = existsSync(TIME);
  const command = withTime ? TIME : argv[0]!;
  const args = withTime ? ["-f", "MAXRSS_KB=%M", ...argv] : argv.slice(1);
  const start = performance.now();
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
  const rss = /MAXRSS_KB=(\d+)/.exec(result.stderr)?.[1];
  return { ms, rssMiB: rss ? Number(rss) / 1024 : null };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summary(samples: Sample[]) {
  const rss = samples.map((s) => s.rssMiB).filter((v): v is number => v !== null);
  return {
    medianMs: +median(samples.map((s) => s.ms)).toFixed(1),
    minMs: +Math.min(...samples.map((s) => s.ms)).toFixed(1),
    peakRssMiB: rss.length > 0 ? +Math.max(...rss).toFixed(1) : null,
  };
}

const work = mkdtempSync(join(tmpdir(), "mv-bench-cli-"));
try {
  const clis = [CLI, ...(process.env.BENCH_COMPARE_CLI ? [process.env.BENCH_COMPARE_CLI] : [])];
  // A 4-run state root: the demo manifest planned and journaled (--dry-run launches nothing).
  const stateRoot = join(work, "state");
  sample([process.execPath, CLI, "run", "--manifest", DEMO_MANIFEST, "--output", stateRoot, "--dry-run", "--json"]);
  const cases: { name: string; args: (cli: string, rep: number) => string[] }[] = [
    { name: "node -e 0 (floor)", args: () => [process.execPath, "-e", "0"] },
    { name: "--help", args: (cli) => [process.execPath, cli, "--help"] },
    { name: "get runs", args: (cli) => [process.execPath, cli, "get", "runs", "--state-root", stateRoot] },
    // A fresh output directory per repetition: the first plan of the demo, not a re-plan.
    { name: "run --dry-run (demo)", args: (cli, rep) => [process.execPath, cli, "run", "--manifest", DEMO_MANIFEST, "--output", join(work, `dry-${clis.indexOf(cli)}-${rep}`), "--dry-run", "--json"] },
  ];
  const rows = [];
  for (const c of cases) {
    const samples = clis.map((): Sample[] => []);
    for (let rep = 0; rep < REPS; rep += 1) {
      clis.forEach((cli, i) => samples[i]!.push(sample(c.args(cli, rep))));
    }
    const [own, other] = samples.map(summary);
    rows.push({ case: c.name, ...own, ...(other ? { compare: other, ratio: +(own!.medianMs / other.medianMs).toFixed(2) } : {}) });
  }
  process.stdout.write(`${JSON.stringify({ bench: "cli-start", reps: REPS, cli: CLI, compareCli: clis[1] ?? null, targetMs: 150, cases: rows })}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
