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
import { pinnedReference } from "../domain/image-reference.js";
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
  /** --no-image-pull: an image whose declared digest is not present locally is refused instead of pulled. */
  noImagePull?: boolean;
  onProgress?: (line: string) => void;
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
      const declared = backend === "slurm" ? undefined : model.spec.runtime.imageDigest;
      if (executor && declared && !(identity?.kind === "registry" && identity.digest === declared)) identity = await declaredImage(executor, reference, declared, options);
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

/**
 * A model that declares its image's registry digest runs exactly that image (repo@digest): found locally by digest,
 * else pulled from its registry (engines that pull), unless --no-image-pull forbids it. A digest the registry does
 * not serve is refused with what the local tag is instead.
 */
async function declaredImage(executor: Executor, reference: string, declared: string, options: ResolveOptions): Promise<ImageIdentity | null> {
  if (!executor.pullImage) return executor.resolveImage(reference);
  const pinned = pinnedReference(reference, declared);
  const present = await executor.resolveImage(pinned);
  if (present) return { ...present, reference: pinned };
  const local = await executor.resolveImage(reference);
  const localNote = local ? [`the local ${reference} is ${local.kind === "registry" ? `${local.digest}` : `a local build (${local.digest.slice(0, 19)}...)`}, not the declared digest`] : [];
  if (options.noImagePull) {
    throw Errors.imageUnavailable(`image ${pinned} (the model's declared image_digest) is not in the local engine, and --no-image-pull forbids pulling it`, {
      details: [...localNote, `pull it first (docker pull ${pinned}), or run without --no-image-pull`],
    });
  }
  options.onProgress?.(`pulling ${pinned} (the model's declared image_digest is not present locally)`);
  try {
    await executor.pullImage(pinned);
  } catch (error) {
    if (error instanceof LaunchError && error.kind === "engine_unavailable") throw error;
    throw Errors.imageUnavailable(`image ${pinned} (the model's declared image_digest) could not be pulled: ${(error as Error).message}`, {
      details: [...localNote, "check image_digest against what the registry serves (the digest `docker push` printed)"],
      cause: error,
    });
  }
  const pulled = await executor.resolveImage(pinned);
  return pulled ? { ...pulled, reference: pinned } : null;
}
