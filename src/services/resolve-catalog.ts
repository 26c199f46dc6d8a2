/**
 * I/O side of planning: datasets are inspected (src/catalog/dataset-inspection.ts), models come from the manifest, the state root's catalog or the
 * built-in store, and images are resolved to their identity by the executor that will run them.
 */
import { join } from "node:path";
import type { Backend, DatasetResource, ImageIdentity, ModelResource } from "../domain/resources.js";
import type { BenchmarkResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { LaunchError, type Executor } from "../executors/executor.js";
import { resolveBackend } from "../executors/backend-resolution.js";
import { resolveDatasets } from "../catalog/dataset-inspection.js";
import { ModelCatalog, withCatalogSchema } from "../catalog/models.js";
import { repoRoot } from "../util/paths.js";
import type { PlanCatalog } from "../../reconcilers/plan.js";

export interface ResolveOptions {
  stateRoot: string;
  benchmark: BenchmarkResource;
  manifestDatasets: DatasetResource[];
  manifestModels: ModelResource[];
  executors: Partial<Record<Backend, Executor>>;
  defaultBackend: Backend;
  /** Extra roots to search for model.yaml files (tests). */
  modelRoots?: string[];
}

export async function resolveCatalog(options: ResolveOptions): Promise<PlanCatalog> {
  const datasets = await resolveDatasets(options.stateRoot, new Set(options.benchmark.spec.jobs.map((job) => job.dataset)), options.manifestDatasets);

  const models = new Map<string, ModelResource>();
  const catalog = new ModelCatalog([
    ...(options.modelRoots ?? []),
    join(options.stateRoot, "catalog", "models"),
    join(repoRoot(), "store", "models"),
  ]);
  for (const model of catalog.list()) models.set(model.spec.slug, model);
  for (const model of options.manifestModels) models.set(model.spec.slug, withCatalogSchema(model, models.get(model.spec.slug)));

  const images = new Map<string, ImageIdentity | null>();
  for (const job of options.benchmark.spec.jobs) {
    const model = models.get(job.model);
    if (!model) continue;
    const reference = ((job.backend ?? options.benchmark.spec.backend ?? options.defaultBackend) === "slurm" ? job.imageSif : undefined) ?? model.spec.runtime.image;
    if (images.has(reference)) continue;
    const backend = resolveBackend({ job: job.backend, benchmark: options.benchmark.spec.backend, defaultBackend: options.defaultBackend });
    const executor = options.executors[backend];
    let identity: ImageIdentity | null = null;
    try {
      identity = executor ? await executor.resolveImage(reference, { slug: model.spec.slug, version: model.spec.version, directory: model.spec.directory }) : null;
    } catch (error) {
      if (error instanceof LaunchError && error.kind === "engine_unavailable") {
        throw Errors.engineUnavailable(`${error.message}`, {
          details: [backend === "docker" ? "start it (scripts/start-dockerd.sh, or your system's docker service), or run with --backend local" : `check the ${backend} backend`],
        });
      }
      throw error;
    }
    images.set(reference, identity);
  }
  return { datasets, models, images };
}
