/**
 * For integration tests on the real single-node Kubernetes test cluster (scripts/setup-k8s.sh builds it,
 * scripts/start-k8s.sh starts it): its kubeconfig, a KubeConfig, its kubectl and helm, and namespaces per test.
 * Locally a missing cluster is a skip reason; CI must have it (scripts/setup.sh starts it).
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";

export const NO_CLUSTER_REASON = "no Kubernetes test cluster: run scripts/start-k8s.sh";

/** The root scripts/k8s/common.sh builds and runs the cluster in. */
export function k8sRoot(): string {
  return process.env.K8S_ROOT ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "multiverse-k8s");
}

/** MV_TEST_KUBECONFIG, else the stable path start-k8s.sh writes. */
export function testKubeconfigPath(): string {
  return process.env.MV_TEST_KUBECONFIG ?? join(k8sRoot(), "kubeconfig");
}

/** The cluster's own kubectl (the server's version), else one on PATH. */
export function kubectlPath(): string {
  const own = join(k8sRoot(), "bin", "kubectl");
  return existsSync(own) ? own : "kubectl";
}

/** helm built by setup-k8s.sh, else one on PATH, else undefined. */
export function helmPath(): string | undefined {
  const own = join(k8sRoot(), "bin", "helm");
  if (existsSync(own)) return own;
  return spawnSync("helm", ["version", "--short"], { encoding: "utf8" }).status === 0 ? "helm" : undefined;
}

export interface TestCluster {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
}

/** Why the test cluster cannot be used (no kubeconfig, or its API server is not ready), or undefined. */
export function clusterUnavailableReason(path = testKubeconfigPath()): string | undefined {
  if (!existsSync(path)) return `${NO_CLUSTER_REASON} (no kubeconfig at ${path})`;
  const ready = spawnSync(kubectlPath(), ["--kubeconfig", path, "get", "--raw", "/readyz"], { encoding: "utf8", timeout: 15_000 });
  if (ready.error || ready.status !== 0 || ready.stdout.trim() !== "ok") {
    const why = ready.error?.message ?? (ready.stderr.trim() || ready.stdout.trim());
    return `${NO_CLUSTER_REASON} (the API server behind ${path} is not ready: ${why.slice(0, 200)})`;
  }
  return undefined;
}

/** The cluster, or a skip reason; in CI a missing cluster throws (the suite must prove the real thing). */
export function testClusterOrSkip(): TestCluster | string {
  const kubeconfigPath = testKubeconfigPath();
  const reason = clusterUnavailableReason(kubeconfigPath);
  if (reason) {
    if (process.env.CI) throw new Error(`CI needs the Kubernetes test cluster: ${reason}`);
    return reason;
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return { kubeconfigPath, kubeConfig };
}

/** Runs the cluster's kubectl against the test kubeconfig (never a shell: arguments are passed as they are). */
export function kubectl(cluster: TestCluster, args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(kubectlPath(), ["--kubeconfig", cluster.kubeconfigPath, ...args], { encoding: "utf8", input, timeout: 120_000 });
}

/** A fresh namespace (deleted first if a previous run left it); name it after your test area. */
export async function createNamespace(cluster: TestCluster, name: string): Promise<void> {
  await deleteNamespace(cluster, name);
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { "multiverse.io/test": "true" } } } });
}

/** Deletes a namespace and waits (up to two minutes) until the API server no longer has it. */
export async function deleteNamespace(cluster: TestCluster, name: string, timeoutMs = 120_000): Promise<void> {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const exists = async (): Promise<boolean> => {
    try {
      await core.readNamespace({ name });
      return true;
    } catch (error) {
      if (statusCode(error) === 404) return false;
      throw error;
    }
  };
  if (!(await exists())) return;
  await core.deleteNamespace({ name }).catch((error: unknown) => {
    if (statusCode(error) !== 404) throw error;
  });
  const deadline = Date.now() + timeoutMs;
  while (await exists()) {
    if (Date.now() > deadline) throw new Error(`namespace ${name} still exists after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The HTTP status of an error @kubernetes/client-node threw (ApiException.code), if any. */
export function statusCode(error: unknown): number | undefined {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "number") return error.code;
  return undefined;
}
