/**
 * Chaos on the real cluster: `multiverse controller --source kubernetes --backend kubernetes` is killed with SIGKILL
 * 5 times while a Benchmark's 12 runs go through Jobs, and started again each time on the same state root. Every
 * run ends ARTIFACT_SUCCESS in its first attempt (adopted, never launched again), no Job is created twice (the
 * namespace's Jobs, listed all along, show one uid per name), no run is promoted twice, and the index agrees with the journal.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, KubeConfig } from "@kubernetes/client-node";
import { writeH5mu } from "../../../src/h5/index.js";
import { readJournal } from "../../../src/journal/journal.js";
import { repoRoot } from "../../../src/util/paths.js";
import type { KubeObject } from "../../../src/sources/kubernetes/kube-objects.js";
import { CLI, cliSync } from "../../helpers/cli.js";
import { ensureNamespaceWithClaim, importImage, requireK8sOrSkip, testKubeconfig, TEST_CLAIM_DIR } from "../../helpers/k8s-jobs-cluster.js";
import { TestCluster } from "../../helpers/kube-source.js";
import { TEST_HANG_GUARD_MS, exitedReason, waitUntil } from "../../helpers/wait.js";

const IMAGE = "multiverse-contract-test:dev";
const NAMESPACE = "k8s-chaos";
const RUNS = 12;
const KILLS = 5;
const skip = requireK8sOrSkip([IMAGE]);

interface Controller {
  child: ChildProcess;
  log(): string;
  exited: Promise<number | null>;
}

describe("chaos: the controller killed 5 times during 12 runs on Kubernetes Jobs", { skip }, () => {
  let work: string;
  let cluster: TestCluster;
  let stopWatch: (() => void) | undefined;
  const jobUids = new Map<string, Set<string>>();
  const controllers: Controller[] = [];

  const start = (): Controller => {
    const child = spawn(process.execPath, [CLI, "controller", "--source", "kubernetes", "--kubeconfig", testKubeconfig(), "--namespace", NAMESPACE,
      "--backend", "kubernetes", "--kube-namespace", NAMESPACE, "--kube-state-claim", `state:${TEST_CLAIM_DIR}`, "--kube-image-pull-policy", "Never",
      "--state-root", join(work, "state"), "--max-concurrent", "3", "--poll-interval-ms", "300"], { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (text += d.toString()));
    const controller = { child, log: () => text, exited: new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code))) };
    controllers.push(controller);
    return controller;
  };
  const runs = async () => (await cluster.list(NAMESPACE, "runs", "multiverse.io/benchmark=chaos")).map((r: KubeObject) => r.status as { phase?: string; attempt?: number } | undefined);
  const succeeded = async () => (await runs()).filter((s) => s?.phase === "ARTIFACT_SUCCESS").length;

  before(async () => {
    importImage(IMAGE);
    ensureNamespaceWithClaim(NAMESPACE);
    mkdirSync(TEST_CLAIM_DIR, { recursive: true });
    work = mkdtempSync(join(TEST_CLAIM_DIR, "mv-k8s-chaos-"));
    const dataset = join(work, "tiny.h5mu");
    await writeH5mu(dataset, { nObs: 40, modalities: { rna: { nVars: 25 } }, seed: 11, batches: 2, labels: 3, obsColumns: ["batch", "label"] });
    cluster = new TestCluster(testKubeconfig());
    cluster.applyCrds();
    for (const benchmark of await cluster.list(NAMESPACE, "benchmarks")) {
      await cluster.patchMerge(NAMESPACE, "benchmarks", benchmark.metadata.name, { metadata: { finalizers: null } });
      await cluster.delete(NAMESPACE, "benchmarks", benchmark.metadata.name);
    }
    const schema = JSON.parse(readFileSync(join(repoRoot(), "test", "fixtures", "models", "contract-test", "hyperparameters.schema.json"), "utf8")) as Record<string, unknown>;
    delete schema.$schema;
    for (const existing of await cluster.list(NAMESPACE, "models")) await cluster.delete(NAMESPACE, "models", existing.metadata.name);
    for (const existing of await cluster.list(NAMESPACE, "datasets")) await cluster.delete(NAMESPACE, "datasets", existing.metadata.name);
    await cluster.create(NAMESPACE, "models", "Model", "contract-test", { slug: "contract-test", version: "0.1.0", contractVersion: "1", supportedOmics: ["rna"], runtime: { image: IMAGE }, resources: { cpus: 0.25 }, hyperparametersSchema: schema });
    await cluster.create(NAMESPACE, "datasets", "Dataset", "tiny", { path: dataset, modalities: ["rna"], nObs: 40, batchKey: "batch", labelKey: "label" });

    // Every Job the namespace gets, by name, with the uids it was seen under: listed every 250 ms (each Job lives for
    // seconds: its model sleeps 4 s), so a Job created twice under one name shows two uids.
    const jobs = new KubeConfig();
    jobs.loadFromFile(testKubeconfig());
    const batch = jobs.makeApiClient(BatchV1Api);
    let polling = true;
    const poll = async () => {
      while (polling) {
        try {
          for (const job of (await batch.listNamespacedJob({ namespace: NAMESPACE })).items) {
            const name = job.metadata?.name;
            const uid = job.metadata?.uid;
            if (name && uid) jobUids.set(name, (jobUids.get(name) ?? new Set()).add(uid));
          }
        } catch {
          // the API server busy for a moment: the next round lists again
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    const polled = poll();
    stopWatch = () => {
      polling = false;
      void polled;
    };
  });

  after(async () => {
    stopWatch?.();
    for (const c of controllers) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
    await Promise.all(controllers.map((c) => c.exited));
    for (const benchmark of await cluster.list(NAMESPACE, "benchmarks").catch(() => [])) {
      await cluster.patchMerge(NAMESPACE, "benchmarks", benchmark.metadata.name, { metadata: { finalizers: null } }).catch(() => undefined);
      await cluster.delete(NAMESPACE, "benchmarks", benchmark.metadata.name).catch(() => undefined);
    }
    if (work && !process.env.MULTIVERSE_KEEP_TEST_DIRS) rmSync(work, { recursive: true, force: true });
  });

  test("0 runs lost, 0 Jobs created twice, 0 double promotions, the index in sync", { timeout: TEST_HANG_GUARD_MS }, async () => {
    let controller = start();
    await waitUntil("the controller ready", () => controller.log(), (log) => /controller ready/.test(log), { timeoutMs: 60_000, giveUpIf: () => exitedReason(controller.child, "controller") });
    await cluster.create(NAMESPACE, "benchmarks", "Benchmark", "chaos", {
      experimentName: "chaos",
      backend: "kubernetes",
      jobs: [{ name: "sleepy", dataset: "tiny", model: "contract-test", params: { behavior: "sleep", sleep_seconds: 4 }, seeds: Array.from({ length: RUNS }, (_, i) => i) }],
    });
    for (let kill = 1; kill <= KILLS; kill += 1) {
      // Each kill lands while attempts are in flight: after the next two runs succeeded, before the last one.
      const current = controller;
      await waitUntil(`${2 * kill} runs succeeded before kill ${kill}`, succeeded, (n) => n >= Math.min(2 * kill, RUNS - 1), { timeoutMs: 240_000, intervalMs: 200, giveUpIf: () => exitedReason(current.child, "controller") });
      current.child.kill("SIGKILL");
      await current.exited;
      controller = start();
    }
    const last = controller;
    await waitUntil("the last controller ready (adoption done)", () => last.log(), (log) => /controller ready/.test(log), { timeoutMs: 120_000, giveUpIf: () => exitedReason(last.child, "controller") });
    const final = await waitUntil("every run ARTIFACT_SUCCESS", runs, (statuses) => statuses.length === RUNS && statuses.every((s) => s?.phase === "ARTIFACT_SUCCESS" || s?.phase === "FAILED"), {
      timeoutMs: 300_000,
      intervalMs: 300,
      giveUpIf: () => exitedReason(last.child, "controller"),
    });
    assert.deepEqual(final.map((s) => s?.phase), Array.from({ length: RUNS }, () => "ARTIFACT_SUCCESS"), "0 lost");
    assert.deepEqual(final.map((s) => s?.attempt), Array.from({ length: RUNS }, () => 1), "each run in its first attempt: adopted after every kill, never launched again");
    last.child.kill("SIGTERM");
    assert.equal(await last.exited, 0, last.log().slice(-2000));

    const twice = [...jobUids].filter(([, uids]) => uids.size > 1);
    assert.deepEqual(twice, [], "no Job created twice");
    assert.equal(jobUids.size, RUNS, "one Job per attempt");
    const records = readJournal(join(work, "state")).records;
    const promoted = new Map<string, number>();
    for (const record of records) if (record.type === "PROMOTED") promoted.set(record.runId, (promoted.get(record.runId) ?? 0) + 1);
    assert.equal(promoted.size, RUNS);
    assert.ok([...promoted.values()].every((n) => n === 1), `no double promotion: ${JSON.stringify([...promoted])}`);
    const launches = records.filter((r) => r.type === "LAUNCH_INTENT").length;
    assert.equal(launches, RUNS, "one launch intent per run");
    const verify = cliSync(["rebuild-index", "--state-root", join(work, "state"), "--verify"]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});
