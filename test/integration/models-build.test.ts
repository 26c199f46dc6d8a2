/** `multiverse models build`: a model's image built with the real engine from the paths in its model.yaml. */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../src/util/paths.js";
import { loadModelYaml } from "../../src/catalog/models.js";
import { buildPlan } from "../../src/cli/commands/models-build.js";
import { cli } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";

const BASE = process.env.MULTIVERSE_BASE_IMAGE ?? "multiverse-base:bookworm";
const skip = requireDockerOrSkip([BASE]);
const TAG = `multiverse-build-check:${process.pid}`;

describe("models build", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "mv-build-"));
  after(() => {
    spawnSync("docker", ["rmi", "-f", TAG]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("build paths resolve against the model directory", () => {
    const pca = loadModelYaml(join(repoRoot(), "store/models/pca/model.yaml"));
    const plan = buildPlan(pca, "base:x");
    assert.equal(plan.context, repoRoot());
    assert.equal(plan.dockerfile, join(repoRoot(), "store/models/pca/container/Dockerfile"));
    assert.deepEqual(plan.argv.slice(-3), ["--build-arg", "BASE_IMAGE=base:x", repoRoot()]);
  });

  test("builds and labels the image of a registered model; a missing Dockerfile is a clear error", async () => {
    const container = join(repoRoot(), "test/fixtures/models/contract-test/container");
    writeFileSync(join(dir, "model.yaml"), `name: build-check\nversion: "1"\nruntime:\n  image: ${TAG}\nhyperparameters_schema: {}\nbuild:\n  context: ${container}\n  dockerfile: ${join(container, "Dockerfile")}\n`);
    const state = join(dir, "state");
    assert.equal((await cli(["register-model", join(dir, "model.yaml"), "--state-root", state])).code, 0);
    const built = await cli(["models", "build", "build-check", "--state-root", state, "--base-image", BASE, "--quiet"]);
    assert.equal(built.code, 0, built.stderr);
    const label = spawnSync("docker", ["image", "inspect", "-f", '{{ index .Config.Labels "io.multiverse.model" }}', TAG], { encoding: "utf8" });
    assert.equal(label.stdout.trim(), "build-check");

    writeFileSync(join(dir, "model.yaml"), `name: build-broken\nversion: "1"\nruntime:\n  image: ${TAG}\nbuild:\n  dockerfile: nowhere/Dockerfile\n`);
    assert.equal((await cli(["register-model", join(dir, "model.yaml"), "--state-root", state])).code, 0);
    const broken = await cli(["models", "build", "build-broken", "--state-root", state]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /Dockerfile .*nowhere\/Dockerfile does not exist/);
  });

  test("register-model --build registers, then builds", async () => {
    spawnSync("docker", ["rmi", "-f", TAG]);
    const container = join(repoRoot(), "test/fixtures/models/contract-test/container");
    writeFileSync(join(dir, "model.yaml"), `name: build-at-once\nversion: "1"\nruntime:\n  image: ${TAG}\nhyperparameters_schema: {}\nbuild:\n  context: ${container}\n  dockerfile: ${join(container, "Dockerfile")}\n`);
    const result = await cli(["register-model", join(dir, "model.yaml"), "--state-root", join(dir, "state2"), "--build", "--base-image", BASE]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /registered model build-at-once[\s\S]*built /);
    const label = spawnSync("docker", ["image", "inspect", "-f", '{{ index .Config.Labels "io.multiverse.model" }}', TAG], { encoding: "utf8" });
    assert.equal(label.stdout.trim(), "build-at-once");
  });
});
