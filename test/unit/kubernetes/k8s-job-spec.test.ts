/** The Kubernetes Job executor's pure parts: names and labels, settings, volumes from claims, the Job built from a launch request. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { contractMounts } from "../../../src/executors/mounts.js";
import { LaunchError, type LaunchRequest } from "../../../src/executors/executor.js";
import { idsOf, isDnsLabel, isLabelValue, jobAnnotations, jobLabels, jobNameOf, labelValueOf, observationLabels, ownerSelector } from "../../../src/executors/kubernetes/names.js";
import { kubernetesSettings, parseClaimMount, type KubernetesSettings } from "../../../src/executors/kubernetes/settings.js";
import { claimPathOf, podVolumes } from "../../../src/executors/kubernetes/volumes.js";
import { buildJob, resourcesOf, securityContextOf } from "../../../src/executors/kubernetes/job-spec.js";
import { identityFromNodes, pinnedIdentity, referenceNames } from "../../../src/executors/kubernetes/image-identity.js";
import { isMultiverseError } from "../../../src/domain/errors.js";

describe("Job names and labels", () => {
  test("a short attempt id gives mv-<attemptId>, the handle every executor uses", () => {
    assert.equal(jobNameOf("0123456789ab-a1b2c3-a1"), "mv-0123456789ab-a1b2c3-a1");
  });

  test("any attempt id gives a DNS-1123 label of at most 63 characters, different for different ids", () => {
    const ids = ["x".repeat(100), "X".repeat(100), "Upper_Case.Dots-a1", "-leading", "trailing-", "a".repeat(60) + "-a1", "a".repeat(60) + "-a2", "é€", ""];
    const names = ids.map(jobNameOf);
    for (const name of names) assert.ok(isDnsLabel(name), `${name} is a DNS-1123 label`);
    assert.equal(new Set(names).size, ids.length, "no two attempt ids share a Job name");
    assert.equal(jobNameOf(ids[0]!), jobNameOf(ids[0]!), "deterministic");
  });

  test("label values are the ids when legal, else a legal shortened value with a hash; annotations keep the exact ids", () => {
    assert.equal(labelValueOf("run1"), "run1");
    const long = "r".repeat(64);
    const value = labelValueOf(long);
    assert.ok(isLabelValue(value) && value.length <= 63);
    assert.notEqual(labelValueOf(long), labelValueOf(`${long}x`));
    for (const odd of ["has space", "ünïcode", "-x-", "a/b", ""]) assert.ok(isLabelValue(labelValueOf(odd)), odd);
    const ids = { ownerId: "o".repeat(70), attemptId: "a1", runId: "r1" };
    const labels = jobLabels(ids);
    assert.deepEqual(Object.keys(labels), ["multiverse.io/managed", "multiverse.io/owner", "multiverse.io/attempt", "multiverse.io/run"]);
    for (const v of Object.values(labels)) assert.ok(isLabelValue(v));
    assert.deepEqual(idsOf({ annotations: jobAnnotations(ids) }), ids);
    assert.equal(idsOf({ annotations: {} }), undefined);
    assert.equal(ownerSelector(ids.ownerId), `multiverse.io/managed=true,multiverse.io/owner=${labels["multiverse.io/owner"]}`);
    assert.deepEqual(observationLabels(ids, "mv-a1"), { "io.multiverse.owner": ids.ownerId, "io.multiverse.attempt-id": "a1", "io.multiverse.run-id": "r1", job: "mv-a1" });
  });
});

function usageError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => isMultiverseError(error) && error.exitCode === 2 && pattern.test(error.message));
}

describe("settings", () => {
  test("defaults, environment variables, and flags over them", () => {
    const defaults = kubernetesSettings({}, {}, "/state");
    assert.deepEqual(defaults, { namespace: "default", datasetClaims: [], imagePullPolicy: "IfNotPresent", ttlAfterLogsSeconds: 600, maxInflight: 500 });
    const env = { MULTIVERSE_K8S_NAMESPACE: "mv", MULTIVERSE_K8S_STATE_CLAIM: "state", MULTIVERSE_K8S_DATASET_CLAIMS: "data:/datasets, ref:/ref/", MULTIVERSE_K8S_IMAGE_PULL_POLICY: "Never", MULTIVERSE_K8S_RUN_AS_USER: "1000", MULTIVERSE_K8S_TTL_AFTER_LOGS_SECONDS: "0" };
    const fromEnv = kubernetesSettings({}, env, "/srv/state");
    assert.equal(fromEnv.namespace, "mv");
    assert.deepEqual(fromEnv.stateClaim, { claim: "state", path: "/srv/state" });
    assert.deepEqual(fromEnv.datasetClaims, [{ claim: "data", path: "/datasets", readOnly: true }, { claim: "ref", path: "/ref", readOnly: true }]);
    assert.equal(fromEnv.imagePullPolicy, "Never");
    assert.equal(fromEnv.runAsUser, 1000);
    assert.equal(fromEnv.ttlAfterLogsSeconds, 0);
    const flags = kubernetesSettings({ kubeNamespace: "other", kubeStateClaim: "s2:/mnt/state", kubeDatasetClaim: ["d2:/d"], kubeImagePullPolicy: "Always", kubeconfig: "/k" }, env, "/srv/state");
    assert.equal(flags.namespace, "other");
    assert.deepEqual(flags.stateClaim, { claim: "s2", path: "/mnt/state" });
    assert.deepEqual(flags.datasetClaims, [{ claim: "d2", path: "/d", readOnly: true }]);
    assert.equal(flags.imagePullPolicy, "Always");
    assert.equal(flags.kubeconfig, "/k");
  });

  test("bad values are usage errors that name the flag or variable", () => {
    usageError(() => kubernetesSettings({ kubeNamespace: "Bad_NS" }, {}, "/s"), /--kube-namespace: "Bad_NS" is not a namespace/);
    usageError(() => kubernetesSettings({}, { MULTIVERSE_K8S_NAMESPACE: "x".repeat(64) }, "/s"), /MULTIVERSE_K8S_NAMESPACE/);
    usageError(() => kubernetesSettings({ kubeStateClaim: "Claim" }, {}, "/s"), /--kube-state-claim: "Claim" is not a PersistentVolumeClaim name/);
    usageError(() => kubernetesSettings({ kubeDatasetClaim: ["data"] }, {}, "/s"), /--kube-dataset-claim: give the claim's mount path as data:\/path/);
    usageError(() => kubernetesSettings({}, { MULTIVERSE_K8S_DATASET_CLAIMS: "data:relative" }, "/s"), /MULTIVERSE_K8S_DATASET_CLAIMS: the mount path of claim data must be absolute/);
    usageError(() => kubernetesSettings({ kubeImagePullPolicy: "Sometimes" }, {}, "/s"), /--kube-image-pull-policy must be one of Always, IfNotPresent, Never/);
    usageError(() => kubernetesSettings({}, { MULTIVERSE_K8S_RUN_AS_USER: "root" }, "/s"), /MULTIVERSE_K8S_RUN_AS_USER must be an integer/);
    usageError(() => kubernetesSettings({}, { MULTIVERSE_K8S_MAX_INFLIGHT: "0" }, "/s"), /MULTIVERSE_K8S_MAX_INFLIGHT must be an integer of at least 1/);
    assert.deepEqual(parseClaimMount("c:/a/b/", "x"), { claim: "c", path: "/a/b" });
  });
});

const state = { claim: "state", path: "/state" };
const datasets = { claim: "datasets", path: "/datasets", readOnly: true };

describe("volumes from claims", () => {
  test("a host path maps to the claim with the longest containing mount path and its subPath", () => {
    const nested = { claim: "nested", path: "/state/big" };
    assert.deepEqual(claimPathOf("/state/workspaces/a1", [state, nested]), { claim: state, subPath: "workspaces/a1" });
    assert.deepEqual(claimPathOf("/state/big/x.h5mu", [state, nested]), { claim: nested, subPath: "x.h5mu" });
    assert.deepEqual(claimPathOf("/state", [state]), { claim: state, subPath: "" });
    assert.deepEqual(claimPathOf("/state/../etc/passwd", [state]), undefined);
    assert.equal(claimPathOf("/stateful/x", [state]), undefined, "a prefix of the name is not a parent directory");
  });

  test("one volume per claim, one subPath mount per contract mount, read-only input", () => {
    const volumes = podVolumes(contractMounts("/datasets/pbmc/data.h5mu", "/state/workspaces/a1"), [state, datasets]);
    assert.deepEqual(volumes.volumes, [
      { name: "claim-0", persistentVolumeClaim: { claimName: "datasets", readOnly: true } },
      { name: "claim-1", persistentVolumeClaim: { claimName: "state" } },
    ]);
    assert.deepEqual(volumes.volumeMounts, [
      { name: "claim-0", mountPath: "/input/data.h5mu", readOnly: true, subPath: "pbmc/data.h5mu" },
      { name: "claim-1", mountPath: "/output", readOnly: false, subPath: "workspaces/a1" },
    ]);
    const shared = podVolumes(contractMounts("/state/datasets/d.h5mu", "/state/ws/a1"), [state]);
    assert.equal(shared.volumes.length, 1, "input and workspace from the same claim share its volume");
  });

  test("a path under no claim, or a workspace on a read-only claim, is a launch_error naming the path", () => {
    const refused = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: unknown) => e instanceof LaunchError && e.kind === "launch_error" && pattern.test(e.message));
    refused(() => podVolumes(contractMounts("/home/me/d.h5mu", "/state/ws"), [state]), /the input \/home\/me\/d\.h5mu is under no PersistentVolumeClaim.*state at \/state/);
    refused(() => podVolumes(contractMounts("/state/d.h5mu", "/tmp/ws"), [state]), /the workspace \/tmp\/ws is under no PersistentVolumeClaim/);
    refused(() => podVolumes(contractMounts("/state/d.h5mu", "/state/ws"), []), /the input \/state\/d.h5mu is under no PersistentVolumeClaim the Kubernetes executor knows; no claims are configured/);
    refused(() => podVolumes(contractMounts("/datasets/d.h5mu", "/datasets/ws"), [datasets]), /must be writable, but claim datasets is mounted read-only/);
  });
});

const settings: KubernetesSettings = { namespace: "mv", stateClaim: state, datasetClaims: [datasets], imagePullPolicy: "Never", ttlAfterLogsSeconds: 60, maxInflight: 10 };

function request(overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return { attemptId: "abc-own-a1", runId: "abc", ownerId: "own", image: "multiverse-pca:1.0.0", mounts: contractMounts("/datasets/d.h5mu", "/state/ws/abc-own-a1"), env: { A: "1" }, gpu: false, ...overrides };
}

describe("the Job of a launch request", () => {
  test("one pod, never restarted, deadline from the timeout, labels and annotations on Job and pod", () => {
    const job = buildJob(request({ timeoutSeconds: 90.5 }), settings);
    assert.equal(job.metadata?.name, "mv-abc-own-a1");
    assert.equal(job.metadata?.namespace, "mv");
    assert.equal(job.spec?.backoffLimit, 0);
    assert.equal(job.spec?.activeDeadlineSeconds, 91);
    assert.equal(job.spec?.ttlSecondsAfterFinished, undefined, "the TTL is set once the logs are collected");
    const pod = job.spec?.template.spec;
    assert.equal(pod?.restartPolicy, "Never");
    assert.equal(pod?.automountServiceAccountToken, false);
    assert.deepEqual(job.spec?.template.metadata?.labels, job.metadata?.labels);
    assert.deepEqual(job.spec?.template.metadata?.annotations, { "multiverse.io/owner-id": "own", "multiverse.io/attempt-id": "abc-own-a1", "multiverse.io/run-id": "abc" });
    const container = pod?.containers[0];
    assert.equal(container?.image, "multiverse-pca:1.0.0");
    assert.equal(container?.imagePullPolicy, "Never");
    assert.equal(container?.workingDir, "/output");
    assert.deepEqual(container?.env, [{ name: "A", value: "1" }]);
    assert.deepEqual(container?.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    assert.deepEqual(container?.resources, {});
    assert.equal(buildJob(request(), settings).spec?.activeDeadlineSeconds, undefined, "no timeout, no deadline");
  });

  test("memory, CPU and GPU as requests equal to limits", () => {
    assert.deepEqual(resourcesOf({ memLimitBytes: 512 * 1024 ** 2, cpus: 1.5, gpu: true }), {
      requests: { memory: "536870912", cpu: "1500m", "nvidia.com/gpu": "1" },
      limits: { memory: "536870912", cpu: "1500m", "nvidia.com/gpu": "1" },
    });
    assert.deepEqual(resourcesOf({ cpus: 0.0001, gpu: false }), { requests: { cpu: "1m" }, limits: { cpu: "1m" } });
  });

  test("a configured user makes the container non-root", () => {
    assert.deepEqual(securityContextOf(1000), { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
    assert.equal(securityContextOf(0).runAsNonRoot, undefined);
  });
});

describe("image identity", () => {
  test("a digest-pinned reference is its own registry identity", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    assert.deepEqual(pinnedIdentity(`reg.io/x/pca@${digest}`), { reference: `reg.io/x/pca@${digest}`, kind: "registry", digest });
    assert.equal(pinnedIdentity("pca:1.0.0"), undefined);
  });

  test("a tag is found among the nodes' images by any of its normalized names", () => {
    assert.deepEqual(referenceNames("pca:1"), ["pca:1", "docker.io/pca:1", "docker.io/library/pca:1"]);
    assert.deepEqual(referenceNames("localhost/busybox:local"), ["localhost/busybox:local"]);
    assert.deepEqual(referenceNames("org/img"), ["org/img:latest", "docker.io/org/img:latest"]);
    const digest = `sha256:${"b".repeat(64)}`;
    const nodes = [{ status: { images: [{ names: ["docker.io/library/other:1"] }, { names: ["docker.io/library/pca:1", `docker.io/library/pca@${digest}`] }] } }];
    assert.deepEqual(identityFromNodes("pca:1", nodes), { reference: "pca:1", kind: "unverified_local", digest });
    assert.equal(identityFromNodes("pca:2", nodes), null);
  });
});
