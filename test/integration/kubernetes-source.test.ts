/**
 * The Kubernetes source and status sink against the real API server of the test cluster, the controller
 * in-process on the FakeExecutor (runs happen in well under a second): create, update (a new generation reaches
 * the controller), specs the API server accepts but multiverse refuses (SourceValid=False with the field path,
 * the others untouched), delete through the finalizer (runs cancelled, finalizer removed, object gone, bundles
 * kept), Run resources owned by their Benchmark with statuses mirroring the journal, the statuses rebuilt from the
 * journal after a restart, and watches that the server closes every two seconds or answers with 410 Gone.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { FakeExecutor } from "../../src/executors/fake/fake-executor.js";
import { startController, type RunningController } from "../../src/services/controller-service.js";
import { kubernetesParts, type KubernetesParts } from "../../src/services/kubernetes-controller.js";
import { ClientKubeApi } from "../../src/sources/kubernetes/kube-api.js";
import { ListWatch } from "../../src/sources/kubernetes/list-watch.js";
import type { KubeObject } from "../../src/sources/kubernetes/kube-objects.js";
import type { Condition } from "../../src/domain/resources.js";
import { journalRecords } from "../helpers/journal.js";
import { TestCluster, testKubeconfig } from "../helpers/kube-source.js";
import { k8sRoot } from "../helpers/k8s-cluster.js";
import { repoRoot } from "../../src/util/paths.js";
import { TEST_HANG_GUARD_MS, waitUntil } from "../helpers/wait.js";

const kubeconfig = testKubeconfig();
const skip = kubeconfig ? false : "no Kubernetes test cluster (admin kubeconfig not found)";

interface BenchmarkStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  runs?: { total: number; pending: number; running: number; succeeded: number; failed: number; cancelled: number; skipped: number };
}
interface RunStatus {
  phase?: string;
  attempt?: number;
  attemptId?: string;
  bundlePath?: string;
  manifestSha256?: string;
  logicalRunId?: string;
}

const statusOf = <T>(object: KubeObject | undefined): T => (object?.status ?? {}) as T;
const conditionOf = (object: KubeObject | undefined, type: string) => statusOf<BenchmarkStatus>(object).conditions?.find((c) => c.type === type);
const job = (name: string, model: string, seeds: number[], extra: Record<string, unknown> = {}) => ({ name, dataset: "kdata", model, seeds, ...extra });
const benchmarkSpec = (name: string, jobs: unknown[]) => ({ experimentName: name, jobs });
/** Polls an asynchronous probe (the API server) until it returns something other than undefined or false. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 120_000): Promise<T> {
  const seen = await waitUntil(what, probe, (value) => value !== undefined && value !== false, { timeoutMs, intervalMs: 200 });
  return seen as T;
}

/** The journal's records with every field (the helper's RawRecord names only a few). */
const records = (stateRoot: string): Record<string, unknown>[] => journalRecords(stateRoot).map((r) => ({ ...r }));

describe("Kubernetes source and status sink on a real API server", { skip }, () => {
  let cluster: TestCluster;
  let ns: string;
  let work: string;
  let stateRoot: string;
  let parts: KubernetesParts;
  let controller: RunningController | undefined;
  const logs: string[] = [];
  const fake = new FakeExecutor({ defaultScript: { kind: "succeed", runMs: 100 }, scriptFor: (request) => (request.image.includes("sleepy") ? { kind: "hang" } : undefined) });

  const start = async () => {
    parts = await kubernetesParts({ namespace: ns, allNamespaces: false, kubeconfig: kubeconfig!, watchTimeoutSeconds: () => 2 }, (line) => logs.push(line));
    controller = await startController({ stateRoot, ...parts.options, makeExecutor: () => fake, defaultBackend: "docker", maxConcurrent: 4, pollIntervalMs: 50, log: (line) => logs.push(line) });
  };
  const get = (name: string) => cluster.get(ns, "benchmarks", name);
  const runsOf = (name: string) => cluster.list(ns, "runs", `multiverse.io/benchmark=${name}`);
  const showLogs = () => logs.slice(-40).join("\n");

  before(async () => {
    cluster = new TestCluster(kubeconfig!);
    cluster.applyCrds();
    ns = await cluster.createNamespace("src");
    work = mkdtempSync(join(tmpdir(), "mv-k8s-source-"));
    stateRoot = join(work, "state");
    const dataset = join(work, "d.h5mu");
    await writeH5mu(dataset, { nObs: 24, modalities: { rna: { nVars: 8 } }, seed: 3 });
    await cluster.create(ns, "datasets", "Dataset", "kdata", { path: dataset });
    const schema = { type: "object", properties: { n_latent: { type: "integer", minimum: 1 } }, additionalProperties: false };
    await cluster.create(ns, "models", "Model", "fake", { slug: "fake", version: "1.0", runtime: { image: "multiverse/fake:1" }, hyperparametersSchema: schema });
    await cluster.create(ns, "models", "Model", "sleepy", { slug: "sleepy", version: "1.0", runtime: { image: "multiverse/sleepy:1" }, hyperparametersSchema: schema });
    await start();
  });

  after(async () => {
    await controller?.stop();
    if (ns) await cluster.deleteNamespace(ns);
    if (work && !process.env.MULTIVERSE_KEEP_TEST_DIRS) rmSync(work, { recursive: true, force: true });
  });

  test("create: the finalizer is added, one Run per planned run is owned by the Benchmark, statuses mirror the journal", { timeout: TEST_HANG_GUARD_MS }, async () => {
    await cluster.create(ns, "benchmarks", "Benchmark", "alpha", benchmarkSpec("alpha", [job("small", "fake", [0, 1], { params: { n_latent: 2 } })]));
    const ready = await waitFor("alpha Ready=True with 2 succeeded", async () => {
      const object = await get("alpha");
      const status = statusOf<BenchmarkStatus>(object);
      return conditionOf(object, "Ready")?.status === "True" && status.runs?.succeeded === 2 && object;
    });
    assert.deepEqual(ready.metadata.finalizers, ["multiverse.io/cancel-runs"]);
    const status = statusOf<BenchmarkStatus>(ready);
    assert.equal(ready.metadata.generation, 1);
    assert.equal(status.observedGeneration, 1);
    assert.ok(status.conditions!.every((c) => c.observedGeneration === 1), JSON.stringify(status.conditions));
    assert.equal(conditionOf(ready, "SourceValid")?.status, "True");
    assert.deepEqual(status.runs, { total: 2, pending: 0, running: 0, succeeded: 2, failed: 0, cancelled: 0, skipped: 0 });

    const runs = await waitFor("2 Run resources with their bundles", async () => {
      const items = await runsOf("alpha");
      return items.length === 2 && items.every((r) => statusOf<RunStatus>(r).manifestSha256 !== undefined) && items;
    }, 60_000);
    const promoted = new Map(records(stateRoot).filter((r) => r.type === "PROMOTED").map((r) => [String(r.runId), r] as const));
    for (const run of runs) {
      const spec = run.spec as { logicalId: string; benchmark: string };
      const runStatus = statusOf<RunStatus>(run);
      assert.equal(run.metadata.name, `alpha-${spec.logicalId}`);
      assert.deepEqual(run.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]), [["Benchmark", "alpha", ready.metadata.uid, true]]);
      assert.equal(run.metadata.labels?.["multiverse.io/run-id"], spec.logicalId);
      assert.equal(runStatus.phase, "ARTIFACT_SUCCESS");
      assert.equal(runStatus.attempt, 1);
      assert.equal(runStatus.logicalRunId, spec.logicalId);
      const journaled = promoted.get(spec.logicalId) ?? {};
      // The journal records paths relative to the output root (layout 2); the status names the bundle where it is.
      assert.equal(runStatus.bundlePath, resolve(stateRoot, String(journaled.artifactDir)));
      assert.equal(runStatus.manifestSha256, journaled.manifestSha256);
      assert.equal(runStatus.attemptId, journaled.attemptId);
      assert.ok(existsSync(runStatus.bundlePath!), "the bundle is on disk");
    }
    const events = await waitFor("an Applied event on alpha", async () => {
      const list = await cluster.events(ns, "alpha");
      return list.some((e) => e.reason === "Applied") && list;
    }, 30_000);
    assert.ok(events.some((e) => e.reason === "RunArtifactSuccess"), JSON.stringify(events.map((e) => e.reason)));
  });

  test("update: a new metadata.generation reaches the controller and its status", { timeout: TEST_HANG_GUARD_MS }, async () => {
    await cluster.patchMerge(ns, "benchmarks", "alpha", { spec: benchmarkSpec("alpha", [job("small", "fake", [0, 1, 2], { params: { n_latent: 2 } })]) });
    const object = await waitFor("generation 2 observed, 3 succeeded", async () => {
      const o = await get("alpha");
      const s = statusOf<BenchmarkStatus>(o);
      return s.observedGeneration === 2 && s.runs?.succeeded === 3 && conditionOf(o, "Ready")?.status === "True" && o;
    });
    assert.equal(object.metadata.generation, 2);
    const applied = records(stateRoot).filter((r) => r.type === "BENCHMARK_APPLIED" && r.name === "alpha");
    assert.deepEqual(applied.map((r) => (r.origin as { generation?: number } | undefined)?.generation), [1, 2]);
    assert.equal((await runsOf("alpha")).length, 3);
    assert.equal(fake.launches.filter((l) => l.result === "started").length, 3, "runs whose identity did not change are not launched again");
  });

  test("invalid specs the API server accepts: SourceValid=False with the field path, the other Benchmarks untouched", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const before = await get("alpha");
    const runsBefore = (await runsOf("alpha")).map((r) => [r.metadata.name, statusOf<RunStatus>(r).phase]).sort();
    await cluster.create(ns, "benchmarks", "Benchmark", "bad-params", benchmarkSpec("bad-params", [job("small", "fake", [0], { params: { n_latent: "two" } })]));
    await cluster.create(ns, "benchmarks", "Benchmark", "bad-jobs", benchmarkSpec("bad-jobs", [job("same", "fake", [0]), job("same", "fake", [1])]));
    await cluster.create(ns, "benchmarks", "Benchmark", "bad-dataset", benchmarkSpec("bad-dataset", [{ name: "x", dataset: "nope", model: "fake", seeds: [0] }]));
    const expectations: [string, RegExp][] = [
      ["bad-params", /^spec\.jobs\[0\]\.params\.n_latent: /],
      ["bad-jobs", /^spec\.jobs\[1\]\.name: job name "same" is already used by spec\.jobs\[0\]/],
      ["bad-dataset", /^spec\.jobs\[0\]\.dataset: .*dataset "nope" is not registered/],
    ];
    for (const [name, message] of expectations) {
      const condition = await waitFor(`${name} SourceValid=False`, async () => {
        const c = conditionOf(await get(name), "SourceValid");
        return c?.status === "False" && c;
      }, 60_000);
      assert.equal(condition.reason, "InvalidSpec");
      assert.match(condition.message, message);
      assert.equal(condition.observedGeneration, 1);
      assert.equal((await runsOf(name)).length, 0, `${name} has no runs`);
    }
    const after = await get("alpha");
    assert.deepEqual(statusOf<BenchmarkStatus>(after), statusOf<BenchmarkStatus>(before), "alpha's status is untouched");
    assert.deepEqual((await runsOf("alpha")).map((r) => [r.metadata.name, statusOf<RunStatus>(r).phase]).sort(), runsBefore);

    await cluster.patchMerge(ns, "benchmarks", "bad-params", { spec: benchmarkSpec("bad-params", [job("small", "fake", [0], { params: { n_latent: 3 } })]) });
    await waitFor("bad-params fixed: SourceValid and Ready True at generation 2", async () => {
      const o = await get("bad-params");
      return conditionOf(o, "SourceValid")?.status === "True" && conditionOf(o, "Ready")?.status === "True" && statusOf<BenchmarkStatus>(o).observedGeneration === 2;
    }, 60_000);
  });

  test("delete: unfinished runs are cancelled through the finalizer, which is then removed; the object goes, bundles stay", { timeout: TEST_HANG_GUARD_MS }, async () => {
    await cluster.create(ns, "benchmarks", "Benchmark", "slow", benchmarkSpec("slow", [job("nap", "sleepy", [0, 1]), job("quick", "fake", [7])]));
    const running = await waitFor("two running, one succeeded", async () => {
      const runs = await runsOf("slow");
      const phases = runs.map((r) => statusOf<RunStatus>(r).phase);
      return runs.length === 3 && phases.filter((p) => p === "RUNNING").length === 2 && phases.includes("ARTIFACT_SUCCESS") && runs;
    });
    const bundle = statusOf<RunStatus>(running.find((r) => statusOf<RunStatus>(r).phase === "ARTIFACT_SUCCESS"))!.bundlePath!;
    const sleeping = running.filter((r) => statusOf<RunStatus>(r).phase === "RUNNING").map((r) => (r.spec as { logicalId: string }).logicalId);
    await cluster.delete(ns, "benchmarks", "slow");
    await waitFor("the Benchmark gone", async () => (await get("slow")) === undefined);
    const transitions = records(stateRoot);
    for (const runId of sleeping) assert.ok(transitions.some((r) => r.type === "RUN_TRANSITION" && r.runId === runId && r.to === "CANCELLED"), `run ${runId} cancelled`);
    assert.ok(transitions.some((r) => r.type === "BENCHMARK_DELETED" && r.name === "slow"));
    const removedAt = logs.findIndex((l) => /benchmark .*\/slow: runs cancelled, finalizer multiverse.io\/cancel-runs removed/.test(l));
    assert.ok(removedAt >= 0, showLogs());
    for (const runId of sleeping) {
      const cancelledAt = logs.findIndex((l) => l.includes(runId.slice(0, 12)) && l.includes("-> CANCELLED"));
      assert.ok(cancelledAt >= 0 && cancelledAt < removedAt, `run ${runId} cancelled before the finalizer went:\n${showLogs()}`);
    }
    assert.ok(existsSync(bundle), "the succeeded run's bundle stays");
    await waitFor("its Run resources garbage-collected", async () => (await runsOf("slow")).length === 0, 60_000);
  });

  test("watches closed by the server every 2 s lose nothing; a resourceVersion too old is 410 Gone and relists", { timeout: TEST_HANG_GUARD_MS }, async () => {
    await waitFor("three watches of Benchmarks opened (the server closed two)", () => parts.source.stats().Benchmark.watches >= 3, 30_000);
    await cluster.create(ns, "benchmarks", "Benchmark", "late", benchmarkSpec("late", [job("small", "fake", [4])]));
    await waitFor("late Ready", async () => conditionOf(await get("late"), "Ready")?.status === "True", 60_000);

    const changes: number[] = [];
    const expired = new ListWatch({ api: new ClientKubeApi(cluster.config), collection: { plural: "benchmarks", namespace: ns }, onChange: () => changes.push(1), resumeFrom: "1" });
    await expired.start();
    try {
      assert.equal(expired.stats.expired, 1, "410 Gone for resourceVersion 1");
      assert.ok(expired.objects().some((o) => o.metadata.name === "alpha"), "the relist filled the cache");
      await cluster.patchMerge(ns, "benchmarks", "late", { metadata: { labels: { touched: "yes" } } });
      await waitFor("the watch after the relist sees the change", () => expired.objects().find((o) => o.metadata.name === "late")?.metadata.labels?.touched === "yes", 30_000);
    } finally {
      expired.stop();
    }
  });

  test("the API server restarted mid-watch: the watches resume, and changes made right after it is back are not lost", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const before = parts.source.stats().Benchmark.watches;
    const pidFile = join(k8sRoot(), "run", "kube-apiserver.pid");
    assert.ok(existsSync(pidFile), `${pidFile}: the test cluster's API server is started by scripts/start-k8s.sh`);
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    process.kill(pid, "SIGKILL");
    await waitFor("the API server process gone", () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 30_000);
    const restarted = spawnSync("bash", [join(repoRoot(), "scripts", "start-k8s.sh")], { encoding: "utf8", timeout: 180_000 });
    assert.equal(restarted.status, 0, restarted.stderr);
    // At once, before the controller's watches have come back: a new Benchmark and a new generation of another.
    await cluster.create(ns, "benchmarks", "Benchmark", "after-restart", benchmarkSpec("after-restart", [job("small", "fake", [21])]));
    const generation = (await get("late"))!.metadata.generation!;
    await cluster.patchMerge(ns, "benchmarks", "late", { spec: benchmarkSpec("late", [job("small", "fake", [4, 5])]) });
    await waitFor("after-restart Ready", async () => conditionOf(await get("after-restart"), "Ready")?.status === "True", 120_000);
    const late = await waitFor("late's new generation observed and Ready", async () => {
      const o = await get("late");
      return statusOf<BenchmarkStatus>(o).observedGeneration === generation + 1 && conditionOf(o, "Ready")?.status === "True" && o;
    }, 120_000);
    assert.equal(statusOf<BenchmarkStatus>(late).runs?.succeeded, 2);
    assert.ok(parts.source.stats().Benchmark.watches > before, "the Benchmark watch was opened again");
  });

  test("restart: Run resources and Benchmark status are rebuilt from the journal, nothing is launched again", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const runsBefore = (await runsOf("alpha")).map((r) => [r.metadata.name, JSON.stringify(r.status)]).sort();
    const statusBefore = statusOf<BenchmarkStatus>(await get("alpha"));
    const launches = fake.launches.length;
    await controller!.stop();
    controller = undefined;
    for (const run of await runsOf("alpha")) await cluster.delete(ns, "runs", run.metadata.name);
    await waitFor("alpha's Runs gone", async () => (await runsOf("alpha")).length === 0);
    await start();
    const rebuilt = await waitFor("alpha's Runs back with their statuses", async () => {
      const runs = (await runsOf("alpha")).map((r) => [r.metadata.name, JSON.stringify(r.status)]).sort();
      return runs.length === runsBefore.length && runs.every((r) => r[1] !== undefined && r[1] !== "{}") && runs;
    });
    assert.deepEqual(rebuilt, runsBefore);
    assert.deepEqual(statusOf<BenchmarkStatus>(await get("alpha")), statusBefore);
    assert.equal(fake.launches.length, launches, "no attempt launched again");
  });
});
