/**
 * `helm install` of charts/multiverse into the test cluster: the controller Deployment (the image from
 * Dockerfile.controller, imported by scripts/k8s-import-image.sh) becomes Available with its ServiceAccount, RBAC,
 * token Secret and the state claim bound to a hostPath volume (the cluster is one node: this machine).
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { repoRoot } from "../../../src/util/paths.js";
import { cli } from "../../helpers/cli.js";
import { TEST_HANG_GUARD_MS } from "../../helpers/wait.js";
import { createNamespace, deleteNamespace, helmPath, kubectl, testClusterOrSkip, type TestCluster } from "../../helpers/k8s-cluster.js";

const CONTROLLER_IMAGE = process.env.MULTIVERSE_CONTROLLER_IMAGE ?? "multiverse-controller:0.1.0";
const cluster = testClusterOrSkip();
const helm = helmPath();
const skip = typeof cluster === "string" ? cluster : helm === undefined ? "helm is not built: run scripts/setup-k8s.sh" : false;
const chart = join(repoRoot(), "charts", "multiverse");
const DEMO_DATASET = join(repoRoot(), "data", "generated", "pbmc68k-reduced.h5mu");

interface PodState {
  metadata: { name: string };
  status: { containerStatuses?: { restartCount: number; state: { waiting?: { reason: string; message?: string }; terminated?: { exitCode: number } } }[] };
}

/**
 * Why the controller in the image cannot run the chart's defaults yet (the kubernetes source and backend land in
 * their own changes of issue 11), or undefined.
 */
function controllerLacksKubernetes(): string | undefined {
  const help = spawnSync("docker", ["run", "--rm", CONTROLLER_IMAGE, "controller", "--help"], { encoding: "utf8", timeout: 60_000 });
  if (help.status !== 0) return `${CONTROLLER_IMAGE} does not run: ${help.stderr.slice(0, 200)}`;
  const missing = ["--source", "--leader-elect", '"kubernetes"'].filter((word) => !help.stdout.includes(word));
  return missing.length === 0 ? undefined : `${CONTROLLER_IMAGE}'s controller lacks ${missing.join(", ")} (--source/--leader-elect and backend kubernetes of issue 11)`;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** A release in its own namespace, its state claim bound to a fresh hostPath volume. */
class Release {
  readonly hostDir = mkdtempSync(join(tmpdir(), "k8s-cluster-helm-"));
  readonly volume: string;
  private readonly extraVolumes: string[] = [];
  private readonly extraDirs: string[] = [];

  constructor(
    private readonly c: TestCluster,
    readonly namespace: string,
    /** The controller's API port on the node (host network): one per release. */
    readonly apiPort: number,
    readonly name = "mv",
  ) {
    this.volume = `${namespace}-state`;
    chmodSync(this.hostDir, 0o777); // the controller runs as 65532; a hostPath has no fsGroup
  }

  async install(sets: string[]): Promise<void> {
    await createNamespace(this.c, this.namespace);
    kubectl(this.c, ["delete", "pv", this.volume, "--ignore-not-found", "--wait=true"]);
    const volume = {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: this.volume, labels: { "multiverse.io/test": "true" } },
      spec: {
        capacity: { storage: "1Gi" },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "",
        claimRef: { namespace: this.namespace, name: `${this.name}-multiverse-state` },
        hostPath: { path: this.hostDir, type: "Directory" },
      },
    };
    const created = kubectl(this.c, ["apply", "-f", "-"], JSON.stringify(volume));
    assert.equal(created.status, 0, created.stderr);
    // the test cluster has no service proxy and no route from the node to pods: the controller runs on the node's
    // network (its probes reach it there) and talks to the API server on loopback
    const server = new URL(this.c.kubeConfig.getCurrentCluster()!.server);
    const values = [
      "persistence.size=1Gi",
      `image.repository=${CONTROLLER_IMAGE.split(":")[0]}`,
      `image.tag=${CONTROLLER_IMAGE.split(":")[1]}`,
      "hostNetwork=true",
      `apiServer.host=${server.hostname}`,
      `apiServer.port=${server.port || "443"}`,
      `api.port=${this.apiPort}`,
      ...sets,
    ];
    const args = ["install", this.name, chart, "--namespace", this.namespace, "--kubeconfig", this.c.kubeconfigPath, ...values.flatMap((set) => ["--set", set])];
    const install = spawnSync(helm!, args, { encoding: "utf8", timeout: 120_000 });
    assert.equal(install.status, 0, install.stderr);
  }

  /** Waits until the Deployment is Available; a crashing or unpullable controller fails at once with its log. */
  async waitAvailable(timeoutMs = 180_000): Promise<void> {
    const deployment = `${this.name}-multiverse`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const available = kubectl(this.c, ["get", "deployment", deployment, "-n", this.namespace, "-o", "jsonpath={.status.conditions[?(@.type==\"Available\")].status}"]);
      if (available.stdout.trim() === "True") return;
      const pods = JSON.parse(kubectl(this.c, ["get", "pods", "-n", this.namespace, "-l", `app.kubernetes.io/instance=${this.name}`, "-o", "json"]).stdout || '{"items":[]}') as { items: PodState[] };
      for (const pod of pods.items) {
        for (const status of pod.status.containerStatuses ?? []) {
          const waiting = status.state.waiting?.reason;
          if (waiting === "ErrImageNeverPull" || waiting === "ErrImagePull" || waiting === "ImagePullBackOff") {
            assert.fail(`${pod.metadata.name}: ${waiting}: import the image into the cluster (scripts/k8s-import-image.sh ${CONTROLLER_IMAGE})`);
          }
          if (status.restartCount > 0 || status.state.terminated || waiting === "CrashLoopBackOff") {
            const log = kubectl(this.c, ["logs", "-n", this.namespace, pod.metadata.name, "--tail=30", ...(status.restartCount > 0 ? ["--previous"] : [])]);
            assert.fail(`${pod.metadata.name} crashed (restarts ${status.restartCount}): ${log.stdout}${log.stderr}`);
          }
        }
      }
      if (Date.now() > deadline) {
        const describe = kubectl(this.c, ["describe", "pods", "-n", this.namespace]);
        assert.fail(`deployment ${deployment} not Available after ${timeoutMs} ms:\n${describe.stdout.slice(-3000)}`);
      }
      await sleep(500);
    }
  }

  /** The failed attempts' container.log and orchestrator.log tails, from the state claim. */
  attemptLogs(): string {
    const workspaces = join(this.hostDir, "store", "workspaces");
    if (!existsSync(workspaces)) return "(no workspaces)";
    return readdirSync(workspaces)
      .flatMap((attempt) => ["container.log", "orchestrator.log"].map((file) => join(workspaces, attempt, file)))
      .filter((file) => existsSync(file))
      .map((file) => `--- ${file}\n${readFileSync(file, "utf8").split("\n").slice(-15).join("\n")}`)
      .join("\n");
  }

  /** A read-only claim `claim` on a hostPath directory holding `files` (the chart's datasets.existingClaim). */
  addDatasets(claim: string, files: string[]): void {
    const dir = mkdtempSync(join(tmpdir(), "k8s-cluster-helm-data-"));
    chmodSync(dir, 0o755);
    for (const file of files) copyFileSync(file, join(dir, file.split("/").at(-1)!));
    this.extraDirs.push(dir);
    const volume = `${this.namespace}-datasets`;
    this.extraVolumes.push(volume);
    kubectl(this.c, ["delete", "pv", volume, "--ignore-not-found", "--wait=true"]);
    const objects = [
      {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: volume, labels: { "multiverse.io/test": "true" } },
        spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadOnlyMany"], persistentVolumeReclaimPolicy: "Retain", storageClassName: "", claimRef: { namespace: this.namespace, name: claim }, hostPath: { path: dir, type: "Directory" } },
      },
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: claim, namespace: this.namespace },
        spec: { accessModes: ["ReadOnlyMany"], storageClassName: "", volumeName: volume, resources: { requests: { storage: "1Gi" } } },
      },
    ];
    const created = kubectl(this.c, ["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
    assert.equal(created.status, 0, created.stderr);
  }

  async remove(): Promise<void> {
    // Benchmarks carry the controller's finalizer: they go while the controller is there to remove it (else the
    // namespace would wait for it forever); one that does not go in time loses its finalizer.
    const deleted = kubectl(this.c, ["delete", "benchmarks", "--all", "-n", this.namespace, "--timeout=90s"]);
    if (deleted.status !== 0) {
      const left = kubectl(this.c, ["get", "benchmarks", "-n", this.namespace, "-o", "name"]).stdout.split("\n").filter(Boolean);
      for (const name of left) kubectl(this.c, ["patch", name, "-n", this.namespace, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    }
    spawnSync(helm!, ["uninstall", this.name, "--namespace", this.namespace, "--kubeconfig", this.c.kubeconfigPath, "--wait", "--timeout", "120s"], { encoding: "utf8" });
    await deleteNamespace(this.c, this.namespace);
    for (const volume of [this.volume, ...this.extraVolumes]) kubectl(this.c, ["delete", "pv", volume, "--ignore-not-found"]);
    spawnSync("chmod", ["-R", "u+w", this.hostDir]);
    for (const dir of [this.hostDir, ...this.extraDirs]) rmSync(dir, { recursive: true, force: true });
  }
}

describe("helm install into the test cluster", { skip }, () => {
  const c = cluster as TestCluster;
  const releases: Release[] = [];
  after(async () => {
    for (const release of releases) await release.remove();
  });

  test("source files, backend local: the Deployment becomes Available with the controller image, its claim bound, its API answering", async () => {
    const release = new Release(c, "k8s-cluster-helm-files", 18471);
    releases.push(release);
    await release.install(["source=files", "backend=local", "leaderElection.enabled=false"]);
    await release.waitAvailable();
    const pod = JSON.parse(kubectl(c, ["get", "pods", "-n", release.namespace, "-o", "json"]).stdout) as {
      items: { spec: { serviceAccountName: string; containers: { image: string }[] }; status: { phase: string } }[];
    };
    assert.equal(pod.items.length, 1);
    assert.equal(pod.items[0]!.spec.containers[0]!.image, CONTROLLER_IMAGE);
    assert.equal(pod.items[0]!.spec.serviceAccountName, "mv-multiverse");
    const claim = kubectl(c, ["get", "pvc", "mv-multiverse-state", "-n", release.namespace, "-o", "jsonpath={.status.phase}"]);
    assert.equal(claim.stdout, "Bound");
    // the controller wrote its state root into the claim
    const stateRoot = kubectl(c, ["exec", "-n", release.namespace, "deploy/mv-multiverse", "--", "ls", "/state"]);
    assert.equal(stateRoot.status, 0, stateRoot.stderr);
    assert.match(stateRoot.stdout, /VERSION/);
  });

  test(
    "source kubernetes, backend kubernetes, leader election: the Deployment becomes Available",
    { skip: skip || (controllerLacksKubernetes() ?? false) },
    async () => {
      const applied = kubectl(c, ["apply", "--server-side", "--force-conflicts", "--field-manager=multiverse-tests", "-f", join(repoRoot(), "crds")]);
      assert.equal(applied.status, 0, applied.stderr);
      const release = new Release(c, "k8s-cluster-helm-kube", 18472);
      releases.push(release);
      await release.install([]);
      await release.waitAvailable();
    },
  );

  test(
    "the chart's controller runs the demo Benchmark through Jobs to completion: Ready, every Run succeeded, the bundles verify",
    { skip: skip || (controllerLacksKubernetes() ?? false) || (existsSync(DEMO_DATASET) ? false : `${DEMO_DATASET} is missing (scripts/setup.sh)`), timeout: TEST_HANG_GUARD_MS },
    async () => {
      const applied = kubectl(c, ["apply", "--server-side", "--force-conflicts", "--field-manager=multiverse-tests", "-f", join(repoRoot(), "crds")]);
      assert.equal(applied.status, 0, applied.stderr);
      const release = new Release(c, "k8s-cluster-helm-demo", 18473);
      releases.push(release);
      await release.install(["datasets.existingClaim=demo-datasets", "leaderElection.enabled=false"]);
      release.addDatasets("demo-datasets", [DEMO_DATASET]);
      await release.waitAvailable();
      const demo = kubectl(c, ["apply", "-n", release.namespace, "-f", join(repoRoot(), "manifests", "kubernetes", "demo.yaml")]);
      assert.equal(demo.status, 0, demo.stderr);

      interface BenchmarkObject { metadata: { generation: number }; status?: { conditions?: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[] } }
      const deadline = Date.now() + 8 * 60_000;
      let seen = "no status yet";
      for (;;) {
        const got = kubectl(c, ["get", "benchmark", "demo", "-n", release.namespace, "-o", "json"]);
        const benchmark = JSON.parse(got.stdout || "{}") as BenchmarkObject;
        const ready = benchmark.status?.conditions?.find((condition) => condition.type === "Ready");
        seen = JSON.stringify(benchmark.status?.conditions ?? []);
        if (ready?.status === "True" && ready.observedGeneration === benchmark.metadata.generation) break;
        if (ready?.status === "False" && /Failed|Invalid/.test(ready.reason)) {
          const logs = kubectl(c, ["logs", "-n", release.namespace, "deploy/mv-multiverse", "--tail=40"]);
          assert.fail(`the demo Benchmark failed: ${seen}\n${logs.stdout}\n${release.attemptLogs()}`);
        }
        if (Date.now() > deadline) {
          const logs = kubectl(c, ["logs", "-n", release.namespace, "deploy/mv-multiverse", "--tail=40"]);
          assert.fail(`the demo Benchmark is not Ready after 8 minutes: ${seen}\n${logs.stdout}`);
        }
        await sleep(1000);
      }
      const runs = JSON.parse(kubectl(c, ["get", "runs", "-n", release.namespace, "-l", "multiverse.io/benchmark=demo", "-o", "json"]).stdout) as { items: { status: { phase: string; bundlePath?: string } }[] };
      assert.equal(runs.items.length, 2, "one Run per seed");
      for (const run of runs.items) {
        assert.equal(run.status.phase, "ARTIFACT_SUCCESS");
        const bundle = run.status.bundlePath!;
        // the state claim is this host directory; the journal records bundles relative to the state root
        const onHost = isAbsolute(bundle) ? join(release.hostDir, bundle.replace(/^\/state\/?/, "")) : join(release.hostDir, bundle);
        const verified = await cli(["verify", onHost, "--json"]);
        assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      }
    },
  );
});
