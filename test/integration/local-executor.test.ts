/**
 * The daemon-less local executor: the shared executor contract (the contract paths under bubblewrap: read-only
 * input, no network), memory limits, and a whole `multiverse run --backend local`.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalExecutor } from "../../src/executors/local/local-executor.js";
import { setupModelEnv } from "../../src/executors/local/model-envs.js";
import type { LaunchRequest } from "../../src/executors/executor.js";
import { contractMounts } from "../../src/executors/mounts.js";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { cli, parseJson } from "../helpers/cli.js";
import { executorContractSuite, waitFor } from "../contracts/executor-contract.js";

const hasBwrap = spawnSync("bwrap", ["--version"]).status === 0;
const skip = hasBwrap ? undefined : "bubblewrap is not installed";
if (!hasBwrap && process.env.CI) throw new Error("CI needs bubblewrap (scripts/setup.sh installs it)");

const ENVS = join(tmpdir(), "multiverse-test-envs");
const MODEL_DIR = join(repoRoot(), "test", "fixtures", "models", "contract-test");
const runtime = mkdtempSync(join(tmpdir(), "mv-local-runtime-"));
const extra: Partial<LaunchRequest> = {
  model: { slug: "contract-test", version: "0.1.0", directory: MODEL_DIR },
  settings: { local: { entrypoint: ["python3", "container/run.py"] } },
};

function ensureEnv(): void {
  setupModelEnv({ envsRoot: ENVS, slug: "contract-test", version: "0.1.0", modelDirectory: MODEL_DIR });
}

executorContractSuite(
  "local",
  async () => {
    ensureEnv();
    return new LocalExecutor({ runtimeDir: runtime, envsRoot: ENVS, sandbox: "bwrap" });
  },
  { image: "multiverse-contract-test:dev", skip, extra },
);

describe("local executor specifics", { skip }, () => {
  let dir: string;
  let dataset: string;
  let executor: LocalExecutor;
  before(async () => {
    ensureEnv();
    executor = new LocalExecutor({ runtimeDir: runtime, envsRoot: ENVS, sandbox: "bwrap" });
    dir = mkdtempSync(join(tmpdir(), "mv-local-"));
    dataset = join(dir, "d.h5mu");
    await writeH5mu(dataset, { nObs: 12, modalities: { rna: { nVars: 5 } }, seed: 4 });
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", dir]);
    rmSync(dir, { recursive: true, force: true });
    rmSync(runtime, { recursive: true, force: true });
  });

  async function run(behavior: string, more: Record<string, unknown> = {}) {
    const attemptId = `local${process.pid}-${behavior}-a1`;
    const workspaceDir = join(dir, attemptId);
    mkdirSync(workspaceDir, { recursive: true });
    writeFileSync(join(workspaceDir, "job_spec.json"), JSON.stringify({ seed: 0, hyperparameters: { behavior } }));
    await executor.launch({ attemptId, runId: "r", ownerId: "o", image: "-", mounts: contractMounts(dataset, workspaceDir), env: {}, gpu: false, ...extra, ...more });
    return waitFor(executor, attemptId, (o) => o.state === "exited");
  }

  test("a memory limit turns exhaustion into an OOM failure", async () => {
    const done = await run("oom", { memLimitBytes: 768 * 1024 * 1024 });
    assert.notEqual(done.exitCode, 0);
    assert.equal(done.oomKilled, true);
  });

  test("a model without an environment is image_missing, naming the setup command", async () => {
    const bare = new LocalExecutor({ runtimeDir: runtime, envsRoot: join(dir, "no-envs"), sandbox: "bwrap" });
    await assert.rejects(
      bare.launch({ attemptId: "x-a1", runId: "r", ownerId: "o", image: "-", mounts: contractMounts(dataset, dir), env: {}, gpu: false, ...extra }),
      /multiverse models setup contract-test/,
    );
  });

  test("multiverse run --backend local promotes the same kind of bundle as Docker", async () => {
    const out = join(dir, "out");
    const reg = await cli(["register-model", join(MODEL_DIR, "model.yaml"), "--state-root", out]);
    assert.equal(reg.code, 0, reg.stderr);
    const manifest = join(dir, "m.yaml");
    writeFileSync(manifest, `globals:\n  experiment_name: local\n  backend: local\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n  - dataset_slug: d\n    model_name: contract-test\n    seeds: [0, 1]\n  - name: bad\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: wrong_rows }\n`);
    const result = await cli(["run", "--manifest", manifest, "--output", out, "--json"], { MULTIVERSE_ENVS_DIR: ENVS });
    assert.equal(result.code, 1, result.stderr);
    const runs = parseJson<{ runs: { job: string; phase: string; reason: string | null; artifactDir: string | null }[] }>(result).runs;
    const good = runs.filter((r) => r.job !== "bad");
    assert.deepEqual(good.map((r) => r.phase), ["ARTIFACT_SUCCESS", "ARTIFACT_SUCCESS"]);
    for (const r of good) assert.ok(existsSync(join(r.artifactDir!, "artifact_manifest.json")));
    assert.deepEqual(runs.filter((r) => r.job === "bad").map((r) => [r.phase, r.reason]), [["FAILED", "validation_failed"]]);
  });
});
