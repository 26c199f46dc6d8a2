/**
 * scripts/k8s-import-image.sh against the test cluster's containerd: a second import of an image already there is
 * a no-op, an unknown image is bad input (exit 2), and an imported image runs as a pod that never pulls.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../../src/util/paths.js";
import { requireDockerOrSkip } from "../../helpers/docker.js";
import { createNamespace, deleteNamespace, kubectl, testClusterOrSkip, type TestCluster } from "../../helpers/k8s-cluster.js";

const IMAGE = "multiverse-pca:1.0.0";
const cluster = testClusterOrSkip();
const skip = typeof cluster === "string" ? cluster : (requireDockerOrSkip([IMAGE]) ?? false);
const NAMESPACE = "k8s-cluster-images";
const importScript = join(repoRoot(), "scripts", "k8s-import-image.sh");

describe("images imported into the test cluster", { skip }, () => {
  const c = cluster as TestCluster;
  before(async () => {
    await createNamespace(c, NAMESPACE);
  });
  after(async () => {
    await deleteNamespace(c, NAMESPACE);
  });

  test("importing an image already there is skipped by its digest; an unknown image is exit 2", () => {
    const first = spawnSync(importScript, [IMAGE], { encoding: "utf8", timeout: 300_000 });
    assert.equal(first.status, 0, first.stderr);
    const again = spawnSync(importScript, [IMAGE], { encoding: "utf8", timeout: 60_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /multiverse-pca:1\.0\.0 already in the cluster/);
    const unknown = spawnSync(importScript, ["multiverse-no-such-image:0"], { encoding: "utf8" });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no Docker image multiverse-no-such-image:0/);
  });

  test("an imported image runs as a pod with imagePullPolicy Never", async () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "pca-image", namespace: NAMESPACE },
      spec: {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        containers: [{ name: "main", image: IMAGE, imagePullPolicy: "Never", command: ["python3", "-c", "import numpy, h5py; print('numpy', numpy.__version__)"] }],
      },
    };
    const created = kubectl(c, ["apply", "-f", "-"], JSON.stringify(pod));
    assert.equal(created.status, 0, created.stderr);
    const deadline = Date.now() + 120_000;
    let phase = "";
    while (phase !== "Succeeded") {
      phase = kubectl(c, ["get", "pod", "pca-image", "-n", NAMESPACE, "-o", "jsonpath={.status.phase}"]).stdout;
      const waiting = kubectl(c, ["get", "pod", "pca-image", "-n", NAMESPACE, "-o", "jsonpath={.status.containerStatuses[0].state.waiting.reason}"]).stdout;
      assert.ok(!/ErrImage|ImagePull/.test(waiting), `the pod could not find the image: ${waiting}`);
      assert.notEqual(phase, "Failed", kubectl(c, ["logs", "pca-image", "-n", NAMESPACE]).stdout);
      assert.ok(Date.now() < deadline, `pod still ${phase} after 120 s`);
      if (phase !== "Succeeded") await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.match(kubectl(c, ["logs", "pca-image", "-n", NAMESPACE]).stdout, /^numpy \d+\.\d+/);
  });
});
