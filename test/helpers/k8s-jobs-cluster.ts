/**
 * The shared test cluster as the Job executor's tests use it: its admin kubeconfig, kubectl, a namespace of their
 * own, a PersistentVolume + claim bound to a fixed host directory (the single node's), and model images imported
 * into the node's containerd (no registry: pods use imagePullPolicy Never).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { testKubeconfigPath } from "./k8s-cluster.js";

const K8S_ROOT = process.env.MULTIVERSE_K8S_ROOT ?? join(homedir(), ".cache", "multiverse-k8s");

/**
 * The admin kubeconfig of the test cluster (the one place that knows where it is): the project's (start-k8s.sh,
 * see k8s-cluster.ts), else the shared reference cluster's (cluster-up.sh writes pki/admin.kubeconfig).
 */
export function testKubeconfig(): string {
  const project = testKubeconfigPath();
  return existsSync(project) ? project : join(K8S_ROOT, "pki", "admin.kubeconfig");
}

const KUBECTL = join(K8S_ROOT, "bin", "kubectl");
const CONTAINERD_SOCKET = join(K8S_ROOT, "run", "containerd", "containerd.sock");

/** The host directory the tests' PersistentVolume is bound to: state roots and datasets of the tests live under it. */
export const TEST_CLAIM_DIR = process.env.MULTIVERSE_TEST_CLAIM_DIR ?? "/tmp/mv-k8s-jobs-pv";

export function kubectl(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(KUBECTL, args, { encoding: "utf8", env: { ...process.env, KUBECONFIG: testKubeconfig() }, ...(input !== undefined ? { input } : {}) });
  return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
}

export function k8sUnavailableReason(): string | undefined {
  if (!existsSync(testKubeconfig())) return `no test cluster kubeconfig at ${testKubeconfig()}`;
  if (!existsSync(KUBECTL)) return `no kubectl at ${KUBECTL}`;
  const ready = kubectl(["get", "--raw", "/readyz"]);
  if (ready.code !== 0 || ready.stdout.trim() !== "ok") return `the test cluster's API server is not ready: ${ready.stderr.trim()}`;
  return undefined;
}

export function requireK8sOrSkip(images: string[] = []): string | undefined {
  const reason = k8sUnavailableReason() ?? images.map(imageUnavailableReason).find(Boolean);
  if (reason && process.env.CI) throw new Error(`CI needs the Kubernetes test cluster: ${reason}`);
  return reason;
}

function must(result: { code: number; stdout: string; stderr: string }, what: string): string {
  if (result.code !== 0) throw new Error(`${what} failed: ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}

/** A namespace and, in it, claim `claim` bound to TEST_CLAIM_DIR through a hostPath PersistentVolume (idempotent). */
export function ensureNamespaceWithClaim(namespace: string, claim = "state"): { claim: string; path: string } {
  mkdirSync(TEST_CLAIM_DIR, { recursive: true });
  const volume = `${namespace}-${claim}`;
  const manifest = [
    `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"${namespace}"}}`,
    JSON.stringify({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: volume, labels: { "multiverse.io/test-volume": volume } },
      spec: { capacity: { storage: "10Gi" }, accessModes: ["ReadWriteMany"], persistentVolumeReclaimPolicy: "Retain", storageClassName: "", hostPath: { path: TEST_CLAIM_DIR, type: "Directory" }, claimRef: { namespace, name: claim } },
    }),
    JSON.stringify({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: claim, namespace },
      spec: { accessModes: ["ReadWriteMany"], storageClassName: "", volumeName: volume, resources: { requests: { storage: "10Gi" } } },
    }),
  ].join("\n---\n");
  must(kubectl(["apply", "-f", "-"], manifest), `creating namespace ${namespace} with claim ${claim}`);
  for (let i = 0; i < 300; i += 1) {
    if (kubectl(["-n", namespace, "get", "pvc", claim, "-o", "jsonpath={.status.phase}"]).stdout.trim() === "Bound") return { claim, path: TEST_CLAIM_DIR };
    spawnSync("sleep", ["0.2"]);
  }
  throw new Error(`claim ${claim} in ${namespace} did not become Bound`);
}

function imageUnavailableReason(image: string): string | undefined {
  if (existsSync(CONTAINERD_SOCKET) && imageInNode(image)) return undefined;
  const inspect = spawnSync("docker", ["image", "inspect", image], { encoding: "utf8" });
  return inspect.status === 0 ? undefined : `image ${image} is neither in the node's containerd nor in Docker (run scripts/build-images.sh)`;
}

function imageInNode(image: string): boolean {
  const wanted = image.includes("/") ? image : `docker.io/library/${image}`;
  const listed = spawnSync("ctr", ["--address", CONTAINERD_SOCKET, "-n", "k8s.io", "images", "ls", "-q"], { encoding: "utf8" });
  return listed.status === 0 && listed.stdout.split("\n").includes(wanted);
}

/** Imports a Docker image into the node's containerd unless it is there already (docker save | ctr images import). */
export function importImage(image: string): void {
  if (imageInNode(image)) return;
  const result = spawnSync("sh", ["-c", `docker save "$1" | ctr --address "$2" -n k8s.io images import -`, "import", image, CONTAINERD_SOCKET], { encoding: "utf8" });
  if (result.status !== 0 || !imageInNode(image)) throw new Error(`importing ${image} into the node failed: ${result.stderr}`);
}
