/**
 * Image provenance against a real OCI registry (Debian's docker-registry) and the real Docker engine: an image
 * pushed to the registry runs with --strict and its bundle records the registry digest; the same image id under a
 * local-only name stays unverified_local; simple mode pulls an image whose declared digest is missing locally,
 * --no-image-pull refuses to, and a digest the registry does not serve is a clear error.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { cli, cliSync, explain, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { requireRegistryOrSkip, startRegistry, type TestRegistry } from "../helpers/registry.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const LOCAL_IMAGE = "multiverse-contract-test:dev";
const skip = requireDockerOrSkip([LOCAL_IMAGE]) ?? requireRegistryOrSkip();

interface Summary {
  runs: { phase: string; artifactDir: string | null; reason: string | null }[];
}
interface BundleManifest {
  image: { reference: string; kind: string; digest: string; registry_digest?: string };
}

function docker(args: string[]): string {
  const result = spawnSync("docker", args, { encoding: "utf8", timeout: 170_000 });
  assert.equal(result.status, 0, `docker ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

describe("image provenance with a real registry (Docker)", { skip }, () => {
  let work: string;
  let dataset: string;
  let registry: TestRegistry;
  let repository: string;
  let digest: string;
  const bundleImage = (dir: string) => (JSON.parse(readFileSync(join(dir, "artifact_manifest.json"), "utf8")) as BundleManifest).image;
  const untagPushed = () => {
    // Untagging the last tag of a repository drops its repo digests too: the image is then missing under that name.
    spawnSync("docker", ["rmi", `${repository}:dev`, `${repository}@${digest}`], { encoding: "utf8" });
    assert.notEqual(spawnSync("docker", ["image", "inspect", `${repository}@${digest}`]).status, 0, "the pinned image is gone locally");
  };
  const simpleManifest = (name: string, imageDigest: string) => {
    const file = join(work, `${name}.yaml`);
    writeFileSync(file, `schema_version: "1"
globals:
  mv_contract_version: "1"
jobs:
  - name: ${name}
    model: { slug: contract-test, version: "0.1.0", image: "${repository}:dev", image_digest: "${imageDigest}" }
    dataset: { slug: tiny, path: ${dataset}, n_obs: 40 }
    params: { behavior: ok }
`);
    return file;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-registry-"));
    dataset = join(work, "tiny.h5mu");
    await writeH5mu(dataset, { nObs: 40, modalities: { rna: { nVars: 25 } }, seed: 3, batches: 2, labels: 3, obsColumns: ["batch", "label"] });
    registry = await startRegistry(join(work, "registry"));
    repository = `${registry.address}/multiverse/contract-test`;
    docker(["tag", LOCAL_IMAGE, `${repository}:dev`]);
    docker(["push", "-q", `${repository}:dev`]);
    const repoDigests = JSON.parse(docker(["image", "inspect", `${repository}:dev`, "--format", "{{json .RepoDigests}}"])) as string[];
    const pushed = repoDigests.find((d) => d.startsWith(`${repository}@`));
    assert.ok(pushed, `a repo digest for ${repository}: ${repoDigests.join(", ")}`);
    digest = pushed.split("@")[1]!;
  });
  after(async () => {
    spawnSync("docker", ["rmi", `${repository}:dev`, `${repository}@${digest}`], { encoding: "utf8" });
    await registry?.stop();
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("an image pushed to the registry runs with --strict and its bundle records the registry digest; the same image under a local name stays unverified_local", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const out = join(work, "strict");
    const modelDir = join(work, "model");
    cpSync(join(repoRoot(), "test", "fixtures", "models", "contract-test"), modelDir, { recursive: true });
    const yaml = readFileSync(join(modelDir, "model.yaml"), "utf8").replace(`image: ${LOCAL_IMAGE}`, `image: ${repository}:dev`);
    assert.ok(yaml.includes(repository));
    writeFileSync(join(modelDir, "model.yaml"), yaml);
    assert.equal(cliSync(["register-model", join(modelDir, "model.yaml"), "--state-root", out]).code, 0);
    const manifest = join(work, "strict.yaml");
    writeFileSync(manifest, `globals:\n  experiment_name: registry\ndatasets:\n  tiny: {path: ${dataset}, batch_key: batch, label_key: label}\njobs:\n  - {name: pushed, dataset_slug: tiny, model_name: contract-test, seeds: [0]}\n`);
    const result = await cli(["run", "--manifest", manifest, "--output", out, "--json", "--strict"]);
    assert.equal(result.code, 0, explain(result));
    const run = parseJson<Summary>(result).runs[0]!;
    assert.equal(run.phase, "ARTIFACT_SUCCESS");
    assert.deepEqual(bundleImage(run.artifactDir!), { reference: `${repository}:dev`, kind: "registry", digest, registry_digest: digest });

    // The very same image id under its local-only name: pushing it elsewhere proves nothing about this name.
    const local = join(work, "local-out");
    const plain = join(work, "plain.yaml");
    writeFileSync(plain, `globals:\n  experiment_name: registry\ndatasets:\n  tiny: {path: ${dataset}, batch_key: batch, label_key: label}\njobs:\n  - {name: local, dataset_slug: tiny, model_name: contract-test, seeds: [0]}\n`);
    assert.equal(cliSync(["register-model", join(repoRoot(), "test", "fixtures", "models", "contract-test", "model.yaml"), "--state-root", local]).code, 0);
    const refused = await cli(["run", "--manifest", plain, "--output", local, "--strict"]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /has no registry digest \(identity unverified_local\); --strict refuses it/);
  });

  test("simple mode pulls an image whose declared digest is missing locally; --no-image-pull refuses to", { timeout: TEST_HANG_GUARD_MS }, async () => {
    untagPushed();
    const file = simpleManifest("pulled", digest);
    const refused = await cli(["run", "--simple", file, "--out", join(work, "no-pull"), "--no-image-pull", "--json"]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`image ${repository.replace(/[.]/g, "\\.")}@${digest} \\(the model's declared image_digest\\) is not in the local engine, and --no-image-pull forbids pulling it \\[MV_IMAGE_UNAVAILABLE\\]`));
    assert.ok(!existsSync(join(work, "no-pull", "pulled")), "nothing ran");

    const out = join(work, "pull");
    const result = await cli(["run", "--simple", file, "--out", out, "--json"]);
    assert.equal(result.code, 0, explain(result));
    assert.match(result.stderr, /pulling .*@sha256:[0-9a-f]{64} \(the model's declared image_digest is not present locally\)/);
    assert.deepEqual(bundleImage(join(out, "pulled")), { reference: `${repository}@${digest}`, kind: "registry", digest, registry_digest: digest });
    assert.equal(spawnSync("docker", ["image", "inspect", `${repository}@${digest}`]).status, 0, "the pulled image is in the engine");
  });

  test("a declared digest the registry does not serve is refused with what the registry said", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const wrong = `sha256:${"0".repeat(64)}`;
    const result = await cli(["run", "--simple", simpleManifest("wrong", wrong), "--out", join(work, "wrong"), "--json"]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`image .*@${wrong} \\(the model's declared image_digest\\) could not be pulled: pulling .* failed: .*(not found|unknown)`, "i"));
    assert.match(result.stderr, /check image_digest against what the registry serves/);
  });
});
