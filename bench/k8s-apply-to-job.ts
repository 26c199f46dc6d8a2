/**
 * Benchmark applied on the Kubernetes API -> its first attempt's Job created in the cluster, end to end through the
 * real parts: the controller in-process with `--source kubernetes` and the Kubernetes Job executor against the test
 * cluster (contract-test pods on the real kubelet). The Jobs are seen by listing them every 10 ms, as a client would.
 * Room for every round's run at once (max-concurrent ROUNDS + 1), so that no admission wait is counted. Target: under 1 s.
 *
 *   node dist/bench/k8s-apply-to-job.js       (BENCH_ROUNDS=5; the test cluster from scripts/start-k8s.sh)
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, KubeConfig } from "@kubernetes/client-node";
import { writeH5mu } from "../src/h5/index.js";
import { createExecutor } from "../src/executors/registry.js";
import { startController } from "../src/services/controller-service.js";
import { kubernetesParts } from "../src/services/kubernetes-controller.js";
import { CONTRACT_TEST_IMAGE } from "../test/helpers/docker.js";
import { ensureNamespaceWithClaim, importImage, testKubeconfig, TEST_CLAIM_DIR } from "../test/helpers/k8s-jobs-cluster.js";
import { TestCluster } from "../test/helpers/kube-source.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const NAMESPACE = "k8s-apply-to-job";

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const kubeconfig = testKubeconfig();
  importImage(CONTRACT_TEST_IMAGE);
  ensureNamespaceWithClaim(NAMESPACE);
  mkdirSync(TEST_CLAIM_DIR, { recursive: true });
  const work = mkdtempSync(join(TEST_CLAIM_DIR, "mv-k8s-apply-job-"));
  const dataset = join(work, "tiny.h5mu");
  await writeH5mu(dataset, { nObs: 40, modalities: { rna: { nVars: 25 } }, seed: 5 });
  const cluster = new TestCluster(kubeconfig);
  cluster.applyCrds();
  for (const b of await cluster.list(NAMESPACE, "benchmarks")) {
    await cluster.patchMerge(NAMESPACE, "benchmarks", b.metadata.name, { metadata: { finalizers: null } });
    await cluster.delete(NAMESPACE, "benchmarks", b.metadata.name);
  }
  for (const m of await cluster.list(NAMESPACE, "models")) await cluster.delete(NAMESPACE, "models", m.metadata.name);
  for (const d of await cluster.list(NAMESPACE, "datasets")) await cluster.delete(NAMESPACE, "datasets", d.metadata.name);
  await cluster.create(NAMESPACE, "datasets", "Dataset", "tiny", { path: dataset, modalities: ["rna"], nObs: 40 });
  await cluster.create(NAMESPACE, "models", "Model", "contract-test", {
    slug: "contract-test", version: "0.1.0", contractVersion: "1", supportedOmics: ["rna"], runtime: { image: CONTRACT_TEST_IMAGE }, resources: { cpus: 0.25 },
    hyperparametersSchema: { type: "object", additionalProperties: false, properties: { behavior: { type: "string" }, sleep_seconds: { type: "number" }, n_latent: { type: "integer" } } },
  });

  const stateRoot = join(work, "state");
  const flags = { kubeNamespace: NAMESPACE, kubeconfig, kubeStateClaim: `state:${TEST_CLAIM_DIR}`, kubeImagePullPolicy: "Never" };
  const parts = await kubernetesParts({ namespace: NAMESPACE, allNamespaces: false, kubeconfig }, () => undefined);
  const controller = await startController({ stateRoot, ...parts.options, makeExecutor: (backend, root) => createExecutor(backend, { stateRoot: root, kubernetes: flags }), defaultBackend: "kubernetes", maxConcurrent: ROUNDS + 1, pollIntervalMs: 300, log: () => undefined });

  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const batch = config.makeApiClient(BatchV1Api);
  const seen = new Set((await batch.listNamespacedJob({ namespace: NAMESPACE })).items.map((j) => j.metadata?.name ?? ""));
  const toJob: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const name = `apply-${round}-${Date.now()}`;
    const applied = performance.now();
    await cluster.create(NAMESPACE, "benchmarks", "Benchmark", name, { experimentName: name, backend: "kubernetes", jobs: [{ name: "j", dataset: "tiny", model: "contract-test", params: { behavior: "ok", n_latent: 2 + round }, seeds: [round] }] });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const jobs = (await batch.listNamespacedJob({ namespace: NAMESPACE })).items.map((j) => j.metadata?.name ?? "");
      const fresh = jobs.filter((j) => !seen.has(j));
      if (fresh.length > 0) {
        toJob.push(performance.now() - applied);
        for (const j of fresh) seen.add(j);
        break;
      }
      if (Date.now() > deadline) throw new Error(`${name}: no Job within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  console.log(`Kubernetes: Benchmark applied -> first Job created, ${ROUNDS} Benchmarks of one run (real Job executor, test cluster)`);
  console.log(`  ${summary(toJob)}  (target < 1000 ms); by round: ${toJob.map((v) => v.toFixed(0)).join(", ")} ms`);

  await controller.stop();
  for (const b of await cluster.list(NAMESPACE, "benchmarks")) {
    await cluster.patchMerge(NAMESPACE, "benchmarks", b.metadata.name, { metadata: { finalizers: null } });
    await cluster.delete(NAMESPACE, "benchmarks", b.metadata.name);
  }
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
