/**
 * I/O side of planning: datasets are inspected (fingerprint, n_obs, modalities; cached by path, size and
 * mtime so a large .h5mu is hashed once), models come from the manifest, the state root's catalog or the
 * built-in store, and images are resolved to their identity by the executor that will run them.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Backend, DatasetResource, ImageIdentity, ModelResource } from "../domain/resources.js";
import type { BenchmarkResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { LaunchError, type Executor } from "../executors/executor.js";
import { DATASET_CHECKS_VERSION, DatasetCatalog, describeDataset } from "../catalog/datasets.js";
import { ModelCatalog } from "../catalog/models.js";
import { repoRoot } from "../util/paths.js";
import type { PlanCatalog } from "../../reconcilers/plan.js";

interface FingerprintCacheEntry {
  size: number;
  mtimeMs: number;
  resource: DatasetResource;
}

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
  const datasets = new Map<string, DatasetResource>();
  const registered = new DatasetCatalog(options.stateRoot);
  const cache = new DatasetInspectionCache(options.stateRoot);
  const wanted = new Set(options.benchmark.spec.jobs.map((job) => job.dataset));
  const declared = new Map(options.manifestDatasets.map((d) => [d.metadata.name, d]));
  for (const slug of wanted) {
    const source = declared.get(slug) ?? registered.get(slug) ?? globalDataset(slug, options.stateRoot);
    if (!source) continue; // the planner reports unknown datasets with the list of known ones
    datasets.set(slug, await cache.inspect(source));
  }
  for (const dataset of registered.list()) if (!datasets.has(dataset.metadata.name)) datasets.set(dataset.metadata.name, dataset);

  const models = new Map<string, ModelResource>();
  const catalog = new ModelCatalog([
    ...(options.modelRoots ?? []),
    join(options.stateRoot, "catalog", "models"),
    join(repoRoot(), "store", "models"),
  ]);
  for (const model of catalog.list()) models.set(model.spec.slug, model);
  for (const model of options.manifestModels) models.set(model.spec.slug, model);

  const images = new Map<string, ImageIdentity | null>();
  for (const job of options.benchmark.spec.jobs) {
    const model = models.get(job.model);
    if (!model) continue;
    const reference = job.imageSif ?? model.spec.runtime.image;
    if (images.has(reference)) continue;
    const backend = job.backend ?? options.benchmark.spec.backend ?? options.defaultBackend;
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

/** Datasets registered in the user's default state root are visible to every output directory. */
function globalDataset(slug: string, stateRoot: string): DatasetResource | undefined {
  const fallback = process.env.MULTIVERSE_STATE_DIR;
  if (!fallback || fallback === stateRoot) return undefined;
  return new DatasetCatalog(fallback).get(slug);
}

class DatasetInspectionCache {
  private readonly file: string;
  private entries: Record<string, FingerprintCacheEntry>;

  constructor(stateRoot: string) {
    this.file = join(stateRoot, "cache", "datasets.json");
    this.entries = {};
    if (existsSync(this.file)) {
      try {
        this.entries = JSON.parse(readFileSync(this.file, "utf8")) as Record<string, FingerprintCacheEntry>;
      } catch {
        this.entries = {};
      }
    }
  }

  async inspect(source: DatasetResource): Promise<DatasetResource> {
    const path = source.spec.path;
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw Errors.fileNotFound(`dataset "${source.metadata.name}": file ${path} does not exist`, { location: { file: path } });
    }
    const key = `v${DATASET_CHECKS_VERSION}\u0000${source.metadata.name}\u0000${path}\u0000${source.spec.batchKey ?? ""}\u0000${source.spec.labelKey ?? ""}`;
    const cached = this.entries[key];
    if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.resource;
    const described = await describeDataset(path, {
      slug: source.metadata.name,
      batchKey: source.spec.batchKey,
      labelKey: source.spec.labelKey,
    });
    if (source.spec.nObs !== undefined && described.spec.nObs !== source.spec.nObs) {
      throw Errors.badDataset(`dataset "${source.metadata.name}": the manifest says n_obs ${source.spec.nObs}, but ${path} has ${described.spec.nObs} cells`, {
        location: { file: path, field: "n_obs" },
      });
    }
    this.entries[key] = { size: stat.size, mtimeMs: stat.mtimeMs, resource: described };
    this.save();
    return described;
  }

  private save(): void {
    mkdirSync(join(this.file, ".."), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.entries));
    renameSync(tmp, this.file);
  }
}
