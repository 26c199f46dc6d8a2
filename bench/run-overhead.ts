/**
 * Overhead of `multiverse run` over a plain `docker run` loop for 20 no-op contract containers (the contract
 * test image with behavior ok). Both sides run the containers one at a time. Target ratio: below 1.15.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeH5mu } from "../src/h5/index.js";
import { repoRoot } from "../src/util/paths.js";
import { cli } from "../test/helpers/cli.js";
import { CONTRACT_TEST_IMAGE } from "../test/helpers/docker.js";

const COUNT = Number(process.env.BENCH_CONTAINERS ?? 20);
const work = mkdtempSync(join(tmpdir(), "mv-bench-overhead-"));
try {
  const dataset = join(work, "d.h5mu");
  await writeH5mu(dataset, { nObs: 100, modalities: { rna: { nVars: 50 } }, seed: 1 });

  const plainStart = performance.now();
  for (let i = 0; i < COUNT; i += 1) {
    const ws = join(work, "plain", String(i));
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, "job_spec.json"), JSON.stringify({ seed: i, dataset_name: "d", model_name: "contract-test", hyperparameters: { behavior: "ok" } }));
    // The same container settings the Docker executor uses for this model (cpus 0.5 from its model.yaml).
    const r = spawnSync("docker", ["run", "--rm", "--network", "none", "--init", "--cpus", "0.5", "--security-opt", "no-new-privileges", "-v", `${dataset}:/input/data.h5mu:ro`, "-v", `${ws}:/output`, CONTRACT_TEST_IMAGE], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  const plainSeconds = (performance.now() - plainStart) / 1000;

  const out = join(work, "mv");
  const register = await cli(["register-model", join(repoRoot(), "test", "fixtures", "models", "contract-test", "model.yaml"), "--state-root", out]);
  if (register.code !== 0) throw new Error(register.stderr);
  const seeds = Array.from({ length: COUNT }, (_, i) => i).join(", ");
  const manifest = join(work, "m.yaml");
  writeFileSync(manifest, `globals:\n  experiment_name: overhead\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n  - dataset_slug: d\n    model_name: contract-test\n    seeds: [${seeds}]\n`);
  const mvStart = performance.now();
  const result = await cli(["run", "--manifest", manifest, "--output", out, "--json", "--max-concurrent", "1"]);
  const mvSeconds = (performance.now() - mvStart) / 1000;
  if (result.code !== 0) throw new Error(result.stderr);

  const out2 = join(work, "mv2");
  await cli(["register-model", join(repoRoot(), "test", "fixtures", "models", "contract-test", "model.yaml"), "--state-root", out2]);
  const parStart = performance.now();
  const parallel = await cli(["run", "--manifest", manifest, "--output", out2, "--json", "--max-concurrent", "2"]);
  const parSeconds = (performance.now() - parStart) / 1000;
  if (parallel.code !== 0) throw new Error(parallel.stderr);

  process.stdout.write(`${JSON.stringify({
    bench: "run-overhead",
    containers: COUNT,
    plainDockerLoopSeconds: +plainSeconds.toFixed(2),
    multiverseSequentialSeconds: +mvSeconds.toFixed(2),
    ratioSequential: +(mvSeconds / plainSeconds).toFixed(3),
    multiverseTwoAtATimeSeconds: +parSeconds.toFixed(2),
    ratioTwoAtATime: +(parSeconds / plainSeconds).toFixed(3),
    target: "< 1.15 (sequential), includes validation, checksums and promotion of every bundle",
  })}\n`);
} finally {
  spawnSync("chmod", ["-R", "u+w", work]);
  rmSync(work, { recursive: true, force: true });
}
