/**
 * Controller mode figures:
 * - RSS of `multiverse controller` with 10,000 runs known (journal replayed, index caught up), idle;
 * - reconcile latency from a file drop into the watched directory to the first container start
 *   (the controller's ADMITTED -> RUNNING line), on the real Docker engine, with those 10,000 runs known.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeH5mu } from "../src/h5/index.js";
import { storeLayout } from "../src/artifacts/layout.js";
import { acquireStateLock } from "../src/state/state-root.js";
import { ExecutorRegistry } from "../src/executors/registry.js";
import { openControllerSession } from "../src/services/controller-session.js";
import { hostCapacity } from "../src/executors/host-capacity.js";
import { repoRoot } from "../src/util/paths.js";
import { cli } from "../test/helpers/cli.js";
import { benchManifest } from "./bench-support.js";
import { startControllerProcess } from "../test/helpers/controller.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const work = mkdtempSync(join(tmpdir(), "mv-bench-controller-"));
try {
  const dataset = join(work, "d.h5mu");
  await writeH5mu(dataset, { nObs: 50, modalities: { rna: { nVars: 20 } }, seed: 1 });
  const state = join(work, "state");
  const register = await cli(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", state]);
  if (register.code !== 0) throw new Error(register.stderr);
  const manifest = join(work, "m.yaml");
  writeFileSync(manifest, benchManifest(dataset, RUNS, "known"));
  const planned = await cli(["run", "--manifest", manifest, "--output", state, "--dry-run", "--json"]);
  if (planned.code !== 0) throw new Error(planned.stderr);
  // Settle the 10,000 planned runs (cancelled while PENDING) so that the controller knows them but runs none.
  const lock = acquireStateLock(state, "bench");
  const session = openControllerSession({ stateRoot: state, layout: storeLayout(state, "store"), executors: new ExecutorRegistry({ stateRoot: state }), capacity: hostCapacity({}) });
  const ids = session.controller.all().map((r) => r.runId);
  for (const id of ids) session.controller.requestCancel(id);
  await session.controller.runUntilSettled(ids);
  session.close();
  lock.release();

  const watch = join(work, "benchmarks");
  mkdirSync(watch);
  const started = performance.now();
  const controller = await startControllerProcess(state, watch, ["--max-concurrent", "2", "--debounce-ms", "50"]);
  await controller.waitForLog(/controller ready/, 120_000);
  const startSeconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 1500));
  global.gc?.();
  const rssMiB = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${controller.child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

  const drop = performance.now();
  writeFileSync(
    join(watch, "latency.yaml"),
    `apiVersion: multiverse.io/v1alpha1\nkind: Dataset\nmetadata: {name: d2}\nspec: {path: ${dataset}}\n---\napiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata: {name: latency}\nspec:\n  experimentName: latency\n  jobs:\n    - {name: one, dataset: d2, model: contract-test, seeds: [0], params: {n_latent: 3}}\n`,
  );
  await controller.waitForLog(/run one-s0-\S+ \[\w+\] ADMITTED -> RUNNING/, 120_000);
  const latencyMs = performance.now() - drop;
  await controller.stop("SIGTERM");
  process.stdout.write(
    `${JSON.stringify({ bench: "controller", knownRuns: ids.length, controllerStartSeconds: +startSeconds.toFixed(2), idleRssMiB: +rssMiB.toFixed(1), fileDropToContainerStartMs: Math.round(latencyMs) })}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
