/**
 * Kubernetes API requests made by the Job executor with many attempts in flight, counted in its API layer (every
 * list, watch, create, delete, patch and log request goes through ClientNodeJobApi, which counts them). For each
 * size, N attempts are launched and kept running while a controller-like loop observes every one of them each
 * second; the figure is the requests per minute during that window, which must not grow with N (observe() reads the
 * list+watch cache).
 *
 * BENCH_K8S_NODE=kwok starts kwok (~/.cache/multiverse-k8s/bin/kwok, with the pod-ready and pod-delete stages of its
 * module's kustomize/stage and no pod-complete stage, so its pods stay Running) for a fake node of its own, and puts
 * the pods there (a node selector and a toleration): hundreds of attempts in flight, no container runs. =real
 * (default) runs real sleeping contract-test pods on the kubelet (at most ~45: the node's maxPods is 50).
 * BENCH_K8S_SIZES (default "50,200" with kwok, "5,20" real), BENCH_K8S_WINDOW_S (default 60), BENCH_K8S_NAMESPACE.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { V1Job } from "@kubernetes/client-node";
import type { LaunchRequest } from "../src/executors/executor.js";
import { contractMounts } from "../src/executors/mounts.js";
import { KubernetesJobExecutor } from "../src/executors/kubernetes/kubernetes-executor.js";
import { ClientNodeJobApi, type JobApi } from "../src/executors/kubernetes/kube-api.js";
import { loadKubeConfig } from "../src/executors/kubernetes/kubeconfig.js";
import { CONTRACT_TEST_IMAGE } from "../test/helpers/docker.js";
import { ensureNamespaceWithClaim, importImage, kubectl, testKubeconfig, TEST_CLAIM_DIR } from "../test/helpers/k8s-jobs-cluster.js";

const NODE = process.env.BENCH_K8S_NODE === "kwok" ? "kwok" : "real";
const SIZES = (process.env.BENCH_K8S_SIZES ?? (NODE === "kwok" ? "50,200" : "5,20")).split(",").map(Number);
const WINDOW_S = Number(process.env.BENCH_K8S_WINDOW_S ?? 60);
const NAMESPACE = process.env.BENCH_K8S_NAMESPACE ?? "k8s-jobs-bench";

const K8S_ROOT = join(homedir(), ".cache", "multiverse-k8s");
const KWOK_NODE = "k8s-jobs-kwok-0";
const KWOK_NODE_LABEL = "multiverse.io/k8s-jobs-kwok";

/** Our own kwok for our own fake node (selected by our annotation, so no other kwok manages it). */
async function startKwok(work: string): Promise<ChildProcess> {
  const stages = join(K8S_ROOT, "gomodcache", "sigs.k8s.io", "kwok@v0.8.0", "kustomize", "stage");
  const files = ["node/fast/node-initialize", "node/heartbeat-with-lease/node-heartbeat-with-lease", "pod/fast/pod-ready", "pod/fast/pod-delete"].map((f) => join(stages, `${f}.yaml`));
  const missing = [join(K8S_ROOT, "bin", "kwok"), ...files].find((f) => !existsSync(f));
  if (missing) throw new Error(`kwok is not built (${missing} is missing): see /work/shared/k8s/README.md`);
  const config = join(work, "kwok-stages.yaml");
  writeFileSync(config, files.map((f) => `---\n${readFileSync(f, "utf8")}`).join("\n"));
  const kwok = spawn(join(K8S_ROOT, "bin", "kwok"), [`--kubeconfig=${testKubeconfig()}`, `--config=${config}`, "--manage-all-nodes=false", `--manage-nodes-with-annotation-selector=${KWOK_NODE_LABEL}=fake`, "--cidr=10.246.0.0/24", "--node-ip=127.0.0.1", "--server-address=127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  kwok.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const node = { apiVersion: "v1", kind: "Node", metadata: { name: KWOK_NODE, annotations: { [KWOK_NODE_LABEL]: "fake", "node.alpha.kubernetes.io/ttl": "0" }, labels: { [KWOK_NODE_LABEL]: "true", "kubernetes.io/hostname": KWOK_NODE } }, spec: { taints: [{ key: KWOK_NODE_LABEL, value: "fake", effect: "NoSchedule" }] }, status: { allocatable: { cpu: "256", memory: "1Ti", pods: "1000" }, capacity: { cpu: "256", memory: "1Ti", pods: "1000" } } };
  const applied = kubectl(["apply", "-f", "-"], JSON.stringify(node));
  if (applied.code !== 0) throw new Error(applied.stderr);
  await until(`${KWOK_NODE} Ready`, async () => kwok.exitCode === null && kubectl(["get", "node", KWOK_NODE, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"]).stdout.trim() === "True", 120_000).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; kwok: ${stderr}`);
  });
  return kwok;
}

/** The executor's own API, with the pods placed on the kwok node when asked (a toleration and a node selector). */
class PlacedJobApi extends ClientNodeJobApi {
  override createJob(job: V1Job): Promise<V1Job> {
    const pod = job.spec?.template.spec;
    if (NODE === "kwok" && pod) {
      pod.nodeSelector = { [KWOK_NODE_LABEL]: "true" };
      pod.tolerations = [{ key: KWOK_NODE_LABEL, operator: "Exists", effect: "NoSchedule" }];
    }
    return super.createJob(job);
  }
}

function snapshot(api: JobApi): Map<string, number> {
  return new Map(api.requests);
}

function delta(api: JobApi, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [verb, count] of api.requests) if (count - (before.get(verb) ?? 0) > 0) out.set(verb, count - (before.get(verb) ?? 0));
  return out;
}

function show(counts: Map<string, number>, perMinuteOf?: number): string {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const scale = perMinuteOf ? 60 / perMinuteOf : 1;
  const parts = [...counts].map(([verb, n]) => `${verb} ${(n * scale).toFixed(1)}`);
  return `${(total * scale).toFixed(1)}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function measure(size: number, root: string, claim: { claim: string; path: string }): Promise<void> {
  const owner = `bench${process.pid}n${size}`;
  const settings = { namespace: NAMESPACE, kubeconfig: testKubeconfig(), stateClaim: claim, datasetClaims: [], imagePullPolicy: "Never" as const, ttlAfterLogsSeconds: 60, maxInflight: 1000 };
  const api = new PlacedJobApi(loadKubeConfig(settings.kubeconfig), NAMESPACE);
  const executor = new KubernetesJobExecutor({ settings, api, owner: () => owner });
  const dataset = join(root, "data.h5mu");
  const requests: LaunchRequest[] = [];
  for (let i = 0; i < size; i += 1) {
    const attemptId = `${owner}-${i}-a1`;
    const workspace = join(root, owner, attemptId);
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, "job_spec.json"), JSON.stringify({ seed: i, hyperparameters: { behavior: "sleep", sleep_seconds: 3600 } }));
    requests.push({ attemptId, runId: `r${i}`, ownerId: owner, image: CONTRACT_TEST_IMAGE, mounts: contractMounts(dataset, workspace), env: {}, gpu: false, memLimitBytes: 64 * 1024 * 1024 });
  }
  try {
    const t0 = Date.now();
    const beforeLaunch = snapshot(api);
    for (const request of requests) await executor.launch(request);
    const launched = delta(api, beforeLaunch);
    await until(`${size} attempts running`, async () => (await Promise.all(requests.map((r) => executor.observe(r.attemptId)))).every((o) => o.state === "running"), 600_000);
    const runningAfterS = (Date.now() - t0) / 1000;
    const beforeWindow = snapshot(api);
    let observations = 0;
    const windowStart = Date.now();
    while (Date.now() - windowStart < WINDOW_S * 1000) {
      const seen = await Promise.all(requests.map((r) => executor.observe(r.attemptId)));
      observations += seen.length;
      if (seen.some((o) => o.state !== "running")) throw new Error(`an attempt left the running state: ${JSON.stringify(seen.find((o) => o.state !== "running"))}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const windowS = (Date.now() - windowStart) / 1000;
    console.log(`${size} attempts in flight (${NODE} node): launched with ${show(launched)} requests, all running after ${runningAfterS.toFixed(1)} s`);
    console.log(`  observing every attempt each second for ${windowS.toFixed(0)} s: ${observations} observe() calls, API requests per minute: ${show(delta(api, beforeWindow), windowS)}`);
  } finally {
    const beforeCleanup = snapshot(api);
    for (const request of requests) await executor.release(request.attemptId).catch(() => undefined);
    console.log(`  release of ${size}: ${show(delta(api, beforeCleanup))} requests`);
    await executor.close();
  }
}

const claim = ensureNamespaceWithClaim(NAMESPACE);
if (NODE === "real") importImage(CONTRACT_TEST_IMAGE);
mkdirSync(TEST_CLAIM_DIR, { recursive: true });
const root = mkdtempSync(join(TEST_CLAIM_DIR, "mv-bench-k8s-"));
let kwok: ChildProcess | undefined;
try {
  if (NODE === "kwok") kwok = await startKwok(root);
  const { writeH5mu } = await import("../src/h5/index.js");
  await writeH5mu(join(root, "data.h5mu"), { nObs: 10, modalities: { rna: { nVars: 5 } }, seed: 1 });
  for (const size of SIZES) await measure(size, root, claim);
} finally {
  if (kwok) {
    // kwok finishes the deletion of its pods (the pod-delete stage): wait for that before it stops.
    await until("the kwok pods gone", async () => kubectl(["-n", NAMESPACE, "get", "pods", "-o", "name"]).stdout.trim() === "", 120_000).catch(() => undefined);
    kubectl(["delete", "node", KWOK_NODE, "--wait=false"]);
    kwok.kill("SIGTERM");
  }
  rmSync(root, { recursive: true, force: true });
}
