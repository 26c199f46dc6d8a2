/**
 * Plan + journal of a 10,000-run manifest without execution (`multiverse run --dry-run`), end to end through
 * the CLI (process start, manifest parse, hyperparameter validation, identity, journal fsync, index projection).
 * Target: under 2 s on the 2-core reference machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeH5mu } from "../src/h5/index.js";
import { repoRoot } from "../src/util/paths.js";
import { cli } from "../test/helpers/cli.js";
import { benchManifest } from "./bench-support.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const work = mkdtempSync(join(tmpdir(), "mv-bench-plan-"));
try {
  const dataset = join(work, "d.h5mu");
  await writeH5mu(dataset, { nObs: 100, modalities: { rna: { nVars: 50 } }, seed: 1 });
  const model = join(repoRoot(), "test", "fixtures", "models", "contract-test", "model.yaml");
  const out = join(work, "out");
  const register = await cli(["register-model", model, "--state-root", out]);
  if (register.code !== 0) throw new Error(register.stderr);
  const manifest = join(work, "m.yaml");
  writeFileSync(manifest, benchManifest(dataset, RUNS, "bench"));
  const start = performance.now();
  const result = await cli(["run", "--manifest", manifest, "--output", out, "--dry-run", "--json"]);
  const seconds = (performance.now() - start) / 1000;
  if (result.code !== 0) throw new Error(`dry run failed (${result.code}): ${result.stderr}`);
  const planned = (JSON.parse(result.stdout) as { runs: unknown[] }).runs.length;
  const second = performance.now();
  const again = await cli(["run", "--manifest", manifest, "--output", out, "--dry-run", "--json"]);
  const secondSeconds = (performance.now() - second) / 1000;
  if (again.code !== 0) throw new Error(again.stderr);
  process.stdout.write(`${JSON.stringify({ bench: "plan-10k", runs: planned, firstDryRunSeconds: +seconds.toFixed(3), replanSeconds: +secondSeconds.toFixed(3), targetSeconds: 2 })}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
