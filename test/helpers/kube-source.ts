/**
 * The shared test cluster as the Kubernetes source's tests use it: the admin kubeconfig, the CRDs applied
 * (idempotent), a namespace of their own per suite (removed after), and plain create/patch/delete of the
 * multiverse custom resources through client-node, as `kubectl apply` would make them.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { repoRoot } from "../../src/util/paths.js";
import { clusterUnavailableReason, k8sRoot, kubectlPath, testKubeconfigPath } from "./k8s-cluster.js";
import { httpStatusOf } from "../../src/executors/kubernetes/kube-errors.js";
import type { KubeObject, Plural } from "../../src/sources/kubernetes/kube-objects.js";

/**
 * The test cluster's kubeconfig (test/helpers/k8s-cluster.ts: $MV_TEST_KUBECONFIG or the one start-k8s.sh writes;
 * else the admin kubeconfig of a cluster started by cluster-up.sh under the same root), or undefined when no API
 * server is ready (the suite is skipped; in CI that throws).
 */
export function testKubeconfig(): string | undefined {
  if (clusterUnavailableReason() === undefined) return testKubeconfigPath();
  const admin = join(k8sRoot(), "pki", "admin.kubeconfig");
  if (existsSync(admin) && clusterUnavailableReason(admin) === undefined) return admin;
  if (process.env.CI) throw new Error(`CI needs the Kubernetes test cluster: ${clusterUnavailableReason()}`);
  return undefined;
}

export function kubectl(kubeconfig: string, args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(kubectlPath(), ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8", ...(input !== undefined ? { input } : {}) });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export class TestCluster {
  readonly config: KubeConfig;
  private readonly objects: CustomObjectsApi;
  private readonly core: CoreV1Api;

  constructor(readonly kubeconfig: string) {
    this.config = new KubeConfig();
    this.config.loadFromFile(kubeconfig);
    this.objects = this.config.makeApiClient(CustomObjectsApi);
    this.core = this.config.makeApiClient(CoreV1Api);
  }

  applyCrds(): void {
    const applied = kubectl(this.kubeconfig, ["apply", "-f", join(repoRoot(), "crds")]);
    if (applied.code !== 0) throw new Error(`kubectl apply -f crds/ failed: ${applied.stderr}`);
    const ready = kubectl(this.kubeconfig, ["wait", "--for=condition=Established", "--timeout=60s", "crd/benchmarks.multiverse.io", "crd/datasets.multiverse.io", "crd/models.multiverse.io", "crd/runs.multiverse.io"]);
    if (ready.code !== 0) throw new Error(`CRDs not established: ${ready.stderr}`);
  }

  /** A namespace of this suite's own: `k8s-source-<what>-<random>`. */
  async createNamespace(what: string): Promise<string> {
    const name = `k8s-source-${what}-${randomBytes(3).toString("hex")}`;
    await this.core.createNamespace({ body: { metadata: { name } } });
    return name;
  }

  async deleteNamespace(name: string): Promise<void> {
    if (!name.startsWith("k8s-source-")) throw new Error(`refusing to delete namespace ${name}: not one of this suite's`);
    // Finalizers of Benchmarks left behind would hold the namespace: drop ours first.
    for (const object of await this.list(name, "benchmarks")) {
      if (object.metadata.finalizers?.length) await this.patchMerge(name, "benchmarks", object.metadata.name, { metadata: { finalizers: null } }).catch(() => undefined);
    }
    await this.core.deleteNamespace({ name }).catch(() => undefined);
  }

  async create(namespace: string, plural: Plural, kind: string, name: string, spec: unknown): Promise<KubeObject> {
    const body = { apiVersion: "multiverse.io/v1alpha1", kind, metadata: { name, namespace }, spec };
    return (await this.objects.createNamespacedCustomObject({ group: "multiverse.io", version: "v1alpha1", namespace, plural, body })) as KubeObject;
  }

  async get(namespace: string, plural: Plural, name: string): Promise<KubeObject | undefined> {
    try {
      return (await this.objects.getNamespacedCustomObject({ group: "multiverse.io", version: "v1alpha1", namespace, plural, name })) as KubeObject;
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async list(namespace: string, plural: Plural, labelSelector?: string): Promise<KubeObject[]> {
    const answer = (await this.objects.listNamespacedCustomObject({ group: "multiverse.io", version: "v1alpha1", namespace, plural, ...(labelSelector ? { labelSelector } : {}) })) as { items: KubeObject[] };
    return answer.items;
  }

  async patchMerge(namespace: string, plural: Plural, name: string, patch: object): Promise<KubeObject> {
    return (await this.objects.patchNamespacedCustomObject({ group: "multiverse.io", version: "v1alpha1", namespace, plural, name, body: patch }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch))) as KubeObject;
  }

  async delete(namespace: string, plural: Plural, name: string): Promise<void> {
    await this.objects.deleteNamespacedCustomObject({ group: "multiverse.io", version: "v1alpha1", namespace, plural, name });
  }

  async events(namespace: string, involvedName: string): Promise<{ reason?: string; message?: string }[]> {
    const list = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${involvedName}` });
    return list.items;
  }
}
