/**
 * The Kubernetes Job executor's own guarantees on the real test cluster, beyond the shared contract: OOM kills,
 * images the node does not have, the Job's deadline, a pod deleted behind its back, paths under no claim, the
 * restricted pod, a non-root user, the TTL once logs are collected, and adoption by a new executor instance that
 * creates nothing a second time.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { V1Job } from "@kubernetes/client-node";
import { LaunchError, type LaunchRequest } from "../../../src/executors/executor.js";
import { contractMounts } from "../../../src/executors/mounts.js";
import { writeH5mu } from "../../../src/h5/index.js";
import { KubernetesJobExecutor } from "../../../src/executors/kubernetes/kubernetes-executor.js";
import type { KubernetesSettings } from "../../../src/executors/kubernetes/settings.js";
import { CONTRACT_TEST_IMAGE } from "../../helpers/docker.js";
import { ensureNamespaceWithClaim, importImage, kubectl, requireK8sOrSkip, testKubeconfig, TEST_CLAIM_DIR } from "../../helpers/k8s-jobs-cluster.js";
import { waitFor } from "../../contracts/executor-contract.js";

const NAMESPACE = "k8s-jobs-executor";
const skip = requireK8sOrSkip([CONTRACT_TEST_IMAGE]);

describe("Kubernetes Job executor on the test cluster", { skip }, () => {
  let settings: KubernetesSettings;
  let executor: KubernetesJobExecutor;
  let dir: string;
  let dataset: string;
  const owner = `k8sexec${process.pid}`;
  const attempts: string[] = [];

  before(async () => {
    importImage(CONTRACT_TEST_IMAGE);
    const claim = ensureNamespaceWithClaim(NAMESPACE);
    settings = { namespace: NAMESPACE, kubeconfig: testKubeconfig(), stateClaim: claim, datasetClaims: [], imagePullPolicy: "Never", ttlAfterLogsSeconds: 120, maxInflight: 50 };
    executor = new KubernetesJobExecutor({ settings, owner: () => owner });
    mkdirSync(TEST_CLAIM_DIR, { recursive: true });
    dir = mkdtempSync(join(TEST_CLAIM_DIR, "mv-k8s-executor-"));
    dataset = join(dir, "data.h5mu");
    await writeH5mu(dataset, { nObs: 10, modalities: { rna: { nVars: 5 } }, seed: 1 });
  });
  after(async () => {
    for (const id of attempts) await executor.release(id).catch(() => undefined);
    await executor.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function request(name: string, hyperparameters: Record<string, unknown>, extra: Partial<LaunchRequest> = {}): LaunchRequest {
    const attemptId = `${owner}-${name}-a1`;
    attempts.push(attemptId);
    const workspaceDir = join(dir, attemptId);
    mkdirSync(workspaceDir, { recursive: true });
    writeFileSync(join(workspaceDir, "job_spec.json"), JSON.stringify({ seed: 0, hyperparameters }));
    return { attemptId, runId: `run-${name}`, ownerId: owner, image: CONTRACT_TEST_IMAGE, mounts: contractMounts(dataset, workspaceDir), env: {}, gpu: false, ...extra };
  }

  function jobOf(attemptId: string): V1Job {
    const result = kubectl(["-n", NAMESPACE, "get", "job", `mv-${attemptId}`, "-o", "json"]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as V1Job;
  }

  test("a memory limit is enforced and reported as OOM-killed", async () => {
    const req = request("oom", { behavior: "oom" }, { memLimitBytes: 64 * 1024 * 1024 });
    await executor.launch(req);
    const done = await waitFor(executor, req.attemptId, (o) => o.state === "exited", 120_000);
    assert.equal(done.oomKilled, true, JSON.stringify(done));
    assert.equal(done.exitCode, 137);
    const resources = jobOf(req.attemptId).spec?.template.spec?.containers[0]?.resources;
    assert.deepEqual(resources, { requests: { memory: "67108864" }, limits: { memory: "67108864" } });
  });

  test("an image the node does not have is image_missing", async () => {
    const req = request("ghost", { behavior: "ok" }, { image: "multiverse-no-such-image:0" });
    await executor.launch(req);
    const done = await waitFor(executor, req.attemptId, (o) => o.state === "exited", 120_000);
    assert.equal(done.failure?.reason, "image_missing", JSON.stringify(done));
    assert.match(done.failure?.message ?? "", /ErrImageNeverPull/);
  });

  test("the Job's deadline stops the attempt as a timeout", async () => {
    const req = request("deadline", { behavior: "sleep", sleep_seconds: 300 }, { timeoutSeconds: 5 });
    await executor.launch(req);
    assert.equal(jobOf(req.attemptId).spec?.activeDeadlineSeconds, 5);
    const done = await waitFor(executor, req.attemptId, (o) => o.state === "exited", 120_000);
    assert.equal(done.failure?.reason, "timeout", JSON.stringify(done));
  });

  test("a pod deleted outside multiverse is an infrastructure failure (lost)", async () => {
    const req = request("deleted", { behavior: "sleep", sleep_seconds: 300 });
    await executor.launch(req);
    await waitFor(executor, req.attemptId, (o) => o.state === "running", 120_000);
    const deleted = kubectl(["-n", NAMESPACE, "delete", "pod", "-l", `multiverse.io/attempt=${req.attemptId}`, "--grace-period=1", "--wait=false"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const done = await waitFor(executor, req.attemptId, (o) => o.state === "exited", 120_000);
    assert.equal(done.failure?.reason, "lost", JSON.stringify(done));
  });

  test("a mount under no claim is a launch_error naming the path; nothing is created", async () => {
    const outside = mkdtempSync("/tmp/mv-k8s-outside-");
    try {
      const req = request("outside", { behavior: "ok" }, { mounts: contractMounts(join(outside, "d.h5mu"), join(dir, "ws-outside")) });
      await assert.rejects(executor.launch(req), (e: unknown) => e instanceof LaunchError && e.kind === "launch_error" && e.message.includes(join(outside, "d.h5mu")));
      assert.notEqual(kubectl(["-n", NAMESPACE, "get", "job", `mv-${req.attemptId}`]).code, 0, "no Job was created");
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test("the pod is restricted; a configured user runs the model as non-root; the TTL is set once logs are collected", async () => {
    const nonRoot = new KubernetesJobExecutor({ settings: { ...settings, runAsUser: 1000 }, owner: () => owner });
    try {
      const req = request("nonroot", { behavior: "ok" });
      chownSync(join(dir, req.attemptId), 1000, 1000);
      await nonRoot.launch(req);
      const done = await waitFor(nonRoot, req.attemptId, (o) => o.state === "exited", 120_000);
      assert.equal(done.exitCode, 0, JSON.stringify(done));
      const spec = jobOf(req.attemptId).spec;
      assert.equal(spec?.backoffLimit, 0);
      assert.equal(spec?.template.spec?.restartPolicy, "Never");
      assert.equal(spec?.template.spec?.automountServiceAccountToken, false);
      assert.deepEqual(spec?.template.spec?.containers[0]?.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
      assert.equal(spec?.ttlSecondsAfterFinished, undefined);
      await nonRoot.collectLogs(req.attemptId, join(dir, req.attemptId, "container.log"));
      assert.equal(jobOf(req.attemptId).spec?.ttlSecondsAfterFinished, 120);
    } finally {
      await nonRoot.close();
    }
  });

  test("a new executor instance adopts a running Job and never creates a second", async () => {
    const req = request("adopt", { behavior: "sleep", sleep_seconds: 8 });
    await executor.launch(req);
    const running = await waitFor(executor, req.attemptId, (o) => o.state === "running", 120_000);
    const restarted = new KubernetesJobExecutor({ settings, owner: () => owner });
    try {
      const owned = await restarted.listOwned(owner);
      const adopted = owned.find((o) => o.attemptId === req.attemptId);
      assert.equal(adopted?.state, "running");
      assert.equal(adopted?.startedAt, running.startedAt);
      assert.equal(adopted?.labels?.["io.multiverse.run-id"], "run-adopt");
      await restarted.launch(req);
      assert.equal(restarted.api.requests.get("create job") ?? 0, 0, "an existing Job is adopted from the cache, not created");
      const jobs = kubectl(["-n", NAMESPACE, "get", "jobs", "-l", `multiverse.io/attempt=${req.attemptId}`, "-o", "name"]);
      assert.equal(jobs.stdout.trim().split("\n").length, 1);
      await restarted.waitForExit(req.attemptId);
      const done = await restarted.observe(req.attemptId);
      assert.equal(done.state, "exited");
      assert.equal(done.exitCode, 0);
      // A third instance that has not seen the Job yet creates it, gets 409 AlreadyExists, and adopts it.
      const racing = new KubernetesJobExecutor({ settings, owner: () => `${owner}-other` });
      try {
        await racing.launch(req);
        assert.equal(kubectl(["-n", NAMESPACE, "get", "jobs", "-l", `multiverse.io/attempt=${req.attemptId}`, "-o", "name"]).stdout.trim().split("\n").length, 1);
      } finally {
        await racing.close();
      }
    } finally {
      await restarted.close();
    }
  });
});
