#!/usr/bin/env node
// Runs the compiled node:test suites. Usage: run-tests.mjs [unit|integration|kubernetes|all] [filter]
// Unit suites live under dist/test/unit, suites that need real engines under dist/test/integration; the kubernetes
// suite is the part of the integration suite that needs the Kubernetes test cluster (scripts/start-k8s.sh).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const scope = process.argv[2] ?? "all";
const filter = process.argv[3];
const SUITES = {
  unit: ["dist/test/unit"],
  integration: ["dist/test/integration"],
  kubernetes: ["dist/test/integration/kubernetes"],
  all: ["dist/test/unit", "dist/test/integration"],
};
const roots = SUITES[scope];
if (!roots) {
  console.error(`unknown suite ${scope}: one of ${Object.keys(SUITES).join(", ")}`);
  process.exit(2);
}

function collect(dir) {
  let out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(collect(path));
    else if (name.endsWith(".test.js") && (!filter || path.includes(filter))) out.push(path);
  }
  return out;
}

const files = roots.flatMap(collect);
// A test that hangs fails after this long instead of eating CI's whole budget (the slowest passes in about a minute).
const testTimeoutMs = Number(process.env.MULTIVERSE_TEST_TIMEOUT_MS ?? 10 * 60 * 1000);
if (files.length === 0) {
  console.error(`no test files found under ${roots.join(", ")}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=1", `--test-timeout=${testTimeoutMs}`, "--test-reporter=spec", ...files], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
