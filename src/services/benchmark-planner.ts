/** Plans a declared Benchmark against the declared and registered catalog (the Benchmark controller's planner). */
import type { Backend, BenchmarkResource, DatasetResource, ModelResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import type { Executor } from "../executors/executor.js";
import { jobBackends, resolveBackend } from "../executors/backend-resolution.js";
import { requireOptunaPython } from "../sweeps/optuna-bridge.js";
import { planBenchmark } from "../../reconcilers/plan.js";
import type { BenchmarkPlanner } from "../../controllers/benchmark-controller.js";
import { resolveCatalog } from "./resolve-catalog.js";
import { fieldPathOrigins, relocateDatasetError, type DatasetOrigin, type JobOrigin } from "../manifest/job-origins.js";

/**
 * Where the Benchmark uses each dataset: the `dataset` field of the first job naming it, in the Benchmark's own file
 * (the Dataset may be declared in another file; the .h5mu an error is about stays in its details).
 */
function datasetOrigins(benchmark: BenchmarkResource, declared: readonly DatasetResource[], origins: readonly JobOrigin[] | undefined): DatasetOrigin[] {
  if (!origins) return [];
  const out: DatasetOrigin[] = [];
  benchmark.spec.jobs.forEach((job, index) => {
    const origin = origins[index];
    if (!origin || out.some((d) => d.slug === job.dataset)) return;
    const path = declared.find((d) => d.metadata.name === job.dataset)?.spec.path;
    out.push({ slug: job.dataset, ...(path !== undefined ? { path } : {}), location: origin.at("dataset") });
  });
  return out;
}

export function benchmarkPlanner(context: { stateRoot: string; defaultBackend: Backend; executorFor: (backend: Backend) => Executor; modelRoots?: string[] }): BenchmarkPlanner {
  return {
    plan: (benchmark, declared, origins) =>
      planFor(benchmark.spec.backend ? benchmark : { ...benchmark, spec: { ...benchmark.spec, backend: context.defaultBackend } }, declared, context, origins),
  };
}

async function planFor(
  benchmark: BenchmarkResource,
  declared: { datasets: DatasetResource[]; models: ModelResource[] },
  context: { stateRoot: string; executorFor: (backend: Backend) => Executor; modelRoots?: string[] },
  origins?: readonly JobOrigin[],
) {
  // A Benchmark without a file (a Kubernetes object) has its errors name the job's field path (spec.jobs[i]...).
  const jobOrigins = origins ?? fieldPathOrigins(benchmark.spec.jobs.length);
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
  }).catch((error: unknown) => Promise.reject(relocateDatasetError(error, datasetOrigins(benchmark, declared.datasets, jobOrigins))));
  const plan = planBenchmark(benchmark, catalog, { origins: jobOrigins });
  if (plan.errors.length > 0) {
    if (plan.errors.length === 1) throw plan.errors[0];
    throw Errors.schema(`${plan.errors.length} jobs cannot be planned: ${plan.errors.map((e) => e.message).join("; ")}`);
  }
  if (plan.sweeps.length > 0) requireOptunaPython();
  return { runs: plan.runs, sweeps: plan.sweeps };
}
