/**
 * The apptainer path with the model inside the Slurm job's own process tree, as Apptainer runs it: `apptainer run`
 * is answered by test/fixtures/apptainer-bwrap-shim, which runs the model in a bubblewrap sandbox with the same
 * contract. So the cluster's memory enforcement (slurmstepd, OverMemoryKill in scripts/setup-slurm.sh) applies to
 * the model itself. Also: the manifest's Slurm settings (globals.slurm, jobs[].slurm, image_sif, image_digest,
 * use_tmpdir staging) on a real job.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { repoRoot } from "../../src/util/paths.js";
import { cli, cliSync, parseJson } from "../helpers/cli.js";
import { cancelJobsUnder, requireSlurmOrSkip, SlurmShims } from "../helpers/slurm.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

function bwrapUnavailable(): string | undefined {
  const probe = spawnSync("bwrap", ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "/usr/bin/python3", "-c", "import h5py, numpy"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return `bubblewrap with the host's python3-h5py and python3-numpy is needed: ${probe.error?.message ?? probe.stderr.trim()}`;
  return undefined;
}

const skip = requireSlurmOrSkip() ?? bwrapUnavailable();
const DATASET = join(repoRoot(), "data", "generated", "demo-rna.h5mu");
const SHIM = join(repoRoot(), "test/fixtures/apptainer-bwrap-shim");
const MODEL_DIR = join(repoRoot(), "test/fixtures/models/contract-test/container");

interface Summary {
  runs: { job: string; phase: string; reason: string | null; message: string | null; artifactDir: string | null; attemptId: string | null }[];
}

describe("Slurm + apptainer with the model inside the job", { skip }, () => {
  let work: string;
  let shims: SlurmShims;
  let sif: string;
  let sifDigest: string;
  const source = `sha256:${"ef".repeat(32)}`;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "mv-slurm-apptainer-"));
    shims = new SlurmShims(work);
    sif = join(work, "contract-test.sif");
    writeFileSync(sif, `host-model: ${MODEL_DIR}\n`);
    sifDigest = `sha256:${createHash("sha256").update(readFileSync(sif)).digest("hex")}`;
  });
  after(() => {
    cancelJobsUnder(work);
    if (process.env.MULTIVERSE_KEEP_TEST_DIRS) return;
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  async function run(name: string, globals: string, job: string): Promise<Summary["runs"][number] & { out: string }> {
    const out = join(work, name);
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", out]).code, 0);
    const manifest = join(work, `${name}.yaml`);
    writeFileSync(manifest, `globals:\n  experiment_name: ${name}\n  backend: slurm\n${globals}datasets:\n  d: {path: ${DATASET}}\njobs:\n  - {name: ${name}, dataset_slug: d, model_name: contract-test, seeds: [0], image_sif: ${sif}, image_digest: "${source}"${job}}\n`);
    const result = await cli(["run", "--manifest", manifest, "--output", out, "--json"], { PATH: shims.path([SHIM]), MULTIVERSE_SLURM_RUNTIME: "apptainer" });
    const [summary] = parseJson<Summary>(result).runs;
    return { ...summary!, out };
  }

  test("globals.slurm and jobs[].slurm become the directives; use_tmpdir stages the input; the bundle carries both digests", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const good = await run(
      "settings",
      "  slurm: {partition: debug, time_minutes: 10, mem_gb: 1, extra_directives: ['--requeue'], use_tmpdir: true}\n",
      ", model_params: {n_latent: 5}, slurm: {time_minutes: 5, cpus_per_task: 1, extra_directives: ['--no-kill']}",
    );
    assert.equal(good.phase, "ARTIFACT_SUCCESS", JSON.stringify(good));
    assert.ok((await verifyBundle(good.artifactDir!)).ok);
    const script = readFileSync(join(good.artifactDir!, "job.sbatch"), "utf8").split("\n");
    for (const line of ["#SBATCH --partition=debug", "#SBATCH --time=5", "#SBATCH --mem=1024M", "#SBATCH --cpus-per-task=1", "#SBATCH --requeue", "#SBATCH --no-kill", 'cp ' + DATASET + ' "$STAGE/data.h5mu"', '  --bind "$STAGE/data.h5mu":/input/data.h5mu:ro \\']) {
      assert.ok(script.includes(line), `${line} in\n${script.join("\n")}`);
    }
    const image = (JSON.parse(readFileSync(join(good.artifactDir!, "artifact_manifest.json"), "utf8")) as { image: Record<string, string> }).image;
    assert.deepEqual(image, { reference: sif, kind: "registry", digest: source, registry_digest: source, sif_digest: sifDigest });
  });

  test("a model above the job's --mem is killed by Slurm (slurmstepd) and the run is oom_killed", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const hog = await run("hog", "", ", model_params: {behavior: sleep, alloc_mb: 600, sleep_seconds: 60}, mem_limit: 160m");
    assert.deepEqual([hog.phase, hog.reason], ["FAILED", "oom_killed"], JSON.stringify(hog));
    const workspace = join(hog.out, "store", "workspaces", hog.attemptId!);
    assert.match(readFileSync(join(workspace, "job.sbatch"), "utf8"), /#SBATCH --mem=160M/);
    assert.match(readFileSync(join(workspace, "container.log"), "utf8"), /slurmstepd.*(Exceeded job memory limit|exceeded memory limit)/);
  });
});
