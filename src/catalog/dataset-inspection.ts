/**
 * The datasets a plan names, inspected (fingerprint, n_obs, modalities) and cached by path, size and mtime so that a
 * large .h5mu is hashed once; a dataset comes from the manifest, the state root's catalog, or the default state root.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DatasetResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { DATASET_CHECKS_VERSION, DatasetCatalog, describeDataset } from "./datasets.js";

interface FingerprintCacheEntry {
  size: number;
  mtimeMs: number;
  resource: DatasetResource;
}

/** The wanted datasets inspected, plus every other registered one as it is (the planner lists them when a slug is unknown). */
export async function resolveDatasets(stateRoot: string, wanted: ReadonlySet<string>, manifestDatasets: readonly DatasetResource[]): Promise<Map<string, DatasetResource>> {
  const datasets = new Map<string, DatasetResource>();
  const registered = new DatasetCatalog(stateRoot);
  const cache = new DatasetInspectionCache(stateRoot);
  const declared = new Map(manifestDatasets.map((d) => [d.metadata.name, d]));
  for (const slug of wanted) {
    const source = declared.get(slug) ?? registered.get(slug) ?? globalDataset(slug, stateRoot);
    if (!source) continue; // the planner reports unknown datasets with the list of known ones
    datasets.set(slug, await cache.inspect(source));
  }
  for (const dataset of registered.list()) if (!datasets.has(dataset.metadata.name)) datasets.set(dataset.metadata.name, dataset);
  return datasets;
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
