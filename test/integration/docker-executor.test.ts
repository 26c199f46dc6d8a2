/**
 * The Docker executor against the real engine: the shared executor contract (with the read-only input and no
 * network) plus Docker-specific guarantees.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DockerExecutor } from "../../src/executors/docker/docker-executor.js";
import { LaunchError } from "../../src/executors/executor.js";
import { contractMounts } from "../../src/executors/mounts.js";
import { writeH5mu } from "../../src/h5/index.js";
import { tempDir } from "../helpers/fixtures.js";
import { CONTRACT_TEST_IMAGE, requireDockerOrSkip } from "../helpers/docker.js";
import { executorContractSuite, waitFor } from "../contracts/executor-contract.js";

const skip = requireDockerOrSkip();
executorContractSuite("docker", async () => new DockerExecutor(), { image: CONTRACT_TEST_IMAGE, skip });

describe("Docker-specific guarantees", { skip }, () => {
  const executor = new DockerExecutor();
  let dir: string;
  let cleanup: () => void;
  let dataset: string;
  const owner = `docker${process.pid}`;
  const attempts: string[] = [];

  before(async () => {
    ({ dir, cleanup } = tempDir("docker"));
    dataset = join(dir, "data.h5mu");
    await writeH5mu(dataset, { nObs: 10, modalities: { rna: { nVars: 5 } }, seed: 1 });
  });
  after(async () => {
    for (const id of attempts) await executor.release(id).catch(() => undefined);
    cleanup();
  });

  async function run(behavior: string, extra: Record<string, unknown> = {}) {
    const attemptId = `${owner}-${behavior}-a1`;
    attempts.push(attemptId);
    const workspaceDir = join(dir, attemptId);
    mkdirSync(workspaceDir, { recursive: true });
    writeFileSync(join(workspaceDir, "job_spec.json"), JSON.stringify({ seed: 0, hyperparameters: { behavior } }));
    await executor.launch({ attemptId, runId: "r", ownerId: owner, image: CONTRACT_TEST_IMAGE, mounts: contractMounts(dataset, workspaceDir), env: {}, gpu: false, ...extra });
    return waitFor(executor, attemptId, (o) => o.state === "exited");
  }

  test("a missing image is image_missing", async () => {
    await assert.rejects(
      executor.launch({ attemptId: `${owner}-ghost-a1`, runId: "r", ownerId: owner, image: "multiverse-no-such-image:0", mounts: contractMounts(dataset, dir), env: {}, gpu: false }),
      (e: unknown) => e instanceof LaunchError && e.kind === "image_missing",
    );
  });

  test("a memory limit is enforced and reported as OOM-killed", async () => {
    const done = await run("oom", { memLimitBytes: 64 * 1024 * 1024 });
    assert.equal(done.oomKilled, true);
    assert.equal(done.exitCode, 137);
  });

  test("a local image resolves to an unverified_local identity with its sha256 id", async () => {
    const identity = await executor.resolveImage(CONTRACT_TEST_IMAGE);
    assert.equal(identity?.kind, "unverified_local");
    assert.match(identity?.digest ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.equal(await executor.resolveImage("multiverse-no-such-image:0"), null);
  });

  test("an engine that does not answer is engine_unavailable", async () => {
    const down = new DockerExecutor({ socketPath: join(dir, "no-docker.sock") });
    await assert.rejects(down.resolveImage(CONTRACT_TEST_IMAGE), (e: unknown) => e instanceof LaunchError && e.kind === "engine_unavailable");
  });
});
