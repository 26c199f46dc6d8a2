/**
 * Benchmark applied on the Kubernetes API -> runs planned (RUN_PLANNED journaled), -> first status write seen on
 * the Benchmark (observedGeneration through a watch, as `kubectl get -w` sees it), -> every Run resource created.
 * The controller runs in-process with `--source kubernetes` against the test cluster, on the FakeExecutor (attempts
 * hang, so only planning and projection are measured). Target: applied -> first status under 1 s.
 *
 *   node dist/bench/k8s-apply-to-plan.js            (BENCH_ROUNDS=5, BENCH_SEEDS=10, KUBECONFIG or the test cluster's)
 *   BENCH_ROUNDS=1 BENCH_SEEDS=1000 node dist/bench/k8s-apply-to-plan.js   (1,000 Runs from one Benchmark)
 * Also: applied -> the status sink idle (every Run's status and the Benchmark's counts written: converged), and the
 * process's peak RSS (the controller, plus this bench's two watches).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../src/h5/index.js";
import { FakeExecutor } from "../src/executors/fake/fake-executor.js";
import { startController } from "../src/services/controller-service.js";
import { kubernetesParts } from "../src/services/kubernetes-controller.js";
import { ClientKubeApi } from "../src/sources/kubernetes/kube-api.js";
import { ListWatch } from "../src/sources/kubernetes/list-watch.js";
import { TestCluster, testKubeconfig } from "../test/helpers/kube-source.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SEEDS = Number(process.env.BENCH_SEEDS ?? 10);

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${median.toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const kubeconfig = process.env.KUBECONFIG ?? testKubeconfig();
  if (!kubeconfig) throw new Error("no kubeconfig: set KUBECONFIG or start the test cluster");
  const cluster = new TestCluster(kubeconfig);
  cluster.applyCrds();
  const ns = await cluster.createNamespace("bench");
  const work = mkdtempSync(join(tmpdir(), "mv-k8s-bench-"));
  const dataset = join(work, "d.h5mu");
  await writeH5mu(dataset, { nObs: 24, modalities: { rna: { nVars: 8 } }, seed: 3 });
  await cluster.create(ns, "datasets", "Dataset", "kdata", { path: dataset });
  await cluster.create(ns, "models", "Model", "fake", { slug: "fake", version: "1.0", runtime: { image: "multiverse/fake:1" } });

  const planned = new Map<string, number>();
  const parts = await kubernetesParts({ namespace: ns, allNamespaces: false, kubeconfig }, () => undefined);
  const controller = await startController({
    stateRoot: join(work, "state"),
    ...parts.options,
    extensions: [
      ...(parts.options.extensions ?? []),
      {
        name: "bench probe",
        make: (context) => {
          context.subscribe((records) => {
            for (const r of records) if (r.type === "RUN_PLANNED" && !planned.has(r.spec.benchmark)) planned.set(r.spec.benchmark, performance.now());
          });
          return { name: "bench probe", start: () => undefined };
        },
      },
    ],
    makeExecutor: () => new FakeExecutor({ defaultScript: { kind: "hang" } }),
    defaultBackend: "docker",
    maxConcurrent: 2,
    log: () => undefined,
  });

  // What a user watching the API server sees: the first status on each Benchmark, each Run created.
  const firstStatus = new Map<string, number>();
  const runsSeen = new Map<string, number[]>();
  const api = new ClientKubeApi(cluster.config);
  const benchmarks = new ListWatch({
    api,
    collection: { plural: "benchmarks", namespace: ns },
    onChange: () => {
      for (const o of benchmarks.objects()) if ((o.status as { observedGeneration?: number } | undefined)?.observedGeneration !== undefined && !firstStatus.has(o.metadata.name)) firstStatus.set(o.metadata.name, performance.now());
    },
  });
  const runs = new ListWatch({
    api,
    collection: { plural: "runs", namespace: ns },
    onChange: () => {
      const counts = new Map<string, number>();
      for (const o of runs.objects()) {
        const owner = o.metadata.labels?.["multiverse.io/benchmark"] ?? "";
        counts.set(owner, (counts.get(owner) ?? 0) + 1);
      }
      for (const [owner, count] of counts) if (count >= SEEDS && !runsSeen.has(owner)) runsSeen.set(owner, [performance.now()]);
    },
  });
  await Promise.all([benchmarks.start(), runs.start()]);

  const toPlanned: number[] = [];
  const toStatus: number[] = [];
  const toRuns: number[] = [];
  const toConverged: number[] = [];
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const writesBefore = parts.sink.writes();
  for (let round = 0; round < ROUNDS; round += 1) {
    const name = `bench-${round}`;
    const seeds = Array.from({ length: SEEDS }, (_, i) => round * 1000 + i);
    const applied = performance.now();
    await cluster.create(ns, "benchmarks", "Benchmark", name, { experimentName: name, jobs: [{ name: "j", dataset: "kdata", model: "fake", seeds }] });
    const deadline = Date.now() + 60_000 + SEEDS * 200;
    while (!(planned.has(name) && firstStatus.has(name) && runsSeen.has(name))) {
      if (Date.now() > deadline) throw new Error(`${name}: not planned and projected within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    toPlanned.push(planned.get(name)! - applied);
    toStatus.push(firstStatus.get(name)! - applied);
    toRuns.push(runsSeen.get(name)![0]! - applied);
    await parts.sink.idle();
    toConverged.push(performance.now() - applied);
  }
  clearInterval(sampler);
  const writes = parts.sink.writes() - writesBefore;

  console.log(`Kubernetes source, ${ROUNDS} Benchmarks of ${SEEDS} runs each (FakeExecutor, attempts hang; 2 at once)`);
  console.log(`  applied -> runs planned (journaled):   ${summary(toPlanned)}`);
  console.log(`  applied -> first status on the object: ${summary(toStatus)}  (target < 1000 ms)`);
  console.log(`  applied -> all ${SEEDS} Run resources:     ${summary(toRuns)}`);
  console.log(`  applied -> status converged (sink idle): ${summary(toConverged)}`);
  console.log(`  peak RSS of the process: ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
  console.log(`  API writes by the status sink: ${writes} for ${ROUNDS * SEEDS} runs and ${ROUNDS} Benchmarks (${(writes / (ROUNDS * (SEEDS + 1))).toFixed(2)} per object)`);

  benchmarks.stop();
  runs.stop();
  await controller.stop();
  await cluster.deleteNamespace(ns);
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
