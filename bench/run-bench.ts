/** Prints every benchmark's figures: node dist/bench/run-bench.js [name...] */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const all = ["journal-append", "plan-10k", "run-overhead", "controller", "api-throughput", "slurm-calls", "cli-start", "scale-curves"];
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : all;
let failed = 0;
for (const name of chosen) {
  const result = spawnSync(process.execPath, [join(here, `${name}.js`)], { stdio: "inherit" });
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
