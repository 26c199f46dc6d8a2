/**
 * End to end through the CLI: pca on pbmc68k-reduced with `multiverse run --backend kubernetes` (a Job on the test
 * cluster, the state root and the dataset on a PersistentVolumeClaim) gives a bundle that `multiverse verify`
 * accepts, with the same logical run id and bit-identical latents as the Docker executor for the same inputs.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../../src/util/paths.js";
import { cli, parseJson } from "../../helpers/cli.js";
import { requireDockerOrSkip } from "../../helpers/docker.js";
import { ensureNamespaceWithClaim, importImage, kubectl, requireK8sOrSkip, testKubeconfig, TEST_CLAIM_DIR } from "../../helpers/k8s-jobs-cluster.js";
import { TEST_HANG_GUARD_MS } from "../../helpers/wait.js";

const IMAGE = "multiverse-pca:1.0.0";
const NAMESPACE = "k8s-jobs-e2e";
const DATASET = join(repoRoot(), "data", "generated", "pbmc68k-reduced.h5mu");
const skip = requireK8sOrSkip([IMAGE]) ?? requireDockerOrSkip([IMAGE]) ?? (existsSync(DATASET) ? undefined : `${DATASET} is missing (scripts/setup.sh)`);

interface Summary {
  runs: { runId: string; job: string; seed: number; phase: string; reason: string | null; message: string | null; artifactDir: string | null }[];
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("pca on pbmc68k-reduced through Kubernetes Jobs", { skip }, () => {
  let work: string;
  let manifest: string;
  before(() => {
    importImage(IMAGE);
    ensureNamespaceWithClaim(NAMESPACE);
    mkdirSync(TEST_CLAIM_DIR, { recursive: true });
    work = mkdtempSync(join(TEST_CLAIM_DIR, "mv-k8s-e2e-"));
    const dataset = join(work, "pbmc68k-reduced.h5mu");
    copyFileSync(DATASET, dataset);
    manifest = join(work, "pbmc.yaml");
    writeFileSync(
      manifest,
      [
        "globals:",
        "  experiment_name: pbmc-k8s",
        "datasets:",
        "  pbmc68k-reduced:",
        `    path: ${dataset}`,
        "    batch_key: batch",
        "    label_key: cell_type",
        "jobs:",
        "  - name: pca",
        "    dataset_slug: pbmc68k-reduced",
        "    model_name: pca",
        "    model_params: {n_components: 15, normalize: false}",
        "    seeds: [0]",
        "",
      ].join("\n"),
    );
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  async function run(backend: string, out: string, flags: string[] = []): Promise<Summary["runs"][number]> {
    const result = await cli(["run", "--manifest", manifest, "--output", out, "--backend", backend, "--json", ...flags]);
    const runs = parseJson<Summary>(result).runs;
    assert.equal(result.code, 0, `${backend}: ${result.stderr}\n${JSON.stringify(runs)}`);
    assert.equal(runs.length, 1);
    return runs[0]!;
  }

  test("the bundle verifies, and the logical run id and latent equal the Docker executor's", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const kube = await run("kubernetes", join(work, "out-k8s"), ["--kube-namespace", NAMESPACE, "--kubeconfig", testKubeconfig(), "--kube-state-claim", `state:${TEST_CLAIM_DIR}`, "--kube-image-pull-policy", "Never"]);
    assert.equal(kube.phase, "ARTIFACT_SUCCESS", JSON.stringify(kube));
    const verified = await cli(["verify", kube.artifactDir!, "--json"]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const log = readFileSync(join(kube.artifactDir!, "container.log"), "utf8");
    assert.ok(log.length > 0, "the pod's log was collected into container.log");
    assert.equal(kubectl(["-n", NAMESPACE, "get", "jobs", "-l", `multiverse.io/run=${kube.runId}`, "-o", "name"]).stdout.trim(), "", "the Job is released once the outcome is journaled");

    const docker = await run("docker", join(work, "out-docker"));
    assert.equal(docker.phase, "ARTIFACT_SUCCESS");
    assert.equal(kube.runId, docker.runId, "the same logical run on both backends");
    assert.equal(sha(join(kube.artifactDir!, "embeddings.h5")), sha(join(docker.artifactDir!, "embeddings.h5")), "bit-identical embeddings.h5");
  });

  test("a state root under no claim fails the run with a launch_error naming the path", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const result = await cli(["run", "--manifest", manifest, "--output", join(work, "out-noclaim"), "--backend", "kubernetes", "--json", "--kube-namespace", NAMESPACE, "--kubeconfig", testKubeconfig(), "--kube-state-claim", "state:/nowhere", "--kube-image-pull-policy", "Never"]);
    const runs = parseJson<Summary>(result).runs;
    assert.equal(result.code, 1, result.stderr);
    assert.equal(runs[0]?.phase, "FAILED");
    assert.equal(runs[0]?.reason, "launch_error");
    assert.match(runs[0]?.message ?? "", /is under no PersistentVolumeClaim/);
  });

  test("bad --kube-* flags are refused before anything starts (exit 2)", async () => {
    const result = await cli(["run", "--manifest", manifest, "--output", join(work, "out-bad"), "--backend", "kubernetes", "--kube-namespace", "Not_A_Namespace"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--kube-namespace: "Not_A_Namespace" is not a namespace name/);
    assert.ok(!existsSync(join(work, "out-bad")), "nothing was created");
  });
});
