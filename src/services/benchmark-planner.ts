/** Plans a declared Benchmark against the declared and registered catalog (the Benchmark controller's planner). */
import type { Backend, BenchmarkResource, DatasetResource, ModelResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import type { Executor } from "../executors/executor.js";
import { jobBackends, resolveBackend } from "../executors/backend-resolution.js";
import { requireOptunaPython } from "../sweeps/optuna-bridge.js";
import { planBenchmark } from "../../reconcilers/plan.js";
import type { BenchmarkPlanner } from "../../controllers/benchmark-controller.js";
import { resolveCatalog } from "./resolve-catalog.js";
import { fieldPathOrigins } from "../manifest/job-origins.js";

export function benchmarkPlanner(context: { stateRoot: string; defaultBackend: Backend; executorFor: (backend: Backend) => Executor; modelRoots?: string[] }): BenchmarkPlanner {
  return {
    plan: (benchmark, declared) =>
      planFor(benchmark.spec.backend ? benchmark : { ...benchmark, spec: { ...benchmark.spec, backend: context.defaultBackend } }, declared, context),
  };
}

async function planFor(
  benchmark: BenchmarkResource,
  declared: { datasets: DatasetResource[]; models: ModelResource[] },
  context: { stateRoot: string; executorFor: (backend: Backend) => Executor; modelRoots?: string[] },
) {
  const defaultBackend = resolveBackend({ benchmark: benchmark.spec.backend });
  const executors: Partial<Record<Backend, Executor>> = {};
  for (const backend of jobBackends(benchmark.spec)) executors[backend] = context.executorFor(backend);
  const catalog = await resolveCatalog({
    stateRoot: context.stateRoot,
    benchmark,
    manifestDatasets: declared.datasets,
    manifestModels: declared.models,
    executors,
    defaultBackend,
    modelRoots: context.modelRoots,
  });
  // Errors name the job's field (spec.jobs[i]...): a Kubernetes object's status shows where its spec is wrong.
  const plan = planBenchmark(benchmark, catalog, { origins: fieldPathOrigins(benchmark.spec.jobs.length) });
  if (plan.errors.length > 0) {
    if (plan.errors.length === 1) throw plan.errors[0];
    throw Errors.schema(`${plan.errors.length} jobs cannot be planned: ${plan.errors.map((e) => e.message).join("; ")}`);
  }
  if (plan.sweeps.length > 0) requireOptunaPython();
  return { runs: plan.runs, sweeps: plan.sweeps };
}
